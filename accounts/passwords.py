"""bcrypt passwords as Supabase Auth stores them in `auth.users.encrypted_password`."""

import bcrypt

COST = 10  # Supabase Auth's bcrypt cost
# A hash of a random string, checked when no user matches, so a miss costs as long as a wrong password.
_DUMMY_HASH = bcrypt.hashpw(b"no-such-user-no-such-password", bcrypt.gensalt(COST))


def hash_password(password: str) -> str:
    hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(COST)).decode()
    return "$2a$" + hashed[4:]  # Go's bcrypt (Supabase Auth) writes the $2a$ prefix; both verify alike


def check_password(password: str, encrypted: str | None) -> bool:
    if not encrypted or not encrypted.startswith(("$2a$", "$2b$", "$2y$")):
        bcrypt.checkpw(password.encode(), _DUMMY_HASH)
        return False
    try:
        return bcrypt.checkpw(password.encode(), encrypted.encode())
    except ValueError:
        return False
