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


class RefreshToken(models.Model):
    """Supabase Auth's `auth.refresh_tokens`: one row per refresh token of a session, each used once
    (`revoked` once exchanged, `parent` the token it replaced). `token` and `parent` hold SHA-256
    digests, never the tokens themselves (see accounts.sessions)."""

    instance_id = models.UUIDField(null=True, blank=True)
    id = models.BigAutoField(primary_key=True)
    token = models.CharField(max_length=255, null=True, blank=True, unique=True)
    user_id = models.CharField(max_length=255, null=True, blank=True)  # varchar there, not a foreign key
    revoked = models.BooleanField(null=True, blank=True)
    created_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)
    parent = models.CharField(max_length=255, null=True, blank=True)
    session = models.ForeignKey(AuthSession, on_delete=models.DO_NOTHING, db_constraint=False, null=True, related_name="+")

    class Meta:
        managed = False
        db_table = '"auth"."refresh_tokens"'


class Identity(models.Model):
    """Supabase Auth's `auth.identities`: how a user signs in (provider `email`, `google`…);
    `email` is a generated column there and is not mapped."""

    id = models.UUIDField(primary_key=True)
    provider_id = models.TextField()
    user = models.ForeignKey(AuthUser, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    identity_data = models.JSONField()
    provider = models.TextField()
    last_sign_in_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        managed = False
        db_table = '"auth"."identities"'


class MfaFactor(models.Model):
    """Supabase Auth's `auth.mfa_factors` (TOTP here). `secret` is the TOTP seed, as GoTrue keeps it:
    never serialised, logged or listed."""

    id = models.UUIDField(primary_key=True)
    user = models.ForeignKey(AuthUser, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    friendly_name = models.TextField(null=True, blank=True)
    factor_type = models.CharField(max_length=16)  # auth.factor_type: totp | webauthn | phone
    status = models.CharField(max_length=16)  # auth.factor_status: unverified | verified
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    secret = models.TextField(null=True, blank=True)
    last_challenged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        managed = False
        db_table = '"auth"."mfa_factors"'


class MfaChallenge(models.Model):
    """Supabase Auth's `auth.mfa_challenges`: one per challenge request, verified at most once."""

    id = models.UUIDField(primary_key=True)
    factor = models.ForeignKey(MfaFactor, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    created_at = models.DateTimeField()
    verified_at = models.DateTimeField(null=True, blank=True)
    ip_address = models.GenericIPAddressField()

    class Meta:
        managed = False
        db_table = '"auth"."mfa_challenges"'


class MfaAmrClaim(models.Model):
    """Supabase Auth's `auth.mfa_amr_claims`: how a session was authenticated (password, totp…),
    the source of the access token's `amr` claim."""

    id = models.UUIDField(primary_key=True)
    session = models.ForeignKey(AuthSession, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    authentication_method = models.TextField()

    class Meta:
        managed = False
        db_table = '"auth"."mfa_amr_claims"'
