"""Production mode: `manage.py check --deploy` is clean and required settings are enforced."""

import os
import secrets
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def database_url() -> str:
    params = connection.get_connection_params()
    return f"postgres://{params['user']}@{quote(params['host'], safe='')}/{params['dbname']}"


def manage(*args, **env):
    environment = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "EMBEDDED_PGDATA"}}
    environment.update(env)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120)


PRODUCTION = {
    "ENVIRONMENT": "production",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "app.example.com",
    "SUPABASE_JWT_SECRET": secrets.token_urlsafe(32),
}


def test_check_deploy_is_clean_in_production(db):
    result = manage("check", "--deploy", "--fail-level", "WARNING", DATABASE_URL=database_url(), **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key(db):
    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    result = manage("check", DATABASE_URL=database_url(), **env)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_check_fails_on_a_wrong_auth_users(scratch_database):
    """Seed 004: a `users` table of another shape must stop the app (`check --database`, and `migrate`
    before it runs), not hide behind IF NOT EXISTS."""
    scratch_database.execute("CREATE SCHEMA auth; CREATE TABLE auth.users (id uuid PRIMARY KEY, email text, name text)")
    url = database_url().rsplit("/", 1)[0] + "/" + scratch_database.info.dbname
    result = manage("check", "--database", "default", DATABASE_URL=url, **PRODUCTION)
    assert result.returncode == 1
    assert "accounts.E001" in result.stderr and "encrypted_password" in result.stderr
