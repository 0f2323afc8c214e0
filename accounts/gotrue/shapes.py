"""The JSON of GoTrue's answers: the user object (with identities and factors) and the token response."""

from accounts.models import AuthUser, Identity, MfaFactor
from accounts.sessions import Grant


def _time(value):
    return value.isoformat() if value is not None else None


def identity(row: Identity) -> dict:
    return {
        "identity_id": str(row.id), "id": row.provider_id, "user_id": str(row.user_id),
        "identity_data": row.identity_data, "provider": row.provider,
        "last_sign_in_at": _time(row.last_sign_in_at), "created_at": _time(row.created_at),
        "updated_at": _time(row.updated_at), "email": (row.identity_data or {}).get("email"),
    }


def factor(row: MfaFactor) -> dict:
    return {
        "id": str(row.id), "status": row.status, "friendly_name": row.friendly_name or "",
        "factor_type": row.factor_type, "created_at": _time(row.created_at), "updated_at": _time(row.updated_at),
    }


def user(row: AuthUser) -> dict:
    """GoTrue's user object (never the password hash nor any token)."""
    identities = Identity.objects.filter(user_id=row.pk).order_by("created_at")
    factors = MfaFactor.objects.filter(user_id=row.pk).order_by("created_at")
    body = {
        "id": str(row.id), "aud": row.aud or "", "role": row.role or "", "email": row.email or "",
        "email_confirmed_at": _time(row.email_confirmed_at), "phone": row.phone or "",
        "confirmed_at": _time(row.email_confirmed_at or row.phone_confirmed_at),
        "last_sign_in_at": _time(row.last_sign_in_at), "app_metadata": row.raw_app_meta_data or {},
        "user_metadata": row.raw_user_meta_data or {}, "identities": [identity(i) for i in identities],
        "created_at": _time(row.created_at), "updated_at": _time(row.updated_at),
        "is_anonymous": bool(row.is_anonymous),
    }
    factor_rows = [factor(f) for f in factors]
    if factor_rows:
        body["factors"] = factor_rows
    return body


def token_response(grant: Grant) -> dict:
    return {
        "access_token": grant.access_token, "token_type": "bearer", "expires_in": grant.expires_in,
        "expires_at": grant.expires_at, "refresh_token": grant.refresh_token, "user": user(grant.user),
    }
