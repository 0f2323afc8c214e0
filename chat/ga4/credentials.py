"""Storing and revoking GA4 credentials: the one place that writes their tokens (besides the refresh
in `chat.ga4.tokens`). Used by the OAuth callback page and by the credential sync endpoint."""

import logging
import re
from datetime import datetime

from django.db import transaction

import audit
from accounts.tenancy import tenant_for
from chat.ga4 import oauth
from chat.models import GA4Credential

logger = logging.getLogger(__name__)

PROPERTY_PREFIX = re.compile(r"^\s*properties/")


def normalize_property_id(value: str) -> str:
    """`properties/123` (the Data API's name) and `123` name the same property."""
    return PROPERTY_PREFIX.sub("", value).strip()


def store(
    user,
    *,
    property_id: str,
    property_name: str | None,
    access_token: str | None,
    refresh_token: str | None,
    token_expiry: datetime | None,
    scopes: list[str] | None,
) -> tuple[GA4Credential, bool]:
    """Insert or update the user's credential for the property in one statement (INSERT ... ON
    CONFLICT (user_id, property_id) DO UPDATE), active again. The tenant is derived here, never
    taken from the caller: the user's personal organization (`tenant_for(user)`, no request), whatever
    organization is active — a connection is the user's own, one per property (models.credentials). A refresh token left out keeps the stored one (Google sends it only on
    consent). A credential connected through Google is never the demo property's (`is_demo`
    cleared). Returns (credential, created)."""
    existing = GA4Credential.objects.filter(user=user, property_id=property_id).values("refresh_token", "property_name").first()
    row = GA4Credential(
        user=user,
        tenant_id=tenant_for(user),
        property_id=property_id,
        property_name=property_name if property_name is not None else (existing or {}).get("property_name", ""),
        access_token=access_token,
        refresh_token=refresh_token or (existing or {}).get("refresh_token"),
        token_expiry=token_expiry,
        scopes=list(scopes or []),
        status=GA4Credential.Status.ACTIVE,
        is_demo=False,
    )
    GA4Credential.objects.bulk_create(
        [row],
        update_conflicts=True,
        unique_fields=["user", "property_id"],
        update_fields=["tenant_id", "property_name", "access_token", "refresh_token", "token_expiry", "scopes", "status", "is_demo"],
    )
    credential = GA4Credential.objects.get(user=user, property_id=property_id)
    audit.record(
        "ga4_credential.connected" if existing is None else "ga4_credential.reconnected",
        resource_type="ga4_credential",
        resource_id=str(credential.pk),
        details={"property_id": property_id, "scopes": list(scopes or [])},
        user=user,
    )
    return credential, existing is None


def store_tokens(user, *, property_id: str, property_name: str, tokens: oauth.TokenSet) -> tuple[GA4Credential, bool]:
    return store(
        user,
        property_id=property_id,
        property_name=property_name,
        access_token=tokens.access_token,
        refresh_token=tokens.refresh_token,
        token_expiry=tokens.expiry,
        scopes=tokens.scopes,
    )


def revoke(credential: GA4Credential) -> None:
    """Delete the tokens (status `revoked`, encrypted columns null) and, once that is committed,
    ask the provider to revoke the grant; a failure there is logged, not raised."""
    token = credential.refresh_token or credential.access_token
    GA4Credential.objects.filter(pk=credential.pk).update(
        status=GA4Credential.Status.REVOKED, refresh_token=None, access_token=None, token_expiry=None
    )
    credential.status, credential.refresh_token, credential.access_token, credential.token_expiry = (
        GA4Credential.Status.REVOKED, None, None, None,
    )
    audit.record(
        "ga4_credential.revoked",
        resource_type="ga4_credential",
        resource_id=str(credential.pk),
        details={"property_id": credential.property_id, "provider_revocation": bool(token and oauth.revocation_configured())},
        user=credential.user_id,
    )
    if token:
        transaction.on_commit(lambda: oauth.revoke(token))
