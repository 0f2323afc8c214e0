"""Sign-up, sign-in and the login throttle for end users (`auth.users`); what happens is announced
through `accounts.signals`."""

import hashlib
import hmac
import uuid

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import passwords, signals
from accounts.models import AuthUser, Identity
from core.throttle import FailureThrottle

INSTANCE_ID = uuid.UUID(int=0)  # Supabase Auth writes the nil uuid here


EMAIL_TAKEN = "This email address cannot be used to sign up. If you have an account, sign in instead."


class SignInError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def find_by_email(email: str) -> AuthUser | None:
    return AuthUser.objects.filter(email__iexact=normalize_email(email), is_sso_user=False).first()


def sign_up(email: str, password: str, user_metadata: dict | None = None) -> AuthUser:
    """Create an `auth.users` row and its `email` identity the way Supabase Auth's email sign-up does
    (email confirmation off)."""
    email = normalize_email(email)
    if find_by_email(email):
        raise SignInError("email_exists", EMAIL_TAKEN)
    now = timezone.now()
    user = AuthUser(
        id=uuid.uuid4(),
        instance_id=INSTANCE_ID,
        aud="authenticated",
        role="authenticated",
        email=email,
        encrypted_password=passwords.hash_password(password),
        email_confirmed_at=now,
        raw_app_meta_data={"provider": "email", "providers": ["email"]},
        raw_user_meta_data=user_metadata or {},
        is_super_admin=None,
        created_at=now,
        updated_at=now,
        is_sso_user=False,
        is_anonymous=False,
    )
    try:
        with transaction.atomic():
            user.save(force_insert=True)
            add_identity(user, "email", str(user.id), {"email_verified": True, "phone_verified": False})
    except IntegrityError as exc:  # a concurrent sign-up won the unique index
        raise SignInError("email_exists", EMAIL_TAKEN) from exc
    signals.signed_up.send(AuthUser, user=user)
    return user


def add_identity(user: AuthUser, provider: str, provider_id: str, data: dict) -> Identity:
    """An `auth.identities` row; `identity_data` holds `sub` and `email` as GoTrue writes them."""
    now = timezone.now()
    identity_data = {"sub": provider_id, "email": user.email, **data}
    return Identity.objects.create(
        id=uuid.uuid4(), user=user, provider=provider, provider_id=provider_id, identity_data=identity_data,
        last_sign_in_at=now, created_at=now, updated_at=now,
    )


def sign_in(email: str, password: str, ip: str) -> AuthUser:
    """Check the password against `encrypted_password`, throttle failures, stamp `last_sign_in_at`."""
    email = normalize_email(email)
    throttle = LoginThrottle(email, ip)
    if throttle.blocked():
        _failed(email, None, "too_many_attempts")
        raise SignInError("too_many_attempts", "Too many failed sign-in attempts. Try again in a few minutes.")
    user = find_by_email(email)
    if not passwords.check_password(password, user.encrypted_password if user else None):
        throttle.fail()
        _failed(email, user, "invalid_credentials")
        raise SignInError("invalid_credentials", "Invalid email or password.")
    refusal = user.refusal()
    if refusal:
        _failed(email, user, f"user_{refusal}")
        raise SignInError(f"user_{refusal}", f"This account is {refusal}.")
    throttle.clear()
    now = timezone.now()
    AuthUser.objects.filter(pk=user.pk).update(last_sign_in_at=now, updated_at=now)
    user.last_sign_in_at = user.updated_at = now
    signals.logged_in.send(AuthUser, user=user)
    return user


class SignUpThrottle(FailureThrottle):
    """Sign-up attempts per address, successful or not: sign-up tells a taken address from a free one,
    so it is limited like guessing is."""

    def __init__(self, ip: str):
        super().__init__({f"signup-ip:{ip}": settings.SIGNUP_THROTTLE["attempts"]}, settings.SIGNUP_THROTTLE["window"])


def _failed(email: str, user: AuthUser | None, reason: str) -> None:
    signals.login_failed.send(AuthUser, user=user, email=email, reason=reason)


def session_hash(user: AuthUser) -> str:
    """Bound into the page session: changing the password signs every browser out."""
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"{user.id}:{user.encrypted_password}".encode(), hashlib.sha256).hexdigest()


class LoginThrottle(FailureThrottle):
    """Failed sign-ins counted per (email, address), per address, and per account from anywhere (a
    guesser spread over many addresses still meets the account's limit)."""

    def __init__(self, email: str, ip: str):
        attempts = settings.LOGIN_THROTTLE["attempts"]
        account = hashlib.sha256(email.encode()).hexdigest()[:32]
        self.pair_key = f"login-fail:{account}:{ip}"
        super().__init__(
            {self.pair_key: attempts, f"login-fail-ip:{ip}": attempts * 4, f"login-fail-account:{account}": attempts * 4},
            settings.LOGIN_THROTTLE["window"],
        )

    def clear(self) -> None:
        # A success forgives this email's failures from this address, not the address's total.
        self.forgive(self.pair_key)
