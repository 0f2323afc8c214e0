"""OAuth credentials for the Google Analytics 4 Data API (seed 003: `ga4_credentials`).

The tokens are encrypted by django-cryptography in Python, before they reach PostgreSQL: the table,
its WAL, a dump and the admin only ever hold ciphertext. Nothing outside `chat.ga4` reads them.
"""

from django.contrib.postgres.fields import ArrayField
from django.core.validators import RegexValidator
from django.db import models
from django_cryptography.fields import encrypt

from accounts.tenancy import tenant_for
from core.models import OwnedModel, choices_check

# A GA4 property id is a number ("123456789"); the API also names it "properties/123456789".
property_id_validator = RegexValidator(r"^[0-9]{1,20}\Z", "A GA4 property id is a number of up to 20 digits, e.g. 123456789.")


class CredentialStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    NEEDS_REAUTH = "needs_reauth", "Needs reconnecting"
    REVOKED = "revoked", "Revoked"


class GA4Credential(OwnedModel):
    """One user's authorization to read one GA4 property."""

    Status = CredentialStatus

    # A connection is the user's own Google grant, one per user and property whatever organization is
    # active: it lives in the user's personal organization (tenant_for(user) without a request, set on
    # save, CHECK below), and the user's chats in any organization may read it. Never from a client.
    tenant_id = models.UUIDField(editable=False)
    property_id = models.CharField(max_length=20, validators=[property_id_validator])
    property_name = models.CharField("display name", max_length=255, blank=True, default="", db_default="")
    refresh_token = encrypt(models.TextField(null=True, blank=True))
    access_token = encrypt(models.TextField(null=True, blank=True))
    token_expiry = models.DateTimeField(null=True, blank=True)
    scopes = ArrayField(models.TextField(), default=list, blank=True)
    status = models.CharField(max_length=20, choices=Status, default=Status.ACTIVE, db_default=Status.ACTIVE)
    last_refreshed_at = models.DateTimeField(null=True, blank=True)
    # The built-in demo property (chat.ga4.demo): synthetic reports, never Google. Set only by
    # `manage.py load_demo`; a credential connected through Google is never one (credentials.store
    # clears it), and one never holds tokens (CHECK below).
    is_demo = models.BooleanField(default=False, db_default=False, editable=False)

    class Meta(OwnedModel.Meta):
        db_table = "ga4_credentials"
        verbose_name = "GA4 credential"
        ordering = ["property_name", "property_id"]
        constraints = [
            # Led by user_id: also the index of "my credentials" and of the row-level security policy.
            models.UniqueConstraint(fields=["user", "property_id"], name="ga4_credentials_user_property_key"),
            # The personal organization's id is its user's (organizations.models.Organization).
            models.CheckConstraint(condition=models.Q(tenant_id=models.F("user")), name="ga4_credentials_tenant_personal"),
            choices_check("status", CredentialStatus, "ga4_credentials_status_check"),
            models.CheckConstraint(
                condition=models.Q(is_demo=False) | models.Q(refresh_token__isnull=True, access_token__isnull=True),
                name="ga4_credentials_demo_has_no_tokens",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant_id", "user"], name="idx_ga4_credentials_tenant_user"),
            # refresh_ga4_tokens: active credentials by expiry.
            models.Index(fields=["token_expiry"], condition=models.Q(status="active"), name="idx_ga4_credentials_active_expiry"),
        ]

    def __str__(self):
        return f"{self.property_name} ({self.property_id})" if self.property_name else self.property_id

    def save(self, *args, **kwargs):
        self.tenant_id = tenant_for(self.user_id)
        super().save(*args, **kwargs)

    @property
    def resource_name(self) -> str:
        """The property as the GA4 Data API names it."""
        return f"properties/{self.property_id}"
