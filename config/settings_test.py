"""Settings for the test suite: the embedded PostgreSQL lives in a throw-away directory."""

import os

if not os.environ.get("DATABASE_URL"):
    from config.embedded import ephemeral_dir

    os.environ.setdefault("EMBEDDED_PGDATA", str(ephemeral_dir()))
    os.environ.setdefault("EMBEDDED_EPHEMERAL", "true")

from config.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # staff users in tests only
STATIC_ROOT = None  # static files come from the finders; nothing is collected for tests
WHITENOISE_USE_FINDERS = True
# The suite signs many users up from 127.0.0.1; the throttle's own test sets a small budget.
SIGNUP_THROTTLE = {"attempts": 10_000, "window": 3600}
WORKFLOW_HTTP_ALLOW_PRIVATE = True  # the workflow tests serve their endpoints on loopback
STRIPE_WEBHOOK_SECRET = "whsec_test_secret_for_the_suite"  # tests sign their billing events with it
SQL_CACHE_VERIFY = True  # every reused statement is compared with a fresh compilation (core/db/compiler.py)
