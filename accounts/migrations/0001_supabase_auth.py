from django.db import migrations

from accounts import bootstrap


def forwards(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        bootstrap.apply(cursor)


class Migration(migrations.Migration):
    """Creates what Supabase would have, only where absent; on Supabase itself it changes nothing.
    Never reversed: `auth` belongs to Supabase Auth, not to this app."""

    initial = True
    dependencies = []

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False),
    ]
