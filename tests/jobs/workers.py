"""Real workers for tests: `manage.py procrastinate worker` in a subprocess, on the test database.

The worker reads the same settings as the test (config.settings_test) pointed at the test database
by DATABASE_URL, plus whatever a test passes as environment (the loopback Google's URLs, short
schedules). Its heartbeat and the stalled-worker timeout are short here so a killed worker's job is
handed on within seconds. What the test asserts must be committed: use `committed_db`.
"""

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import psycopg
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
FAST = {
    "JOBS_HEARTBEAT_INTERVAL": "0.5",
    "JOBS_STALLED_AFTER": "2",
    "JOBS_POLL_INTERVAL": "1",
    "SCHEDULE_RETRY_STALLED_JOBS": "* * * * * *",  # every second
}


def database_url() -> str:
    params = connection.get_connection_params()
    host = quote(params["host"], safe="")
    return f"postgres://{params['user']}@{host}/{params['dbname']}"


def connect() -> psycopg.Connection:
    """A connection of the test's own (the connection role, autocommit), to watch what workers do."""
    params = connection.get_connection_params()
    return psycopg.connect(host=params["host"], user=params["user"], dbname=params["dbname"], autocommit=True)


class Worker:
    def __init__(self, env: dict | None = None, queues: tuple = (), concurrency: int = 2):
        settings_env = {key: (",".join(value) if isinstance(value, list) else str(value)) for key, value in (env or {}).items()}
        self.env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings_test", "DATABASE_URL": database_url(), **FAST, **settings_env}
        self.env.pop("EMBEDDED_PGDATA", None)
        self.command = [sys.executable, "manage.py", "jobs_worker", f"--concurrency={concurrency}"]
        if queues:
            self.command.append(f"--queues={','.join(queues)}")
        self.process = None

    def start(self) -> "Worker":
        self.output = tempfile.TemporaryFile()  # a file, not a pipe: a full pipe would block the worker's logging
        self.process = subprocess.Popen(self.command, cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=self.output,
                                        start_new_session=True)
        return self

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        self.stop()
        self.output.seek(0)
        return self.output.read().decode(errors="replace")[-20000:]


def wait_for(predicate, timeout: float = 20.0, interval: float = 0.05, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"{what}: not within {timeout} s")


def clear_queue() -> None:
    """The job tables are not Django's to flush (unmanaged): empty them after a test with workers."""
    with connect() as conn:
        conn.execute("TRUNCATE procrastinate_events, procrastinate_periodic_defers, procrastinate_jobs, procrastinate_workers")
