"""The system checks, through the real `manage.py check`: each error id is raised by the misconfiguration
it names, and a plain `check` (no `--database`) needs no database."""

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import connection

from core.checks import AUTH_USERS_TABLE, owned_models, owner_of
from sessions_app.models import DraftFile


def check(*args):
    call_command("check", *args, verbosity=0)


def check_database():
    check("--database", "default")


def execute(sql):
    with connection.cursor() as cursor:
        cursor.execute(sql)


def test_every_owned_model_reaches_auth_users():
    assert owned_models()
    for model in owned_models():
        if getattr(model, "owner_path", None):  # the others say how they scope (OwnedQuerySet.visible_to)
            assert owner_of(model, model.owner_path)._meta.db_table == AUTH_USERS_TABLE


def test_plain_check_passes_without_touching_the_database():
    check()  # no django_db mark: pytest-django refuses any database access here


@pytest.mark.django_db
def test_database_check_passes_on_the_migrated_database():
    check_database()


def test_owner_path_to_another_model_is_core_e001(monkeypatch):
    monkeypatch.setattr(DraftFile, "owner_path", "session")
    with pytest.raises(SystemCheckError, match=r"core\.E001.*leads to sessions_app\.ResearchSession"):
        check()


def test_owner_path_through_a_plain_column_is_core_e001(monkeypatch):
    monkeypatch.setattr(DraftFile, "owner_path", "file_name__user")
    with pytest.raises(SystemCheckError, match=r"core\.E001.*leads to nothing"):
        check()


def test_owned_queryset_without_owner_path_is_core_e002(monkeypatch):
    monkeypatch.setattr(DraftFile, "owner_path", None)
    with pytest.raises(SystemCheckError, match=r"core\.E002.*sessions_app\.DraftFile"):
        check()


@pytest.mark.django_db
def test_owned_table_without_row_security_is_core_e010():
    execute("ALTER TABLE draft_files DISABLE ROW LEVEL SECURITY")
    check()  # the database tag only runs when asked for
    with pytest.raises(SystemCheckError, match=r"core\.E010.*draft_files"):
        check_database()


@pytest.mark.django_db
def test_owned_table_without_a_policy_is_core_e011():
    execute("DROP POLICY draft_files_session_owner ON draft_files")
    with pytest.raises(SystemCheckError, match=r"core\.E011.*draft_files"):
        check_database()


@pytest.mark.django_db
def test_auth_users_missing_a_mapped_column_is_accounts_e001():
    execute("ALTER TABLE auth.users RENAME COLUMN is_anonymous TO anonymous")
    check()
    with pytest.raises(SystemCheckError, match=r"accounts\.E001.*is_anonymous"):
        check_database()


@pytest.mark.django_db
def test_foreign_key_to_another_users_table_is_accounts_e002():
    execute("CREATE TABLE public.users (id uuid PRIMARY KEY)")
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT conname FROM pg_constraint
            WHERE conrelid = 'ga4_credentials'::regclass AND contype = 'f' AND confrelid = 'auth.users'::regclass""")
        (name,) = cursor.fetchone()
    execute(f'ALTER TABLE ga4_credentials DROP CONSTRAINT "{name}"')
    execute("ALTER TABLE ga4_credentials ADD CONSTRAINT wrong_fk FOREIGN KEY (user_id) REFERENCES public.users (id)")
    with pytest.raises(SystemCheckError, match=r"accounts\.E002.*ga4_credentials\.user_id references users"):
        check_database()
