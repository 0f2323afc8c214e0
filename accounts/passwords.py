"""bcrypt passwords as Supabase Auth stores them in `auth.users.encrypted_password`."""

import bcrypt

COST = 10  # Supabase Auth's bcrypt cost
MAX_BYTES = 72  # bcrypt reads at most 72 bytes (and the bcrypt package refuses more)
# A hash of a random string, checked when no user matches, so a miss costs as long as a wrong password.
_DUMMY_HASH = bcrypt.hashpw(b"no-such-user-no-such-password", bcrypt.gensalt(COST))


def hash_password(password: str) -> str:
    hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(COST)).decode()
    return "$2a$" + hashed[4:]  # Go's bcrypt (Supabase Auth) writes the $2a$ prefix; both verify alike


def check_password(password: str, encrypted: str | None) -> bool:
    if len(password.encode()) > MAX_BYTES or not encrypted or not encrypted.startswith(("$2a$", "$2b$", "$2y$")):
        bcrypt.checkpw(b"no-such-password", _DUMMY_HASH)  # no password this long was ever stored
        return False
    try:
        return bcrypt.checkpw(password.encode(), encrypted.encode())
    except ValueError:
        return False
