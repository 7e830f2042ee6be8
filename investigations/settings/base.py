"""Settings shared by every environment; every address comes from the environment."""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE

from investigations.queues import TASK_ROUTES
from investigations.settings.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))

SECRET_KEY = env_str("SECRET_KEY", "dev-only-insecure-secret-key-change-me")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "axes",
    "csp",
    "investigations",
    "frontend",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "investigations.middleware.LoginRequiredEverywhere",
    "investigations.middleware.NoStoreWhenSignedIn",
    "investigations.middleware.RenewIdleSession",
    "axes.middleware.AxesMiddleware",  # last: turns a lockout into its answer
]

# Login throttling (django-axes): after LOGIN_FAILURE_LIMIT wrong passwords for one user name from one address,
# that pair is locked out for LOGIN_LOCKOUT_MINUTES (HTTP 429), on the app's login and /admin/login/ alike.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False  # no start-up banner in every command and worker
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

ROOT_URLCONF = "investigations.urls"
WSGI_APPLICATION = "investigations.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "frontend.context.roles",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=60,
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Celery workers and the web app write concurrently: wait for the lock instead of failing, take the write lock
    # when a transaction starts (a read transaction that later writes cannot wait for a lock another writer holds:
    # SQLite fails it at once with "database is locked"), and let readers read while one process writes (WAL).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 30, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# A session ends after SESSION_IDLE_SECONDS without a request (requests renew it, at most once a minute: see
# investigations.middleware.RenewIdleSession), and with the browser.
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_SECONDS", 8 * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"

# --- Neo4j -------------------------------------------------------------------------------------
NEO4J_URI = env_str("NEO4J_URI", "bolt://127.0.0.1:7687")
NEO4J_USER = env_str("NEO4J_USER", "neo4j")
NEO4J_PASSWORD = env_str("NEO4J_PASSWORD", "neo4j-dev-password")
NEO4J_DATABASE = env_str("NEO4J_DATABASE", "neo4j")

# --- Celery ------------------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL)
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", REDIS_URL)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A broker outage does not cancel running jobs: an ingest or detection keeps working through a Redis restart and
# acknowledges its message when it ends (jobs are idempotent, so a redelivery finds them done).
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = TASK_ROUTES
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 7200)}
# A detection run's graph lock expires this long after its worker stops renewing it (a killed worker).
DETECTION_LOCK_TTL_SECONDS = env_int("DETECTION_LOCK_TTL_SECONDS", 120)
CELERY_TIMEZONE = "UTC"

# --- Shared cache (Redis): cluster-page aggregates shared by every web process -------------------------
CACHE_URL = env_str("CACHE_URL", REDIS_URL)
CLUSTER_CACHE_SECONDS = env_int("CLUSTER_CACHE_SECONDS", 6 * 3600)
CLUSTER_WARM_COUNT = env_int("CLUSTER_WARM_COUNT", 20)
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": CACHE_URL,
        "KEY_PREFIX": "hydra-watch",
        "TIMEOUT": CLUSTER_CACHE_SECONDS,
    }
}

# --- Graph explorer ----------------------------------------------------------------------------
# The explorer asks before expanding an entity more accounts than this hold, then draws them a page at a time.
EXPLORER_SUPERNODE_ACCOUNTS = env_int("EXPLORER_SUPERNODE_ACCOUNTS", 500)
EXPLORER_EXPAND_PAGE = env_int("EXPLORER_EXPAND_PAGE", 200)

# --- Indicator exchange with partners (TAXII 2.1) ----------------------------------------------
# Partners' tools fetch what cases published, and send their own indicators, at /taxii2/ with a partner token
# (`manage.py create_partner`, `issue_partner_token`); see README "Indicator exchange with partners".
TAXII_TITLE = env_str("TAXII_TITLE", "Hydra Watch indicator exchange")
TAXII_CONTACT = env_str("TAXII_CONTACT", "")
TAXII_API_ROOT = env_str("TAXII_API_ROOT", "hydra")  # the one API root's path segment: /taxii2/<root>/
TAXII_PAGE_SIZE = env_int("TAXII_PAGE_SIZE", 100)  # objects per page when the client gives no limit
TAXII_MAX_PAGE_SIZE = env_int("TAXII_MAX_PAGE_SIZE", 1000)
TAXII_MAX_CONTENT_LENGTH = env_int("TAXII_MAX_CONTENT_LENGTH", 2 * 1024 * 1024)  # bytes of one POST
TAXII_MAX_OBJECTS = env_int("TAXII_MAX_OBJECTS", 1000)  # objects in one envelope or uploaded bundle
TAXII_RATE = env_str("TAXII_RATE", "300/min")  # requests per partner token (DRF throttle on the shared cache)
PARTNER_TOKEN_TTL_DAYS = env_int("PARTNER_TOKEN_TTL_DAYS", 90)
PARTNER_MATCH_MAX_ACCOUNTS = env_int("PARTNER_MATCH_MAX_ACCOUNTS", 5000)  # accounts matched per reported entity

# --- Ingest ------------------------------------------------------------------------------------
INGEST_ROOT = Path(env_str("INGEST_ROOT", str(VAR_DIR / "drops")))
INGEST_CHUNK_ROWS = env_int("INGEST_CHUNK_ROWS", 200_000)
INGEST_SESSION_BATCH_ROWS = env_int("INGEST_SESSION_BATCH_ROWS", 2_500)

# --- REST API ----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "knox.auth.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
# Content-Security-Policy (django-csp) on every answer: scripts only from our own origin (Plotly, charts.js and the
# other page scripts are static files; figure data travels as json_script blocks, which are not executed), no
# plugins, no framing, forms post only to us. Styles allow 'unsafe-inline': Plotly writes its own style rules and
# inline style attributes at run time, and styles cannot run code.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", NONCE],  # the nonce only where a page asks for one: the case report
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# API tokens (django-rest-knox): only a SHA-512 digest is stored; each token expires API_TOKEN_TTL_HOURS after it
# is issued (`manage.py create_token`) and is revoked by `manage.py revoke_tokens`. Sent as `Authorization: Token …`.
API_TOKEN_TTL_HOURS = env_int("API_TOKEN_TTL_HOURS", 30 * 24)
REST_KNOX = {"TOKEN_TTL": timedelta(hours=API_TOKEN_TTL_HOURS), "AUTO_REFRESH": False, "AUTH_HEADER_PREFIX": "Token"}
SPECTACULAR_SETTINGS = {
    "TITLE": "Hydra Watch API",
    "DESCRIPTION": "Clusters, accounts, cases and jobs of the account-network investigation platform.",
    "VERSION": "0.1.0",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Swagger UI served from the sidecar package: nothing from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}
# Choice sets that share a field name (`kind`, `status`) get their own schema names.
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] = {  # type: ignore[assignment]
    **SPECTACULAR_SETTINGS.get("ENUM_NAME_OVERRIDES", {}),  # type: ignore[dict-item]
    "AttachmentKindEnum": "investigations.models.cases.AttachmentKind",
    "IndicatorKindEnum": "investigations.models.cases.IndicatorKind",
    "CaseStatusEnum": "investigations.models.cases.CaseStatus",
    "ProposalStatusEnum": "investigations.models.cases.ProposalStatus",
    "JobStatusEnum": "investigations.models.jobs.JobStatus",
    "ClusterStatusEnum": "investigations.selectors.queue.ClusterStatus",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"neo4j": {"level": "WARNING"}},
}
