"""Settings for Sprintolike, read from the environment with safe defaults.

The defaults give a newcomer a working app with nothing installed (SQLite, the django-q2 ORM
broker, a local PagerDuty stand-in). Production sets DJANGO_DEBUG=0, DJANGO_SECRET_KEY,
DJANGO_ALLOWED_HOSTS, CREDENTIALS_ENCRYPTION_KEYS, DATABASE_URL and REDIS_URL; every variable is
listed in the README.
"""

import base64
import hashlib
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", default=False)

SECRET_KEY = env("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("Set DJANGO_SECRET_KEY (or DJANGO_DEBUG=1 for development).")
    SECRET_KEY = "development-only-secret-key-never-use-in-production"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_q",
    "csp",
    "tenants",
    "integrations",
    "checks",
    "incidents",
    "access",
    "spend",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "sprintolike.urls"
WSGI_APPLICATION = "sprintolike.wsgi.application"

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
                "tenants.context_processors.organization",
            ],
        },
    },
]

# Databases: SQLite by default so a newcomer needs nothing; PostgreSQL through DATABASE_URL.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
# Behind pgbouncer in transaction-pooling mode server-side cursors must be off.
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env_bool(
    "DATABASE_DISABLE_SERVER_SIDE_CURSORS"
)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server and the django-q2 worker write at the same time: WAL and an IMMEDIATE
    # transaction mode turn "database is locked" errors into short waits.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
# PostgreSQL's JIT compiles a query whose estimated cost is high before running it: on a page's
# query of a few milliseconds it added over a second (bench.pages). Off by default; behind a
# pooler that rejects startup options, set this to "" and `ALTER ROLE ... SET jit = off` instead.
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and (
    postgres_options := env("DATABASE_POSTGRES_OPTIONS", "-c jit=off")
):
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = postgres_options

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL")

# The cache holds login and invitation throttles, so every web process must see the same one:
# Redis when REDIS_URL is set, else a database table (created by `migrate`, see tenants 0003).
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "sprintolike_cache",
            # Django culls a third of the entries past MAX_ENTRIES (300 by default): an attacker
            # trying many addresses could evict the counters that throttle them.
            "OPTIONS": {"MAX_ENTRIES": env_int("DATABASE_CACHE_MAX_ENTRIES", 100_000)},
        }
    }

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# django-allauth: email + password, mandatory verification, TOTP MFA, throttled logins.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_ADAPTER = "tenants.adapters.AccountAdapter"
# Failed sign-ins (password or MFA code) are counted per client IP and per account, so one
# account cannot be guessed at from many addresses and one address cannot try many accounts.
ACCOUNT_RATE_LIMITS = {
    "login_failed": "20/5m/ip,5/5m/key",
    "signup": "20/h/ip",
    "reset_password": "10/h/ip,5/h/key",
    "confirm_email": "1/3m/key",
}
# Behind proxies the client IP is not REMOTE_ADDR. TRUSTED_PROXY_COUNT is how many proxies you
# run that append to X-Forwarded-For (0: trust no header); or TRUSTED_CLIENT_IP_HEADER names the
# header your proxy sets to the client IP (X-Real-IP, CF-Connecting-IP). Never set either to
# more than you run: a client could then choose the IP its failures are counted against.
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
ALLAUTH_TRUSTED_CLIENT_IP_HEADER = env("TRUSTED_CLIENT_IP_HEADER") or None
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
# TOTP secrets and recovery seeds are encrypted at rest with CREDENTIALS_ENCRYPTION_KEYS.
MFA_ADAPTER = "tenants.adapters.MFAAdapter"
MFA_TOTP_ISSUER = "Sprintolike"
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"

# Invitation emails: at most this many per organisation per hour and per address per day.
INVITATIONS_PER_ORG_PER_HOUR = env_int("INVITATIONS_PER_ORG_PER_HOUR", 50)
INVITATIONS_PER_EMAIL_PER_DAY = env_int("INVITATIONS_PER_EMAIL_PER_DAY", 3)

EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Sprintolike <no-reply@sprintolike.local>")

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env("DJANGO_STATIC_ROOT", str(BASE_DIR / "staticfiles")))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env("DJANGO_MEDIA_ROOT", str(BASE_DIR / "media")))
# Uploaded compliance evidence: private, served only through org-scoped views; never publish it.
EVIDENCE_ROOT = Path(env("EVIDENCE_ROOT", str(BASE_DIR / "var" / "evidence")))
# With a bucket, evidence goes to private S3-compatible object storage (django-storages), so
# every machine sees it; the access key may also come from the usual AWS environment or role.
EVIDENCE_S3_BUCKET = env("EVIDENCE_S3_BUCKET")
EVIDENCE_S3_ENDPOINT_URL = env("EVIDENCE_S3_ENDPOINT_URL")
EVIDENCE_S3_REGION = env("EVIDENCE_S3_REGION")
EVIDENCE_S3_ACCESS_KEY_ID = env("EVIDENCE_S3_ACCESS_KEY_ID")
EVIDENCE_S3_SECRET_ACCESS_KEY = env("EVIDENCE_S3_SECRET_ACCESS_KEY")
EVIDENCE_S3_PREFIX = env("EVIDENCE_S3_PREFIX", "evidence")
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Security: production (DEBUG off) passes `manage.py check --deploy`.
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", True)


def _development_credentials_key() -> str:
    digest = hashlib.sha256(f"credentials:{SECRET_KEY}".encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()


# Fernet keys for credentials at rest; the first encrypts, every key decrypts (rotation).
CREDENTIALS_ENCRYPTION_KEYS = env_list("CREDENTIALS_ENCRYPTION_KEYS")
if not CREDENTIALS_ENCRYPTION_KEYS:
    if not DEBUG:
        raise ImproperlyConfigured("Set CREDENTIALS_ENCRYPTION_KEYS (comma-separated Fernet keys).")
    CREDENTIALS_ENCRYPTION_KEYS = [_development_credentials_key()]

# PagerDuty: every base URL is configurable so the app can talk to the local stand-in.
PAGERDUTY_API_URL = env("PAGERDUTY_API_URL", "https://api.pagerduty.com")
PAGERDUTY_EU_API_URL = env("PAGERDUTY_EU_API_URL", "https://api.eu.pagerduty.com")
PAGERDUTY_IDENTITY_URL = env("PAGERDUTY_IDENTITY_URL", "https://identity.pagerduty.com")
PAGERDUTY_JWKS_URL = env(
    "PAGERDUTY_JWKS_URL", f"{PAGERDUTY_IDENTITY_URL}/global/oauth/anonymous/jwks"
)
PAGERDUTY_CLIENT_ID = env("PAGERDUTY_CLIENT_ID")
PAGERDUTY_CLIENT_SECRET = env("PAGERDUTY_CLIENT_SECRET")
# The OAuth redirect URL registered with PagerDuty; by default built from the request's host.
PAGERDUTY_OAUTH_REDIRECT_URL = env("PAGERDUTY_OAUTH_REDIRECT_URL")

# Content-Security-Policy (django-csp): every asset comes from our own origin, and no inline script
# runs, so an injected `<script>` or `javascript:` link does nothing. The PagerDuty consent
# page adds PagerDuty's identity service to form-action (integrations.views).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}
PAGERDUTY_REQUESTS_PER_MINUTE = env_int("PAGERDUTY_REQUESTS_PER_MINUTE", 900)
# PagerDuty requests one sync keeps in flight at once (all paced by the budget above).
PAGERDUTY_MAX_IN_FLIGHT = env_int("PAGERDUTY_MAX_IN_FLIGHT", 8)
INCIDENT_BACKFILL_DAYS = env_int("INCIDENT_BACKFILL_DAYS", 365)
SYNC_INTERVAL_MINUTES = env_int("SYNC_INTERVAL_MINUTES", 15)
# Users, licenses and last sign-in have no "changed since" filter: scheduled syncs re-read them
# at most this often ("Sync now" always does).
PAGERDUTY_PEOPLE_REFRESH_MINUTES = env_int("PAGERDUTY_PEOPLE_REFRESH_MINUTES", 60)
# Spend: a member with no sign-in for this many days (and not on call) is inactive.
INACTIVE_DAYS = env_int("INACTIVE_DAYS", 60)
# The local PagerDuty stand-in (`manage.py pagerduty_standin`) is a development tool only.
if DEBUG:
    INSTALLED_APPS.append("pagerduty_standin")

# Background work: the ORM broker by default (no extra service), Redis when REDIS_URL is set.
Q_CLUSTER = {
    # Names the broker's queue: deployments (or test runs) sharing one Redis keep apart by it.
    "name": env("Q_CLUSTER_NAME", "sprintolike"),
    "workers": env_int("Q_WORKERS", 2),
    "timeout": env_int("Q_TIMEOUT_SECONDS", 3600),
    "retry": env_int("Q_TIMEOUT_SECONDS", 3600) + 600,
    "max_attempts": 1,
    "catch_up": False,
    "save_limit": 1000,
    "ack_failures": True,
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"

# The REST API (app `api/`): organisation tokens first (a request with a Bearer token is never
# judged by its cookies), then the session for the browsable API. Errors, pagination and
# throttling are the API's own (see api/errors.py, api/pagination.py, api/throttling.py).
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.KeysetPagination",
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.ApiTokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api": env("API_RATE_LIMIT", "600/min")},
    "EXCEPTION_HANDLER": "api.errors.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Sprintolike API",
    "DESCRIPTION": (
        "Read an organisation's checks, incidents, staff and connections; record data loss, "
        "special cases and staff changes; start syncs. Authenticate with an organisation API "
        "token (Settings > API tokens): `Authorization: Bearer spl_...`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SCHEMA_PATH_PREFIX": r"/api/v1/orgs/\{org_slug\}",  # tags: checks, incidents, staff...
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.add_error_responses",
    ],
    # One name per choice set shared by several endpoints.
    "ENUM_NAME_OVERRIDES": {
        "CheckStatusEnum": "checks.models.CheckStatus",
        "SpecialCaseStateEnum": "checks.models.SpecialCaseState",
        "IncidentStatusEnum": "integrations.models.IncidentStatus",
        "SyncRunStatusEnum": "integrations.models.SyncRunStatus",
        "ConnectionStatusEnum": "integrations.apis.CONNECTION_STATES",
        "StaffStatusEnum": "tenants.models.StaffStatus",
        "DataLossAnswerEnum": "incidents.models.DataLossAnswer",
        "StakeholderEnum": "incidents.models.Stakeholder",
        "DataKindEnum": "incidents.models.DataKind",
        "AccessReviewStatusEnum": "access.apis.REVIEW_STATUSES",
        "ReviewDecisionEnum": "access.models.ReviewDecision",
        "MemberStatusEnum": "spend.selectors.MEMBER_STATUSES",
    },
}

# One handler (the root's): Django's own "django" console handler would print every record a
# second time under DEBUG. 4xx responses are logged as one line, without a traceback.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {
        "client_errors_without_traceback": {
            "()": "sprintolike.log_filters.ClientErrorsWithoutTraceback"
        }
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["client_errors_without_traceback"],
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.db.backends": {"level": "WARNING"},
    },
}
