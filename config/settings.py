"""Settings, read from the environment or `.env` (see `.env.example`)."""

import logging
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote

import environ
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE
from django.utils.dateparse import parse_datetime

from config import logs

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")

ENVIRONMENT = env.str("ENVIRONMENT", default="development")  # development | production
PRODUCTION = ENVIRONMENT == "production"

DEBUG = env.bool("DEBUG", default=not PRODUCTION)
SECRET_KEY = env.str("SECRET_KEY") if PRODUCTION else env.str("SECRET_KEY", default="dev-only-insecure-key-change-me")
# Previous SECRET_KEYs, still accepted while what they signed is replaced (Django's signing, and the
# HMAC of encrypted values until manage.py rotate_encryption_key re-signs them).
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI assets served locally, not from a CDN
    "csp",
    "pgtrigger",
    "procrastinate.contrib.django",  # background jobs: tables by migration, `manage.py procrastinate worker`
    "core",
    "accounts",
    "sessions_app",
    "partners",
    "audit",
    "chat",
    "organizations",
    "workflows",
    "privacy",
    "growth",
    "business",
]

MIDDLEWARE = [
    # /healthz and /readyz for load balancers, answered before anything else (core/health.py).
    "core.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "core.middleware.CSPMiddleware",  # django-csp's, the settings' policy built once
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "accounts.middleware.EndUserMiddleware",
    # The request's audit scope (request id, address, who acts); outside the RLS transaction below.
    "audit.middleware.AuditMiddleware",
    # Innermost: a signed-in end user's page request runs in one transaction under RLS.
    "core.middleware.RowLevelSecurityMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.end_user",
                "organizations.context_processors.organizations",
            ],
        },
    },
]

# --- Content-Security-Policy (django-csp) ---------------------------------------------------------
# Scripts only from this site or an inline <script nonce="{{ request.csp_nonce }}">: no 'unsafe-inline'
# and no 'unsafe-eval' (charts draw with vega-interpreter and Plotly's strict bundle). Styles allow
# inline ones: vega-embed, Plotly and Swagger UI add <style> elements at run time. No form-action: the
# GA4 "connect" form is answered by a redirect to Google's consent page.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],  # stored images are shown as data: URLs; Swagger UI's icons too
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
    },
}

# --- Database -------------------------------------------------------------------------------------
# No DATABASE_URL: an embedded PostgreSQL 18 under var/ (tests use a throw-away directory).
EMBEDDED_PGDATA = Path(env.str("EMBEDDED_PGDATA", default=str(BASE_DIR / "var" / "pgdata")))
EMBEDDED_EPHEMERAL = env.bool("EMBEDDED_EPHEMERAL", default=False)
if env.str("DATABASE_URL", default=""):
    _database = env.db_url("DATABASE_URL")
    # A Unix-socket directory may be given percent-encoded: postgres://user@%2Fvar%2Frun%2Fpostgresql/db
    _database["HOST"] = unquote(_database.get("HOST") or "")
else:
    from config import embedded

    _database = {"ENGINE": "django.db.backends.postgresql", **embedded.start(EMBEDDED_PGDATA, ephemeral=EMBEDDED_EPHEMERAL)}
_database["ENGINE"] = "core.db"  # PostgreSQL, plus ON DELETE actions on foreign keys (core/db)
_database["CONN_MAX_AGE"] = 0  # the pool below keeps connections
_database["CONN_HEALTH_CHECKS"] = True  # the pool checks a connection before lending it (a restart breaks them)...
# ...unless it was lent less than this many seconds ago (core.db.base.check_unless_recently_used; 0: always).
DATABASE_POOL_CHECK_IDLE = env.float("DB_POOL_CHECK_IDLE", default=1.0)
_pool_timeout = env.float("DB_POOL_TIMEOUT", default=5.0)  # bounds a request's wait while the database is down
_database["OPTIONS"] = {
    **_database.get("OPTIONS", {}),
    "pool": {
        "min_size": env.int("DB_POOL_MIN_SIZE", default=1),
        "max_size": env.int("DB_POOL_MAX_SIZE", default=8),
        "timeout": _pool_timeout,
        # psycopg retries a lost connection with a doubling delay (1, 2, 4... s) for up to
        # `reconnect_timeout` (default 5 min): after an outage of a minute the pool would try again only
        # a minute after the database is back, failing every request meanwhile. Giving up after one pool
        # timeout instead frees the slot, and the next request that finds the pool empty connects at once.
        "reconnect_timeout": _pool_timeout,
    },
}
# Prepared statements, for the hot statements sent past Django's cursor (core.statements: the token
# and API-key lookups; a list's count and page once their text comes back); Django's own queries never
# prepare. On for the embedded database and direct connections;
# off when set false, and always behind Supabase's transaction-mode pooler (port 6543), where each
# transaction may run on another server connection that never saw the statement.
DATABASE_PREPARED_STATEMENTS = env.bool("DATABASE_PREPARED_STATEMENTS", default=True) and str(_database.get("PORT") or "") != "6543"
DATABASES = {"default": _database}
# Check every reused SELECT statement against Django's own compilation (core/db/compiler.py): the tests.
SQL_CACHE_VERIFY = env.bool("SQL_CACHE_VERIFY", default=False)
# PostgreSQL allows 63-byte index names; the seeds' own names (kept so an existing Supabase schema
# matches) are longer than Django's portable 30.
SILENCED_SYSTEM_CHECKS = ["models.E034"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {
    # Shared by every app server (login throttling must hold across workers).
    "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "django_cache"},
}

# --- Health probes (core/health.py) --------------------------------------------------------------
# What GET /readyz checks: dotted paths of callables that return when ready and raise
# core.health.NotReady otherwise. Background workers add theirs here (workers heard from recently).
READINESS_CHECKS = [
    "core.health.database",
    "core.health.migrations",
    "core.jobs.workers_heard",
]

# --- Identity -------------------------------------------------------------------------------------
# Staff: Django's users (admin only). End users: Supabase auth.users (accounts.models.AuthUser).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SUPABASE_JWT_SECRET = env.str("SUPABASE_JWT_SECRET", default="" if PRODUCTION else "dev-only-jwt-secret-at-least-32-bytes-long")
SUPABASE_JWKS = env.str("SUPABASE_JWKS", default="")  # a path to a JSON file, or inline JSON
SUPABASE_URL = env.str("SUPABASE_URL", default="http://127.0.0.1:8000")  # issuer of our tokens: <url>/auth/v1
ACCESS_TOKEN_LIFETIME = timedelta(seconds=env.int("ACCESS_TOKEN_LIFETIME", default=3600))
# GoTrue's GOTRUE_SECURITY_REFRESH_TOKEN_REUSE_INTERVAL: a used refresh token replayed within this many
# seconds gets the session's current token again; later, the session is revoked as stolen.
REFRESH_TOKEN_REUSE_INTERVAL = env.int("REFRESH_TOKEN_REUSE_INTERVAL", default=10)
# Google sign-in (OpenID Connect, accounts.google): empty client id = no "Sign in with Google".
GOOGLE_OAUTH_CLIENT_ID = env.str("GOOGLE_OAUTH_CLIENT_ID", default="")
GOOGLE_OAUTH_CLIENT_SECRET = env.str("GOOGLE_OAUTH_CLIENT_SECRET", default="")
GOOGLE_OIDC_DISCOVERY_URL = env.str("GOOGLE_OIDC_DISCOVERY_URL", default="https://accounts.google.com/.well-known/openid-configuration")
# GoTrue's URI allow list: browser apps (Supabase clients) that may receive a session's tokens after an
# external sign-in, as `redirect_to` (an entry allows itself and the paths below it).
AUTH_REDIRECT_URLS = env.list("AUTH_REDIRECT_URLS", default=[])
GOOGLE_OAUTH_REDIRECT_URI = env.str("GOOGLE_OAUTH_REDIRECT_URI", default="")  # "" = this site's /auth/v1/callback
MFA_TOTP_ISSUER = env.str("MFA_TOTP_ISSUER", default="Supa monolith")  # shown in authenticator apps
# Wrong TOTP codes per MFA factor within the window (seconds), then 429.
MFA_VERIFY_THROTTLE = {"attempts": env.int("MFA_VERIFY_THROTTLE_ATTEMPTS", default=5), "window": env.int("MFA_VERIFY_THROTTLE_WINDOW", default=300)}
LOGIN_THROTTLE = {"attempts": env.int("LOGIN_THROTTLE_ATTEMPTS", default=5), "window": env.int("LOGIN_THROTTLE_WINDOW", default=900)}
# Page sign-ups per client address within the window (seconds), successful or not, then 429.
SIGNUP_THROTTLE = {"attempts": env.int("SIGNUP_THROTTLE_ATTEMPTS", default=10), "window": env.int("SIGNUP_THROTTLE_WINDOW", default=3600)}
LOGIN_URL = "accounts:login"
# Refused API keys per address within the window (seconds), then 429.
API_KEY_THROTTLE = {"attempts": env.int("API_KEY_THROTTLE_ATTEMPTS", default=20), "window": env.int("API_KEY_THROTTLE_WINDOW", default=300)}

# Keys made by the seed's SQL (bcrypt): an unknown key of their shape costs a bcrypt check per live
# legacy row, so failed checks are capped for the whole service per window (seconds), and none are
# made after API_KEY_LEGACY_UNTIL (an ISO date-time; empty: until the last legacy key expires).
API_KEY_LEGACY = {
    "until": parse_datetime(env.str("API_KEY_LEGACY_UNTIL", default="")),
    "checks": env.int("API_KEY_LEGACY_CHECKS", default=30),
    "window": env.int("API_KEY_LEGACY_WINDOW", default=300),
}

# django-cryptography: encrypts secrets at rest. Derived from SECRET_KEY unless given.
CRYPTOGRAPHY_KEY = env.str("CRYPTOGRAPHY_KEY", default=None)
# During a key rotation: the previous keys, still tried on read (docs/chat.md, "Key rotation").
CRYPTOGRAPHY_OLD_KEYS = env.list("CRYPTOGRAPHY_OLD_KEYS", default=[])

# --- Google Analytics 4 (chat credentials; docs/chat.md) ------------------------------------------
GA4_OAUTH_CLIENT_ID = env.str("GA4_OAUTH_CLIENT_ID", default="")
GA4_OAUTH_CLIENT_SECRET = env.str("GA4_OAUTH_CLIENT_SECRET", default="")
GA4_OAUTH_AUTHORIZE_URL = env.str("GA4_OAUTH_AUTHORIZE_URL", default="https://accounts.google.com/o/oauth2/v2/auth")
GA4_OAUTH_TOKEN_URL = env.str("GA4_OAUTH_TOKEN_URL", default="https://oauth2.googleapis.com/token")
GA4_OAUTH_REVOKE_URL = env.str("GA4_OAUTH_REVOKE_URL", default="https://oauth2.googleapis.com/revoke")  # "" = no revocation call
GA4_OAUTH_SCOPES = env.list("GA4_OAUTH_SCOPES", default=["https://www.googleapis.com/auth/analytics.readonly"])
GA4_OAUTH_REDIRECT_URI = env.str("GA4_OAUTH_REDIRECT_URI", default="")  # "" = this site's /chat/ga4/callback/
GA4_DATA_API_URL = env.str("GA4_DATA_API_URL", default="https://analyticsdata.googleapis.com/v1beta")
GA4_HTTP_TIMEOUT = env.float("GA4_HTTP_TIMEOUT", default=10.0)  # seconds, per request to Google
GA4_TOKEN_REFRESH_MARGIN = env.int("GA4_TOKEN_REFRESH_MARGIN", default=300)  # refresh when expiring within (s)
GA4_TOKEN_REFRESH_ATTEMPTS = env.int("GA4_TOKEN_REFRESH_ATTEMPTS", default=4)  # network errors / 5xx
GA4_TOKEN_REFRESH_BACKOFF = env.float("GA4_TOKEN_REFRESH_BACKOFF", default=0.5)  # first retry delay (s), doubling

# --- Background jobs (procrastinate; docs/jobs.md) -----------------------------------------------
# Workers: `manage.py procrastinate worker` (bin/run starts one). Tasks live in `<app>/tasks.py`.
PROCRASTINATE_WORKER_DEFAULTS = {
    "concurrency": env.int("JOBS_WORKER_CONCURRENCY", default=4),  # jobs one worker runs at once (threads)
    # A worker writes a heartbeat this often (s); one silent for JOBS_STALLED_AFTER is presumed dead
    # and its running jobs are handed to another worker (core.tasks.retry_stalled_jobs).
    "update_heartbeat_interval": env.float("JOBS_HEARTBEAT_INTERVAL", default=10.0),
    "stalled_worker_timeout": env.float("JOBS_STALLED_AFTER", default=30.0),
    # Safety net under LISTEN/NOTIFY (which wakes a worker at once): poll for due jobs this often (s).
    "fetch_job_polling_interval": env.float("JOBS_POLL_INTERVAL", default=5.0),
    "install_signal_handlers": True,
}
PROCRASTINATE_ON_APP_READY = "core.jobs.on_app_ready"  # workers reconnect quickly after a database restart
JOBS_STALLED_AFTER = PROCRASTINATE_WORKER_DEFAULTS["stalled_worker_timeout"]
# Schedules of the periodic jobs (cron, five fields, or six with seconds last), in UTC.
JOBS_SCHEDULES = {
    "cleanup_sessions": env.str("SCHEDULE_CLEANUP_SESSIONS", default="7 * * * *"),  # hourly
    "cleanup_retention": env.str("SCHEDULE_CLEANUP_RETENTION", default="23 3 * * *"),  # daily
    "refresh_ga4_tokens": env.str("SCHEDULE_REFRESH_GA4_TOKENS", default="*/5 * * * *"),  # every five minutes
    "generate_insights": env.str("SCHEDULE_GENERATE_INSIGHTS", default="41 2 * * *"),  # nightly
    "retry_stalled_jobs": env.str("SCHEDULE_RETRY_STALLED_JOBS", default="* * * * * */10"),  # every ten seconds
    "delete_old_jobs": env.str("SCHEDULE_DELETE_OLD_JOBS", default="51 4 * * *"),  # daily
    "workflow_schedules": env.str("SCHEDULE_WORKFLOW_SCHEDULES", default="* * * * *"),  # every minute
    "privacy_retention": env.str("SCHEDULE_PRIVACY_RETENTION", default="37 3 * * *"),  # daily
    "privacy_patterns": env.str("SCHEDULE_PRIVACY_PATTERNS", default="13 4 * * *"),  # daily: relationship weights decay
    "growth_rollups": env.str("SCHEDULE_GROWTH_ROLLUPS", default="*/5 * * * *"),  # every five minutes
    "record_metrics": env.str("SCHEDULE_RECORD_METRICS", default="*/5 * * * *"),  # every five minutes
}
JOBS_KEEP_FINISHED_HOURS = env.int("JOBS_KEEP_FINISHED_HOURS", default=14 * 24)  # finished jobs kept this long

# --- Analysis sessions and their typed storage (docs/sessions.md) ---------------------------------
# Quotas in bytes of the stored (serialized) values; a write over one is refused and changes nothing.
# Retention: the default time to live of a value by type, in seconds, when `set(..., ttl=None)`.
SESSION_STORAGE = {
    "MAX_VALUE_BYTES": env.int("SESSION_STORAGE_MAX_VALUE_BYTES", default=5 * 1024 * 1024),
    "MAX_SESSION_BYTES": env.int("SESSION_STORAGE_MAX_SESSION_BYTES", default=50 * 1024 * 1024),
    "MAX_USER_BYTES": env.int("SESSION_STORAGE_MAX_USER_BYTES", default=200 * 1024 * 1024),
    "RETENTION": {
        "json": env.int("SESSION_STORAGE_RETENTION_JSON", default=30 * 86400),
        "dataframe": env.int("SESSION_STORAGE_RETENTION_DATAFRAME", default=14 * 86400),
        "text": env.int("SESSION_STORAGE_RETENTION_TEXT", default=30 * 86400),
        "figure": env.int("SESSION_STORAGE_RETENTION_FIGURE", default=7 * 86400),
        "image": env.int("SESSION_STORAGE_RETENTION_IMAGE", default=7 * 86400),
    },
    "MAX_TTL": env.int("SESSION_STORAGE_MAX_TTL", default=365 * 86400),  # the longest ttl a caller may ask for
    # An analysis session expires this long after its last write, then takes no more writes.
    "SESSION_IDLE_TTL": env.int("ANALYSIS_SESSION_IDLE_TTL", default=30 * 86400),
    "CLEANUP_BATCH_SIZE": env.int("SESSION_STORAGE_CLEANUP_BATCH_SIZE", default=500),
}

# --- Audit trail (docs/audit.md) -----------------------------------------------------------------
# The generic capture of every create/update/delete made through the API, the pages and the admin.
AUDIT_CAPTURE = env.bool("AUDIT_CAPTURE", default=True)
# Models the generic capture leaves out ("app_label.ModelName"): event and log tables written by the
# system itself. A model may also opt out with `audit_capture = False`.
AUDIT_CAPTURE_EXCLUDE = env.list("AUDIT_CAPTURE_EXCLUDE", default=[
    "admin.LogEntry", "contenttypes.ContentType", "auth.Permission",
    "partners.IngestionEvent", "partners.Insight", "partners.RequestLog", "partners.SecurityEvent", "partners.DailyUsage",
])
# A failed audit write raises instead of being logged: on under pytest (PYTEST_VERSION), off in production.
AUDIT_STRICT = env.bool("AUDIT_STRICT", default=bool(env.str("PYTEST_VERSION", default="")))
AUDIT_HTTP_TIMEOUT = env.float("AUDIT_HTTP_TIMEOUT", default=10.0)  # seconds, default of audit.http_client()

# --- Workflows (docs/workflows.md) ----------------------------------------------------------------
WORKFLOW_HTTP_TIMEOUT = env.float("WORKFLOW_HTTP_TIMEOUT", default=10.0)  # seconds, an http step's call
WORKFLOW_HTTP_MAX_RESPONSE_BYTES = env.int("WORKFLOW_HTTP_MAX_RESPONSE_BYTES", default=64 * 1024)  # read at most
# Integrations may call loopback/private addresses only when this is on (tests, a private deployment).
WORKFLOW_HTTP_ALLOW_PRIVATE = env.bool("WORKFLOW_HTTP_ALLOW_PRIVATE", default=False)
WORKFLOW_WEBHOOK_RATE = {"calls": env.int("WORKFLOW_WEBHOOK_RATE_CALLS", default=60), "window": env.int("WORKFLOW_WEBHOOK_RATE_WINDOW", default=60)}
# --- Billing and feature flags (docs/business.md) --------------------------------------------------
# The signing secret of the Stripe webhook endpoint (whsec_…); empty: the webhook answers 503.
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_WEBHOOK_TOLERANCE = env.int("STRIPE_WEBHOOK_TOLERANCE", default=300)  # seconds a signed delivery stays valid

# --- API ------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.authentication.SupabaseJWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated", "accounts.permissions.MfaSatisfied"],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.PageNumberPagination",
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "core.api.negotiation.ContentNegotiation",
    "DEFAULT_FILTER_BACKENDS": ["core.api.filters.FilterBackend", "rest_framework.filters.OrderingFilter"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.errors.exception_handler",
    # Bodies are JSON only, read by one parser (core.jsontext: depth, numbers, surrogates). Forms
    # cannot carry JSON's types: every value is text, and Django skips multipart parts it cannot read.
    "DEFAULT_PARSER_CLASSES": ["core.api.parsers.JSONParser"],
    # DRF's JSON, written by orjson where it writes the same bytes (core/api/renderers.py).
    "DEFAULT_RENDERER_CLASSES": ["core.api.renderers.JSONRenderer", "rest_framework.renderers.BrowsableAPIRenderer"]
    if DEBUG
    else ["core.api.renderers.JSONRenderer"],
    "UNAUTHENTICATED_USER": None,
}
# The client address of throttles, logs and the audit trail (core.netaddr.client_ip): REMOTE_ADDR,
# unless proxies you run sit in front of the app. Then say how many (each appends to
# X-Forwarded-For) or which networks they are in; never both needed.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
SPECTACULAR_SETTINGS = {
    "TITLE": "Supa monolith API",
    "DESCRIPTION": "End users authenticate with `Authorization: Bearer <Supabase access token>` "
    "(get one from `POST /api/v1/auth/token`).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api.openapi.add_error_responses",
        "core.api.openapi.forbid_nul_in_query",
        "core.api.openapi.require_bodies_with_required_fields",
    ],
    # Choice sets whose field names collide with another app's (a chat message's `role`).
    "ENUM_NAME_OVERRIDES": {"OrganizationRoleEnum": "organizations.models.Role"},
}

# Request bodies: a 5 MiB ingestion batch (partners.ingest.MAX_BODY_BYTES) must be readable.
DATA_UPLOAD_MAX_MEMORY_SIZE = 6 * 1024 * 1024

# --- Pages, static files, i18n --------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
WHITENOISE_USE_FINDERS = DEBUG  # production serves what collectstatic gathered
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Stateless app servers: sessions and flash messages live in signed cookies, not in a table that the
# RLS role would need to reach.
SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
SESSION_COOKIE_HTTPONLY = True
MESSAGE_STORAGE = "django.contrib.messages.storage.cookie.CookieStorage"

# --- Production hardening (manage.py check --deploy is clean) -------------------------------------
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# --- Error reporting (config/sentry.py): on when SENTRY_DSN is set; no personal data, secrets scrubbed.
SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    from config import sentry

    sentry.init(SENTRY_DSN, environment=env.str("SENTRY_ENVIRONMENT", default="") or ENVIRONMENT,
                release=env.str("SENTRY_RELEASE", default=""), traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0))

# JSON lines with the request id, user id and route in production; readable lines in development
# (config/logs.py; gunicorn's access log takes the same JSON shape).
LOG_FORMAT = env.str("LOG_FORMAT", default="") or ("json" if PRODUCTION else "text")  # json | text
LOGGING = logs.django_logging(json=LOG_FORMAT == "json", level=env.str("LOG_LEVEL", default="INFO" if PRODUCTION else "WARNING"))
if LOG_FORMAT == "json":
    logging.captureWarnings(True)  # Python's warnings as log records, not bare lines between them
