from django.db import migrations, models

from accounts import bootstrap


def forwards(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        bootstrap.apply(cursor)  # idempotent: adds auth.sessions (and its type) where absent


class Migration(migrations.Migration):
    """Supabase Auth's `auth.sessions`, created only where absent (never reversed, as 0001)."""

    dependencies = [
        ("accounts", "0002_authuser"),
    ]

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False),
        migrations.CreateModel(
            name="AuthSession",
            fields=[
                ("id", models.UUIDField(primary_key=True, serialize=False)),
                ("created_at", models.DateTimeField(blank=True, null=True)),
                ("updated_at", models.DateTimeField(blank=True, null=True)),
                ("factor_id", models.UUIDField(blank=True, null=True)),
                ("aal", models.CharField(blank=True, max_length=8, null=True)),
                ("not_after", models.DateTimeField(blank=True, null=True)),
                ("refreshed_at", models.DateTimeField(blank=True, null=True)),
                ("user_agent", models.TextField(blank=True, null=True)),
                ("ip", models.GenericIPAddressField(blank=True, null=True)),
                ("tag", models.TextField(blank=True, null=True)),
                ("user", models.ForeignKey(db_constraint=False, on_delete=models.DO_NOTHING, related_name="+", to="accounts.authuser")),
            ],
            options={"verbose_name": "end-user session", "db_table": '"auth"."sessions"', "managed": False},
        ),
    ]
