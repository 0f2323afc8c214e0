"""The pool's health check (core.db.base.check_unless_recently_used): a connection lent less than
DATABASE_POOL_CHECK_IDLE seconds ago goes out without the check's round trip; one idle longer is
checked, and a broken one is then refused (psycopg_pool replaces it)."""

import psycopg
import pytest
from django.db import connection

from core.db.base import check_unless_recently_used

pytestmark = pytest.mark.django_db


@pytest.fixture
def raw():
    conn = psycopg.connect(**{k: v for k, v in connection.get_connection_params().items() if k != "context"}, autocommit=True)
    yield conn
    conn.close()


def test_the_pool_checks_with_it():
    assert connection.pool is not None
    assert connection.pool._check is check_unless_recently_used


def test_a_connection_lent_moments_ago_is_not_checked(raw, settings):
    settings.DATABASE_POOL_CHECK_IDLE = 60
    check_unless_recently_used(raw)  # never lent: checked, and fine
    raw.close()
    check_unless_recently_used(raw)  # lent a moment ago: no round trip, so nothing notices


def test_an_idle_connection_is_checked_and_a_broken_one_refused(raw, settings):
    settings.DATABASE_POOL_CHECK_IDLE = 60
    check_unless_recently_used(raw)
    settings.DATABASE_POOL_CHECK_IDLE = 0  # as if it had been idle longer than the setting
    raw.close()
    with pytest.raises(psycopg.OperationalError):
        check_unless_recently_used(raw)
