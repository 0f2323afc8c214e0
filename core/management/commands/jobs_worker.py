"""A background worker that outlives database outages.

    manage.py jobs_worker [--concurrency N] [--queues chat,maintenance,...]

procrastinate's worker (`manage.py procrastinate worker`) stops when it loses its database (its
LISTEN connection fails, and it shuts down by design, for a process manager to restart it). This
command is that process manager in-process: it runs the worker, and when the worker stops by itself
or cannot start (PostgreSQL restarting), it starts it again after `RESTART_DELAY` seconds, until
SIGTERM or SIGINT, which stop it gracefully (running jobs finish). A job the lost worker was running
is handed on once its heartbeat is stale (core.tasks.retry_stalled_jobs).
"""

import asyncio
import contextlib
import logging
import signal

import psycopg
from django.core.management.base import BaseCommand
from procrastinate.contrib.django import app, utils

logger = logging.getLogger(__name__)

RESTART_DELAY = 1.0


class Command(BaseCommand):
    help = "Run a background worker (procrastinate), started again after a database outage."

    def add_arguments(self, parser):
        parser.add_argument("--concurrency", type=int, help="Jobs run at once (default: JOBS_WORKER_CONCURRENCY).")
        parser.add_argument("--queues", default="", help="Comma-separated queues (default: every queue).")

    def handle(self, *args, concurrency=None, queues="", **options):
        worker_options = {"install_signal_handlers": False}
        if concurrency:
            worker_options["concurrency"] = concurrency
        if queues:
            worker_options["queues"] = [name.strip() for name in queues.split(",") if name.strip()]
        with app.replace_connector(app.connector.get_worker_connector()):
            asyncio.run(self.supervise(worker_options))

    async def supervise(self, worker_options: dict) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        while not stop.is_set():
            try:
                # The pool opens only on a database that answers: opened while PostgreSQL is still
                # restarting, its connection attempts give up and it waits out its 30 s opening timeout.
                await self._database_answers()
                async with app.open_async():
                    worker = asyncio.create_task(app.run_worker_async(**worker_options))
                    stopping = asyncio.create_task(stop.wait())
                    await asyncio.wait({worker, stopping}, return_when=asyncio.FIRST_COMPLETED)
                    if stop.is_set():
                        worker.cancel()  # graceful: procrastinate lets running jobs finish
                        with contextlib.suppress(asyncio.CancelledError):
                            await worker
                        return
                    stopping.cancel()
                    worker.result()  # raises what stopped it, if anything
                    logger.warning("the worker stopped by itself (lost its database?): starting it again")
            except Exception as exc:  # the database is away: try again shortly
                logger.warning("the worker stopped: %s: starting it again in %s s", str(exc).strip() or type(exc).__name__, RESTART_DELAY)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), RESTART_DELAY)

    @staticmethod
    async def _database_answers() -> None:
        """One throw-away connection and `SELECT 1`; raises while the database is away."""
        params = utils.connector_params("default")
        async with await psycopg.AsyncConnection.connect(**params, connect_timeout=max(1, int(RESTART_DELAY * 2))) as conn:
            await conn.execute("SELECT 1")
