"""Supabase's `auth.users`, mapped read-mostly. Supabase Auth owns this table on a real project; the
app never copies users into a table of its own (see seed 004: a `public.users` copy broke every FK)."""

from django.db import models
from django.utils import timezone


class AuthUser(models.Model):
    """An end user. Columns and types are Supabase Auth's (`auth.users`); `confirmed_at` is a generated
    column there and is not mapped."""

    instance_id = models.UUIDField(null=True, blank=True)
    id = models.UUIDField(primary_key=True)
    aud = models.CharField(max_length=255, null=True, blank=True)
    role = models.CharField(max_length=255, null=True, blank=True)
    email = models.CharField(max_length=255, null=True, blank=True)
    encrypted_password = models.CharField(max_length=255, null=True, blank=True)
    email_confirmed_at = models.DateTimeField(null=True, blank=True)
    invited_at = models.DateTimeField(null=True, blank=True)
    # Supabase Auth reads these as strings: rows it did not write must hold '' rather than NULL.
    confirmation_token = models.CharField(max_length=255, null=True, blank=True, default="")
    recovery_token = models.CharField(max_length=255, null=True, blank=True, default="")
    email_change_token_new = models.CharField(max_length=255, null=True, blank=True, default="")
    email_change = models.CharField(max_length=255, null=True, blank=True, default="")
    last_sign_in_at = models.DateTimeField(null=True, blank=True)
    raw_app_meta_data = models.JSONField(null=True, blank=True)
    raw_user_meta_data = models.JSONField(null=True, blank=True)
    is_super_admin = models.BooleanField(null=True, blank=True)
    created_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)
    phone = models.TextField(null=True, blank=True)
    phone_confirmed_at = models.DateTimeField(null=True, blank=True)
    banned_until = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    is_sso_user = models.BooleanField(default=False)
    is_anonymous = models.BooleanField(default=False)  # Supabase's anonymous sign-in, not Django's notion

    class Meta:
        managed = False
        db_table = '"auth"."users"'
        verbose_name = "end user"
        ordering = ["-created_at"]

    def __str__(self):
        return self.email or self.phone or str(self.id)

    # Enough of Django's user protocol for DRF's IsAuthenticated and for templates.
    is_authenticated = True

    def refusal(self) -> str | None:
        """Why this user may not sign in or call the API now, or None."""
        if self.deleted_at is not None:
            return "deleted"
        if self.banned_until is not None and self.banned_until > timezone.now():
            return "banned"
        return None


class AuthSession(models.Model):
    """A sign-in: Supabase Auth's `auth.sessions`. A page login is one; signing out deletes it, as
    GoTrue's logout does, so a copy of the session cookie made before stops working."""

    id = models.UUIDField(primary_key=True)
    user = models.ForeignKey(AuthUser, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    created_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)
    factor_id = models.UUIDField(null=True, blank=True)
    aal = models.CharField(max_length=8, null=True, blank=True)  # auth.aal_level: aal1 | aal2 | aal3
    not_after = models.DateTimeField(null=True, blank=True)
    refreshed_at = models.DateTimeField(null=True, blank=True)  # timestamp without time zone there
    user_agent = models.TextField(null=True, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    tag = models.TextField(null=True, blank=True)

    class Meta:
        managed = False
        db_table = '"auth"."sessions"'
        verbose_name = "end-user session"
