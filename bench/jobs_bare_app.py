"""procrastinate's own bare worker for bench/jobs: a plain `procrastinate.App` on a psycopg connector,
no Django, with a no-op task of the same name as the project's (`core.noop`).

    DATABASE_URL=... python -m procrastinate --app=jobs_bare_app.app worker --queues=bench
"""

import os

from procrastinate import App, PsycopgConnector

app = App(connector=PsycopgConnector(conninfo=os.environ["DATABASE_URL"]))


@app.task(name="core.noop")
async def noop() -> None:
    pass
