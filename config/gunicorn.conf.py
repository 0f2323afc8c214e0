"""gunicorn settings for production: `gunicorn -c config/gunicorn.conf.py config.wsgi`.

Read from the environment (and `.env`, as the Django settings do); every variable is in .env.example."""

import multiprocessing
import os
from pathlib import Path

import environ

from config import logs

environ.Env.read_env(Path(__file__).resolve().parent.parent / ".env")

bind = os.environ.get("GUNICORN_BIND") or "0.0.0.0:8000"
# Sync workers: each request holds one pooled connection inside one transaction.
workers = int(os.environ.get("GUNICORN_WORKERS") or multiprocessing.cpu_count() * 2 + 1)
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT") or 30)
graceful_timeout = 20
keepalive = 5
max_requests = 5000  # recycle workers now and then
max_requests_jitter = 500
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None  # empty: no access log
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS") or "127.0.0.1"

# The access log in the application's shape: JSON lines in production (config/logs.py), gunicorn's
# own text otherwise. The message leaves the query string out: it may carry what a client should not.
_production = os.environ.get("ENVIRONMENT", "development") == "production"
loglevel = (os.environ.get("LOG_LEVEL") or ("info" if _production else "warning")).lower()
if (os.environ.get("LOG_FORMAT") or ("json" if _production else "text")) == "json" and accesslog == "-":
    access_log_format = "%(m)s %(U)s %(s)s"
    logconfig_dict = logs.gunicorn_logging(level=loglevel.upper())
