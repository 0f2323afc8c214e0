"""Shared fixtures: end users in auth.users, their tokens, and API and page clients acting as them."""

import itertools
import uuid

import psycopg
import pytest
from django.conf import settings
from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.db import connection
from django.test import Client, RequestFactory
from rest_framework.test import APIClient

from accounts import services, sessions, tokens
from accounts.middleware import AUTH_SESSION_KEY, HASH_KEY, SESSION_KEY

PASSWORD = "correct-horse-battery-staple"
_counter = itertools.count(1)


@pytest.fixture
def make_user(db):
    """make_user(email=None, password=PASSWORD, **auth_users_columns) → an auth.users row made the
    way sign-up makes it."""

    def make(email=None, password=PASSWORD, **fields):
        user = services.sign_up(email or f"user{next(_counter)}@example.com", password)
        if fields:
            for name, value in fields.items():
                setattr(user, name, value)
            user.save(update_fields=list(fields))
        return user

    return make


@pytest.fixture
def committed_db(transactional_db):
    """A transactional database, for tests whose rows other connections must see (threads, a live
    server, code committing on a connection of its own). auth.users is unmanaged, so the flush after
    the test leaves its rows: the end users this test made are deleted afterwards, and what they own
    goes with them (ON DELETE CASCADE)."""
    from accounts.models import AuthUser

    before = set(AuthUser.objects.values_list("pk", flat=True))
    yield
    AuthUser.objects.exclude(pk__in=before).delete()


@pytest.fixture
def user_a(make_user):
    return make_user("alice@example.com")


@pytest.fixture
def user_b(make_user):
    return make_user("bob@example.com")


def token_for(user) -> str:
    """An access token of a new `auth.sessions` row of `user` (no refresh token, no audit row)."""
    return tokens.issue(user, session=sessions.start(user))["access_token"]


def api_client(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")
    return client


def page_client(user=None) -> Client:
    """A browser-like client, signed in to the pages as `user` (no password round trip)."""
    client = Client()
    if user is not None:
        session = SessionStore()
        session[SESSION_KEY] = str(user.id)
        session[AUTH_SESSION_KEY] = str(sessions.start(user, RequestFactory().get("/")).id)
        session[HASH_KEY] = services.session_hash(user)
        session.save()
        client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    return client


@pytest.fixture
def api():
    return api_client


@pytest.fixture
def pages():
    return page_client


@pytest.fixture
def scratch_database(db):
    """A new, empty database on the test server, dropped afterwards."""
    params = connection.get_connection_params()
    server = {k: params[k] for k in ("host", "port", "user") if params.get(k)}
    name = f"scratch_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        with psycopg.connect(dbname=name, autocommit=True, **server) as conn:
            yield conn
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.fixture
def workers():
    """workers(env=..., queues=..., concurrency=...) starts a real worker process on the test
    database (tests/jobs/workers.py); all are stopped, and the job tables emptied, afterwards."""
    from tests.jobs.workers import Worker, clear_queue

    started = []

    def start(**options):
        started.append(Worker(**options).start())
        return started[-1]

    yield start
    for worker in started:
        worker.stop()
    clear_queue()
