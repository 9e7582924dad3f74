"""Settings for Pipeline CRM, read from the environment.

Production values are the default: DEBUG is off, cookies are secure and HSTS is on unless
DEBUG=true is set explicitly (``make run`` does that for the demo). A bad value fails at
start-up rather than at the first request.
"""

import datetime as dt
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
env.read_env(BASE_DIR / ".env")  # optional; real environment variables win

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "template_partials",
    "axes",
    "core",
    "crm",
    "accounts",
    "contacts",
    "pipeline",
    "forecasting",
    "crm.imports",
    "crm.webhooks",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "crm.security.ContentSecurityPolicyMiddleware",
    # Serves collected static files from gunicorn, so the image needs no separate web server.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.UserTimezoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: turns a refused sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "crm.urls"
WSGI_APPLICATION = "crm.wsgi.application"
ASGI_APPLICATION = "crm.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "crm.context_processors.project_pages",
            ],
        },
    },
]

# SQLite keeps the demo zero-configuration; PostgreSQL (DATABASE_URL=postgres://...) is the
# production database and what CI runs against.
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # PostgreSQL compiles a statement it thinks costly to machine code first, and here the
    # compiling is the cost: a report's statements over a few hundred thousand rows spent
    # 250 to 290 ms of their 300 ms in JIT at 963,000 deals. A URL's own options win.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE makes writers take the lock at BEGIN, so concurrent demo users queue instead
    # of failing with "database is locked" half way through a transaction.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20}
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out username or address before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Internationalisation: times are stored in UTC and shown in the user's own time zone.
LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="en")
LANGUAGES = [
    ("en", _("English")),
    ("de", _("German")),
    ("it", _("Italian")),
    ("id", _("Indonesian")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Hashed, compressed file names: browsers may cache them forever.
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# The currency a deal gets when none is given (ISO 4217).
DEFAULT_CURRENCY = env.str("DEFAULT_CURRENCY", default="EUR")

REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=REDIS_URL)
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=30 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=25 * 60)
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# The nightly jobs (crm.nightly) run every day at NIGHTLY_AT, "HH:MM" in TIME_ZONE.
NIGHTLY_AT = env.str("NIGHTLY_AT", default="02:00")
try:
    _nightly_at = dt.time.fromisoformat(NIGHTLY_AT)
except ValueError:
    raise ImproperlyConfigured(f"NIGHTLY_AT must look like 02:00, not {NIGHTLY_AT!r}.") from None
CELERY_BEAT_SCHEDULE = {
    "run-nightly": {
        "task": "crm.run_nightly",
        "schedule": crontab(hour=_nightly_at.hour, minute=_nightly_at.minute),
    },
}

# Django's cache holds the API's rate-limit counters: with several web processes it must be
# shared, so it is Redis whenever REDIS_URL is set (docker-compose sets it); the demo, with
# one process and no Redis, keeps it in memory. CACHE_URL overrides both.
CACHES = {
    "default": env.cache_url(
        "CACHE_URL", default=REDIS_URL if "REDIS_URL" in env.ENVIRON else "locmemcache://"
    ),
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # First, so that a request without credentials gets 401 and WWW-Authenticate.
        "accounts.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON bodies nested deeper than any request needs are refused (400), not recursed into.
    "DEFAULT_PARSER_CLASSES": [
        "core.api.parsers.DepthLimitedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "core.api.listing.StableOrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.api.listing.CursorPage",
    # Documents the answers every list and body share (core/api/schema.py).
    "DEFAULT_SCHEMA_CLASS": "core.api.schema.ApiAutoSchema",
    # Services raise Django's ValidationError and PermissionDenied; answer them as 400/403.
    "EXCEPTION_HANDLER": "core.api.errors.api_exception_handler",
    # Per API token (else per user, else per address): a short burst and a daily allowance.
    "DEFAULT_THROTTLE_CLASSES": [
        "accounts.api.throttling.SustainedRateThrottle",
        "accounts.api.throttling.BurstRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "burst": env.str("API_RATE_BURST", default="120/min"),
        "sustained": env.str("API_RATE_SUSTAINED", default="5000/day"),
    },
}

# OpenAPI schema at /api/schema/, docs at /api/docs/ from vendored Swagger UI files.
SPECTACULAR_SETTINGS = {
    "TITLE": "Pipeline CRM API",
    "DESCRIPTION": (
        "Deals, leads, contacts, companies, activity and forecasts of Pipeline CRM. Every "
        "endpoint shows and changes only what the signed-in user may: a record outside "
        "that answers 404. Authenticate with an API token (`Authorization: Bearer <key>`) "
        "or the browser session (unsafe methods then need the CSRF token)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/",
    # Separate request and response components: read-only fields appear in responses only.
    "COMPONENT_SPLIT_REQUEST": True,
    # The API reads form bodies too (the browsable API sends them) but documents JSON only.
    "PARSER_WHITELIST": ["core.api.parsers.DepthLimitedJSONParser"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        # A deal's status and a stage's kind are one set of choices: open, won, lost.
        "DealStateEnum": "pipeline.models.OpportunityStatus",
        "LeadStatusEnum": "contacts.models.LeadStatus",
        "TouchpointKindEnum": "pipeline.models.TouchpointKind",
        "NotificationKindEnum": "accounts.models.NotificationKind",
        "CustomFieldKindEnum": "core.custom_fields.kinds.FieldKind",
    },
}

# Outgoing webhooks. Deliveries go to public addresses only, so that a webhook URL cannot
# reach services on the internal network; DEBUG (and tests) may allow private ones.
WEBHOOK_ALLOW_PRIVATE_HOSTS = env.bool("WEBHOOK_ALLOW_PRIVATE_HOSTS", default=DEBUG)
WEBHOOK_TIMEOUT = env.float("WEBHOOK_TIMEOUT", default=5.0)  # seconds per attempt
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=6)
WEBHOOK_RETRY_BASE_SECONDS = env.int("WEBHOOK_RETRY_BASE_SECONDS", default=30)

EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Pipeline CRM <crm@localhost>")
# Where links in e-mails (the daily digest) point: the address users open the app at.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)

# Security: strict by default, relaxed only by DEBUG=true for local development.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_ENGINE = "accounts.sessions"
# The site's own 403 for a failed CSRF check: Django's has an inline <style> the CSP blocks.
CSRF_FAILURE_VIEW = "crm.security.csrf_failure"
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)

# Failed sign-ins (login page and admin alike) are counted per username and per client
# address, in the database, which every web process shares (accounts/login_throttle.py).
# 10 per username stops guessing one account's password after a handful of tries; an
# address gets 30, so that colleagues behind one office address who mistype do not lock
# each other out, while one password sprayed over many usernames is still cut off. Both
# last until 15 minutes have passed without another failure.
LOGIN_FAILURE_LIMITS = {"username": 10, "ip_address": 30}
AXES_LOCKOUT_PARAMETERS = list(LOGIN_FAILURE_LIMITS)
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMITS["username"]
AXES_COOLOFF_TIME = dt.timedelta(minutes=15)
AXES_HANDLER = "accounts.login_throttle.LoginThrottleHandler"
AXES_LOCKOUT_CALLABLE = "accounts.views.sign_in.locked_out"
# The admin's trail of sign-ins goes back this many days; the nightly run deletes the rest.
SIGN_IN_RECORDS_KEPT_DAYS = env.int("SIGN_IN_RECORDS_KEPT_DAYS", default=90)
AXES_VERBOSE = False  # no banner on every manage.py command; failures are still logged

# The client's address, for the login throttle and the API's per-address rate limit. Each
# reverse proxy appends the address it got the request from to X-Forwarded-For, so behind
# TRUSTED_PROXY_COUNT of them the client is that many entries from the right. With 0 the
# header, which anyone can send, is ignored and REMOTE_ADDR is the client.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT must be 0 or more.")
REST_FRAMEWORK["NUM_PROXIES"] = TRUSTED_PROXY_COUNT
AXES_IPWARE_META_PRECEDENCE_ORDER: tuple[str, ...]
if TRUSTED_PROXY_COUNT:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
    # ipware counts the proxies listed in the header: all but the nearest, whose address is
    # REMOTE_ADDR. Not strict: entries left of the client's are the client's own, ignored.
    AXES_IPWARE_PROXY_COUNT = TRUSTED_PROXY_COUNT - 1
    IPWARE_STRICT = False
else:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
