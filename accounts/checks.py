"""`manage.py check --database default` (and `migrate`, before it runs) verifies the live `auth.users`
against what the app maps, and that every foreign key of ours to an end user really points at
`auth.users` (seed 004: a `public.users` table with another shape hid behind CREATE TABLE IF NOT EXISTS
and took the foreign keys with it). Tagged `database`, so a plain `manage.py check` needs no database."""

from django.apps import apps
from django.core import checks
from django.db import DatabaseError, connections

from accounts.models import AuthUser

AUTH_USERS = "auth.users"


def _user_foreign_keys():
    for model in apps.get_models():
        if not model._meta.managed:
            continue
        for field in model._meta.local_fields:
            if field.is_relation and field.related_model is AuthUser and field.db_constraint:
                yield model, field


@checks.register(checks.Tags.database)
def check_auth_users(app_configs=None, databases=None, **kwargs):
    errors = []
    for alias in databases or ():
        errors.extend(_check_database(connections[alias]))
    return errors


def _check_database(connection):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT to_regclass('auth.users') IS NOT NULL")
            if not cursor.fetchone()[0]:
                return []  # a new database: the accounts migration creates it
            cursor.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = 'auth' AND table_name = 'users'"
            )
            live = {row[0] for row in cursor.fetchall()}
            errors = []
            missing = sorted({f.column for f in AuthUser._meta.local_fields} - live)
            if missing:
                errors.append(
                    checks.Error(
                        f"auth.users lacks the column(s) {', '.join(missing)} that accounts.AuthUser maps.",
                        hint="auth.users must be Supabase Auth's table. Another table of that name, or an old "
                        "Supabase Auth, cannot serve as the identity of end users.",
                        obj=AuthUser,
                        id="accounts.E001",
                    )
                )
            errors.extend(_check_foreign_keys(cursor))
            return errors
    except DatabaseError as exc:
        return [checks.Warning(f"Could not inspect auth.users: {exc}".strip(), id="accounts.W001")]


def _check_foreign_keys(cursor):
    errors = []
    for model, field in _user_foreign_keys():
        cursor.execute(
            """
            SELECT c.confrelid::regclass::text
            FROM pg_constraint c
            JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
            WHERE c.contype = 'f' AND c.conrelid = to_regclass(%s) AND a.attname = %s
            """,
            [model._meta.db_table, field.column],
        )
        targets = [row[0] for row in cursor.fetchall()]
        if not targets:
            continue  # table not migrated yet
        wrong = [t for t in targets if t != AUTH_USERS]
        if wrong:
            errors.append(
                checks.Error(
                    f"{model._meta.db_table}.{field.column} references {', '.join(wrong)}, not {AUTH_USERS}.",
                    hint="Rows owned by end users must reference auth.users(id); recreate the constraint.",
                    obj=field,
                    id="accounts.E002",
                )
            )
    return errors
