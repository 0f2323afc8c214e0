"""The token service against the loopback Google: refresh before expiry, one refresh for concurrent
callers, rotated refresh tokens kept, invalid_grant → needs_reauth after one call, bounded retries
for slow and failing endpoints."""

import io
import threading
import time
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.utils import timezone

import audit
from chat.ga4.tokens import NeedsReauth, TokenRefreshFailed, get_access_token
from chat.models import GA4Credential
from tests.chat.loopback import Reply

pytestmark = pytest.mark.usefixtures("committed_db")  # the refresh commits on a connection of its own


def stored(credential) -> GA4Credential:
    return GA4Credential.objects.get(pk=credential.pk)


def test_a_fresh_token_is_returned_without_calling_the_provider(google, user_a, make_credential):
    credential = make_credential(user_a, expires_in=3600)
    assert get_access_token(credential) == credential.access_token
    assert google.calls["token"] == 0


def test_a_token_expiring_within_the_margin_is_refreshed_and_stored(google, settings, user_a, make_credential):
    settings.GA4_TOKEN_REFRESH_MARGIN = 300
    credential = make_credential(user_a, expires_in=120)
    old_access, refresh_token = credential.access_token, credential.refresh_token

    token = get_access_token(credential)

    assert token != old_access and google.is_valid_access_token(token)
    assert google.calls["token"] == 1
    (call,) = google.requests_to("token")
    assert call.form["grant_type"] == "refresh_token" and call.form["refresh_token"] == refresh_token
    row = stored(credential)
    assert row.access_token == token == credential.access_token
    assert row.refresh_token == refresh_token  # this provider does not rotate: ours is kept
    assert row.token_expiry > timezone.now() + timedelta(minutes=50)
    assert row.last_refreshed_at is not None
    assert get_access_token(row) == token and google.calls["token"] == 1


def test_a_rotated_refresh_token_is_stored(google, user_a, make_credential):
    google.rotate_refresh_tokens = True
    credential = make_credential(user_a, expires_in=0)
    first = credential.refresh_token

    get_access_token(credential)

    row = stored(credential)
    assert row.refresh_token != first
    assert google.is_valid_refresh_token(row.refresh_token) and not google.is_valid_refresh_token(first)


def test_concurrent_callers_refresh_once(google, user_a, make_credential):
    """Two threads, each with its own database connection, ask for a token of one expired credential
    at once, against a provider that rotates refresh tokens (a second refresh with the old token
    would be refused and cost the grant)."""
    google.rotate_refresh_tokens = True
    google.delay["token"] = 0.5  # the first refresh is still running when the second caller arrives
    credential = make_credential(user_a, expires_in=0)
    first_refresh_token = credential.refresh_token
    barrier = threading.Barrier(2)
    results, errors = [], []

    def caller():
        try:
            own = GA4Credential.objects.get(pk=credential.pk)  # this thread's own connection
            barrier.wait()
            results.append(get_access_token(own))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=caller) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert not errors, errors
    assert google.calls["token"] == 1
    assert len(results) == 2 and results[0] == results[1]
    row = stored(credential)
    assert row.status == "active" and row.access_token == results[0]
    assert google.is_valid_refresh_token(row.refresh_token) and row.refresh_token != first_refresh_token


def test_invalid_grant_marks_needs_reauth_after_exactly_one_call(google, user_a, make_credential):
    credential = make_credential(user_a, expires_in=0)
    google._grants[credential.refresh_token].revoked = True  # the user withdrew access at Google

    with pytest.raises(NeedsReauth):
        get_access_token(credential)

    assert google.calls["token"] == 1
    row = stored(credential)
    assert row.status == "needs_reauth" and row.refresh_token is None and row.access_token is None
    with pytest.raises(NeedsReauth):  # no second call, from this object or a fresh one
        get_access_token(credential)
    with pytest.raises(NeedsReauth):
        get_access_token(row)
    assert google.calls["token"] == 1


def test_server_errors_are_retried_with_backoff(google, user_a, make_credential):
    credential = make_credential(user_a, expires_in=0)
    google.script("token", Reply(503, {"error": "backend_error"}), Reply(500, b"oops"))

    token = get_access_token(credential)

    assert google.calls["token"] == 3
    assert google.is_valid_access_token(token)


def test_temporarily_unavailable_is_retried(google, user_a, make_credential):
    credential = make_credential(user_a, expires_in=0)
    google.script("token", Reply(400, {"error": "temporarily_unavailable"}))
    assert google.is_valid_access_token(get_access_token(credential))
    assert google.calls["token"] == 2


def test_a_failing_endpoint_gives_up_after_the_configured_attempts(google, settings, user_a, make_credential):
    settings.GA4_TOKEN_REFRESH_ATTEMPTS = 3
    settings.GA4_TOKEN_REFRESH_BACKOFF = 0.05
    credential = make_credential(user_a, expires_in=0)
    google.script("token", *[Reply(503, {"error": "backend_error"})] * 5)

    started = time.monotonic()
    with pytest.raises(TokenRefreshFailed, match="3 times"):
        get_access_token(credential)
    elapsed = time.monotonic() - started

    assert google.calls["token"] == 3
    assert 0.15 <= elapsed < 2.0  # backoff 0.05 + 0.10, no more
    row = stored(credential)
    assert row.status == "active" and row.refresh_token == credential.refresh_token  # nothing lost


def test_a_slow_endpoint_times_out_within_the_bound(google, settings, user_a, make_credential):
    settings.GA4_HTTP_TIMEOUT = 0.3
    settings.GA4_TOKEN_REFRESH_ATTEMPTS = 2
    settings.GA4_TOKEN_REFRESH_BACKOFF = 0.05
    credential = make_credential(user_a, expires_in=0)
    google.script("token", Reply(hang=True, hang_seconds=3), Reply(hang=True, hang_seconds=3))

    started = time.monotonic()
    with pytest.raises(TokenRefreshFailed, match="Timeout"):
        get_access_token(credential)
    elapsed = time.monotonic() - started

    assert google.calls["token"] == 2
    assert 0.6 <= elapsed < 2.0  # two read timeouts of 0.3 s and one backoff, not the 3 s hang


def test_an_unreachable_endpoint_fails_after_bounded_attempts(google, settings, user_a, make_credential):
    credential = make_credential(user_a, expires_in=0)
    settings.GA4_OAUTH_TOKEN_URL = "http://127.0.0.1:9/token"  # discard port: connection refused
    with pytest.raises(TokenRefreshFailed, match="ConnectError"):
        get_access_token(credential)
    assert stored(credential).status == "active"


def test_another_refusal_is_not_retried(google, user_a, make_credential):
    credential = make_credential(user_a, expires_in=0)
    google.script("token", Reply(401, {"error": "invalid_client", "error_description": "The OAuth client was not found."}))
    with pytest.raises(TokenRefreshFailed, match="invalid_client"):
        get_access_token(credential)
    assert google.calls["token"] == 1
    assert stored(credential).status == "active"


def test_a_refresh_survives_the_callers_rollback(google, user_a, make_credential):
    """A rotated refresh token must not be lost with a request that fails afterwards."""
    google.rotate_refresh_tokens = True
    credential = make_credential(user_a, expires_in=0)
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            get_access_token(credential)
            raise RuntimeError("the request failed after the refresh")
    row = stored(credential)
    assert row.refresh_token == credential.refresh_token and google.is_valid_refresh_token(row.refresh_token)


@pytest.mark.parametrize("status", ["needs_reauth", "revoked"])
def test_an_inactive_credential_needs_reauth_without_a_call(google, user_a, make_credential, status):
    credential = make_credential(user_a, expires_in=3600, status=status)
    with pytest.raises(NeedsReauth):
        get_access_token(credential)
    assert google.calls["token"] == 0


def test_a_credential_revoked_meanwhile_is_not_refreshed(google, user_a, make_credential):
    """The row is read again under the lock: a stale object does not resurrect a revoked credential."""
    credential = make_credential(user_a, expires_in=0)
    GA4Credential.objects.filter(pk=credential.pk).update(status="revoked", refresh_token=None, access_token=None)
    with pytest.raises(NeedsReauth):
        get_access_token(credential)
    assert google.calls["token"] == 0
    assert credential.status == "revoked" and credential.refresh_token is None


# --- manage.py refresh_ga4_tokens ------------------------------------------------------------------


def run_refresh(*args):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("refresh_ga4_tokens", *args, stdout=out, stderr=err)
    except CommandError as error:
        return out.getvalue(), err.getvalue(), error
    return out.getvalue(), err.getvalue(), None


def test_refresh_command_refreshes_what_expires_within_the_window(google, user_a, user_b, make_credential):
    soon = make_credential(user_a, "1", expires_in=60)
    later = make_credential(user_a, "2", expires_in=1200)
    far = make_credential(user_b, "3", expires_in=7200)
    gone = make_credential(user_b, "4", expires_in=30)
    google._grants[gone.refresh_token].revoked = True
    make_credential(user_b, "5", expires_in=10, status="revoked", refresh_token=None)

    out, err, error = run_refresh("--within", "1800")

    assert error is None, err
    assert "3 credential(s) expiring within 1800 s: 2 refreshed, 0 already fresh, 1 need reconnecting, 0 failed." in out
    assert "GA4 tokens: 100%" in err  # the progress bar
    assert google.calls["token"] == 3
    assert stored(soon).access_token != soon.access_token and stored(later).access_token != later.access_token
    assert stored(far).access_token == far.access_token
    assert stored(gone).status == "needs_reauth"


def test_refresh_command_reports_failures_with_a_nonzero_exit(google, settings, user_a, make_credential):
    make_credential(user_a, expires_in=60)
    google.script("token", *[Reply(503)] * 3)
    out, err, error = run_refresh("--within", "600", "--no-progress")
    assert error is not None and "1 failed" in str(error)
    assert google.calls["token"] == 3


def test_refresh_command_with_nothing_due(google, user_a, make_credential):
    make_credential(user_a, expires_in=7200)
    out, err, error = run_refresh("--within", "60")
    assert error is None and "0 credential(s) expiring within 60 s" in out
    assert google.calls["token"] == 0


def test_a_row_locked_by_the_callers_own_transaction_fails_instead_of_hanging(google, settings, user_a, make_credential):
    """The refresh waits for the row lock at most as long as a refresh can take (here 1 × 4 × 0.1 s
    of timeouts + 5 s), then gives up: a caller that locked the row itself cannot hang forever."""
    settings.GA4_HTTP_TIMEOUT, settings.GA4_TOKEN_REFRESH_ATTEMPTS = 0.1, 1
    credential = make_credential(user_a, expires_in=0)
    started = time.monotonic()
    with transaction.atomic():
        GA4Credential.objects.select_for_update().get(pk=credential.pk)
        with pytest.raises(TokenRefreshFailed, match="could not be locked"):
            get_access_token(credential)
    assert 5 <= time.monotonic() - started < 8
    assert google.calls["token"] == 0


def test_needs_reauth_is_in_the_audit_trail_even_when_the_caller_rolls_back(google, user_a, make_credential):
    from audit.models import AuditLog

    credential = make_credential(user_a, expires_in=0)
    google._grants[credential.refresh_token].revoked = True
    with audit.context("command"):  # a request or a job: its durable rows outlive a rollback
        with pytest.raises(NeedsReauth):
            with transaction.atomic():
                get_access_token(credential)
    log = AuditLog.objects.get(action="ga4_credential.needs_reauth")
    assert (log.user_id, log.resource_id) == (user_a.pk, str(credential.pk))
    assert log.details["reason"] == "the provider refused the refresh token (invalid_grant)"
