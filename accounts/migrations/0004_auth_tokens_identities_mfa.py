import django.db.models.deletion
from django.db import migrations, models

from accounts import bootstrap


def forwards(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        bootstrap.apply(cursor)  # idempotent: adds refresh_tokens, identities and the MFA tables where absent


def unmanaged(name, fields, table, **options):
    return migrations.CreateModel(name=name, fields=fields, options={"db_table": table, "managed": False, **options})


class Migration(migrations.Migration):
    """Supabase Auth's `auth.refresh_tokens`, `auth.identities`, `auth.mfa_factors`, `auth.mfa_challenges`
    and `auth.mfa_amr_claims`, created only where absent (never reversed, as 0001)."""

    dependencies = [
        ("accounts", "0003_authsession"),
    ]

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False),
        unmanaged("RefreshToken", [
            ("instance_id", models.UUIDField(blank=True, null=True)),
            ("id", models.BigAutoField(primary_key=True, serialize=False)),
            ("token", models.CharField(blank=True, max_length=255, null=True, unique=True)),
            ("user_id", models.CharField(blank=True, max_length=255, null=True)),
            ("revoked", models.BooleanField(blank=True, null=True)),
            ("created_at", models.DateTimeField(blank=True, null=True)),
            ("updated_at", models.DateTimeField(blank=True, null=True)),
            ("parent", models.CharField(blank=True, max_length=255, null=True)),
            ("session", models.ForeignKey(db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name="+", to="accounts.authsession")),
        ], '"auth"."refresh_tokens"'),
        unmanaged("Identity", [
            ("id", models.UUIDField(primary_key=True, serialize=False)),
            ("provider_id", models.TextField()),
            ("identity_data", models.JSONField()),
            ("provider", models.TextField()),
            ("last_sign_in_at", models.DateTimeField(blank=True, null=True)),
            ("created_at", models.DateTimeField(blank=True, null=True)),
            ("updated_at", models.DateTimeField(blank=True, null=True)),
            ("user", models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name="+", to="accounts.authuser")),
        ], '"auth"."identities"'),
        unmanaged("MfaFactor", [
            ("id", models.UUIDField(primary_key=True, serialize=False)),
            ("friendly_name", models.TextField(blank=True, null=True)),
            ("factor_type", models.CharField(max_length=16)),
            ("status", models.CharField(max_length=16)),
            ("created_at", models.DateTimeField()),
            ("updated_at", models.DateTimeField()),
            ("secret", models.TextField(blank=True, null=True)),
            ("last_challenged_at", models.DateTimeField(blank=True, null=True)),
            ("user", models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name="+", to="accounts.authuser")),
        ], '"auth"."mfa_factors"'),
        unmanaged("MfaChallenge", [
            ("id", models.UUIDField(primary_key=True, serialize=False)),
            ("created_at", models.DateTimeField()),
            ("verified_at", models.DateTimeField(blank=True, null=True)),
            ("ip_address", models.GenericIPAddressField()),
            ("factor", models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name="+", to="accounts.mfafactor")),
        ], '"auth"."mfa_challenges"'),
        unmanaged("MfaAmrClaim", [
            ("id", models.UUIDField(primary_key=True, serialize=False)),
            ("created_at", models.DateTimeField()),
            ("updated_at", models.DateTimeField()),
            ("authentication_method", models.TextField()),
            ("session", models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name="+", to="accounts.authsession")),
        ], '"auth"."mfa_amr_claims"'),
    ]
