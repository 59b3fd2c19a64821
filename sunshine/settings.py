"""Settings for 阳光村务, read from the environment.

Development needs nothing set (SQLite, console e-mail, local memory cache).
``SUNSHINE_ENV=production`` is strict: it refuses to start without a secret key,
allowed hosts, an identity hash key and field encryption keys, refuses the
development default keys, and passes ``check --deploy`` cleanly.

Values are parsed strictly (fail closed): an unknown environment name, a boolean
that is not a true/false spelling or a number that does not parse stops start-up
with ``ImproperlyConfigured`` naming the variable, instead of silently falling
back to a default.
"""

import datetime
import math
import os
from pathlib import Path

import dj_database_url
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

ENVIRONMENTS = ("development", "production")
TRUE_SPELLINGS = frozenset({"1", "true", "yes", "on"})
FALSE_SPELLINGS = frozenset({"0", "false", "no", "off"})
# Development defaults: convenient locally, refused in production (anyone can read them here).
DEV_SECRET_KEY = "dev-only-insecure-key-change-me-0123456789-abcdefghijklmnop"
DEV_IDENTITY_HASH_KEY = "dev-only-identity-key"
DEV_FIELD_ENCRYPTION_KEY = "ZGV2LW9ubHktZmllbGQta2V5LWNoYW5nZS1tZS0wMDA="


def env(name, default=None):
    return os.environ.get(name, default)


def _set(name):
    """The variable's value, or None when it is unset or empty (empty means "use the default")."""
    value = os.environ.get(name, "").strip()
    return value or None


def env_bool(name, default=False):
    value = _set(name)
    if value is None:
        return default
    if value.lower() in TRUE_SPELLINGS:
        return True
    if value.lower() in FALSE_SPELLINGS:
        return False
    raise ImproperlyConfigured(
        f"{name}={value!r} is not a boolean; use one of 1/0, true/false, yes/no, on/off (or leave it empty)."
    )


def _number(name, default, kind, description, minimum):
    value = _set(name)
    if value is None:
        return default
    try:
        number = kind(value)
    except ValueError:
        number = None
    if number is None or not math.isfinite(number):  # float() also takes "nan" and "inf"
        raise ImproperlyConfigured(f"{name}={value!r} is not {description}.")
    if number < minimum:
        raise ImproperlyConfigured(f"{name}={value!r} must be at least {minimum}.")
    return number


def env_int(name, default, minimum=0):
    return _number(name, default, int, "a whole number", minimum)


def env_float(name, default, minimum=0.0):
    return _number(name, default, float, "a number", minimum)


def env_choice(name, default, choices):
    value = _set(name) or default
    if value not in choices:
        raise ImproperlyConfigured(f"{name}={value!r} is not one of: {', '.join(choices)}.")
    return value


def env_list(name, default=""):
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


def env_networks(name, default=""):
    """Comma-separated IP addresses or CIDR networks; a malformed entry stops start-up."""
    import ipaddress

    networks = []
    for item in env_list(name, default):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ImproperlyConfigured(f"{name}: {item!r} is not an IP address or network (CIDR).") from None
    return tuple(networks)


def _check_fernet_keys(keys):
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except ValueError:
            raise ImproperlyConfigured(
                f"FIELD_ENCRYPTION_KEYS: key {position} is not a Fernet key (32 url-safe base64-encoded bytes)."
            ) from None


def _refuse_half_configured_production():
    # SITE_URL: printed with a QR code on every bulletin PDF; a development default there would send readers astray.
    required = ("SECRET_KEY", "ALLOWED_HOSTS", "IDENTITY_HASH_KEY", "FIELD_ENCRYPTION_KEYS", "SITE_URL")
    missing = [name for name in required if _set(name) is None]
    if missing:
        raise ImproperlyConfigured(
            "SUNSHINE_ENV=production refuses to start without "
            + ", ".join(missing)
            + ". Set them in the environment (see README, 'Configuration')."
        )
    development_keys = [
        name
        for name, dev in (("SECRET_KEY", DEV_SECRET_KEY), ("IDENTITY_HASH_KEY", DEV_IDENTITY_HASH_KEY))
        if env(name).strip() == dev
    ]
    if DEV_FIELD_ENCRYPTION_KEY in env_list("FIELD_ENCRYPTION_KEYS"):  # anywhere in the list: it could still decrypt
        development_keys.append("FIELD_ENCRYPTION_KEYS")
    if development_keys:
        raise ImproperlyConfigured(
            "SUNSHINE_ENV=production refuses the development default of "
            + ", ".join(development_keys)
            + ": generate new keys (see README, 'Configuration')."
        )
    if _set("IDENTITY_HASH_KEY") == _set("SECRET_KEY"):
        # Rotating SECRET_KEY (sessions, tokens) must never break matching of ID numbers.
        raise ImproperlyConfigured("SUNSHINE_ENV=production refuses IDENTITY_HASH_KEY equal to SECRET_KEY.")


# development | production (no fallback: a typo such as "prod" must not start a lax development server).
SUNSHINE_ENV = env_choice("SUNSHINE_ENV", "development", ENVIRONMENTS)
PRODUCTION = SUNSHINE_ENV == "production"

if PRODUCTION:
    _refuse_half_configured_production()

SECRET_KEY = env("SECRET_KEY", DEV_SECRET_KEY)
DEBUG = env_bool("DEBUG", default=not PRODUCTION)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# Identity hashing has its own key so that rotating SECRET_KEY never breaks matching.
IDENTITY_HASH_KEY = env("IDENTITY_HASH_KEY", DEV_IDENTITY_HASH_KEY)
# Stored beside each person_key, so a later key change can tell old hashes from new ones.
IDENTITY_HASH_KEY_ID = env_int("IDENTITY_HASH_KEY_ID", 1, minimum=1)
# Comma-separated Fernet keys, newest first (MultiFernet: rotate by prepending).
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS", DEV_FIELD_ENCRYPTION_KEY)
_check_fernet_keys(FIELD_ENCRYPTION_KEYS)

# Audit MAC keys (HMAC-SHA256 over every audit event and seal; the database never holds them).
# AUDIT_HMAC_KEYS="2:newkey,1:oldkey": key id, colon, key text; newest first, the first one signs,
# the others still verify. Never SECRET_KEY. Production refuses a missing key or the dev default.
DEV_AUDIT_HMAC_KEYS = "dev:dev-only-audit-hmac-key"


def _audit_hmac_keys(raw):
    keys = {}
    for item in (part.strip() for part in raw.split(",")):
        key_id, sep, key = item.partition(":")
        if not item:
            continue
        if not sep or not key_id.strip() or not key.strip() or key_id.strip() in keys:
            raise ImproperlyConfigured("AUDIT_HMAC_KEYS must read 'id:key,id:key' with distinct ids, newest first")
        keys[key_id.strip()] = key.strip()
    return keys


AUDIT_HMAC_KEYS = _audit_hmac_keys(os.environ.get("AUDIT_HMAC_KEYS", "" if PRODUCTION else DEV_AUDIT_HMAC_KEYS))
if PRODUCTION and (not AUDIT_HMAC_KEYS or _audit_hmac_keys(DEV_AUDIT_HMAC_KEYS)["dev"] in AUDIT_HMAC_KEYS.values()):
    raise ImproperlyConfigured("SUNSHINE_ENV=production refuses to start without AUDIT_HMAC_KEYS (not the dev key)")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "sunshine.third_party_apps.AxesConfig",  # django-axes, named in Chinese
    "django_otp",
    "sunshine.third_party_apps.TOTPConfig",  # django-otp TOTP, named in Chinese
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "django_tasks",
    "sunshine.third_party_apps.TasksDBConfig",  # django-tasks-db, named in Chinese
    "sunshine.audit",
    "villages",
    "disclosures",
    "complaints",
    "portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    # NUL bytes in path, query, form fields or JSON answer 400 before any view or query runs.
    "sunshine.input_guard.RejectInvalidInputMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Chinese whatever the browser says; English only when chosen with the toggle (sunshine/locale.py).
    "sunshine.locale.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "villages.staff_sessions.StaffSessionMiddleware",  # after messages: it leaves a notice on the login page
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified() for two-factor sign-in
    "villages.two_factor.TwoFactorMiddleware",  # STAFF_2FA_ROLES must pass /staff/2fa/ first
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "sunshine.audit.middleware.AuditContextMiddleware",
    # Last: turns a login refused by django-axes into the lockout page (AXES_LOCKOUT_TEMPLATE).
    "axes.middleware.AxesMiddleware",
]

# django-axes first: it refuses a locked account+address before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "sunshine.urls"
WSGI_APPLICATION = "sunshine.wsgi.application"

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
                "django.template.context_processors.i18n",
                "sunshine.context_processors.site",
            ],
            # ``|masked``: free text on public pages goes through sunshine.masking.mask_free_text.
            "builtins": ["sunshine.templatetags.masking"],
            # ``{% load glossary %}{% explain "pre" %}``: a public term explained in place, in plain words.
            "libraries": {"glossary": "sunshine.templatetags.glossary"},
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers proceed while the single writer commits; busy timeout
    # makes concurrent writers wait instead of failing at once.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
# A reused connection is checked (SELECT 1) before a request's first query: after a database restart or a
# network blip each worker reconnects instead of answering its next request with an error.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Seconds to wait for a new database connection (every process); web processes also give up on a reused
# connection's health check after this long.
DB_CONNECT_TIMEOUT = env_int("DB_CONNECT_TIMEOUT", 3, minimum=1)
# Web requests only (not commands, migrations or the task worker): the server cancels a statement after
# DB_STATEMENT_TIMEOUT seconds and a wait for a row lock after DB_LOCK_TIMEOUT; the page then answers 503.
DB_STATEMENT_TIMEOUT = env_float("DB_STATEMENT_TIMEOUT", 15.0, minimum=0.1)
DB_LOCK_TIMEOUT = env_float("DB_LOCK_TIMEOUT", 10.0, minimum=0.1)
# TCP keepalives: an idle connection whose peer vanished (dropped network) is noticed within about a minute.
DB_KEEPALIVES_IDLE = env_int("DB_KEEPALIVES_IDLE", 30, minimum=1)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend plus deadlines for web processes (sunshine/postgresql/base.py).
    DATABASES["default"]["ENGINE"] = "sunshine.postgresql"
    DATABASES["default"]["OPTIONS"] = {
        "connect_timeout": DB_CONNECT_TIMEOUT,
        "keepalives": 1,
        "keepalives_idle": DB_KEEPALIVES_IDLE,
        "keepalives_interval": 10,
        "keepalives_count": 3,
        # Data sent but not acknowledged for this long (network gone mid-query) drops the connection.
        "tcp_user_timeout": (DB_KEEPALIVES_IDLE + 30) * 1000,
        **DATABASES["default"].get("OPTIONS", {}),  # what DATABASE_URL's query string says wins
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env("STATIC_ROOT", BASE_DIR / "var" / "static"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", BASE_DIR / "var" / "media"))
# Rosters and complaint photos: never under MEDIA_URL, served only by views that check permission.
PRIVATE_MEDIA_ROOT = Path(env("PRIVATE_MEDIA_ROOT", BASE_DIR / "var" / "private"))

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(PRIVATE_MEDIA_ROOT), "base_url": None},
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

CACHE_URL = env("CACHE_URL", env("REDIS_URL", ""))
# Seconds a cache call may wait for Redis to connect or answer; when it fails, this process counts rate limits
# and caches locally for CACHE_FALLBACK_SECONDS before trying Redis again (sunshine/cache.py).
CACHE_REDIS_TIMEOUT = env_float("CACHE_REDIS_TIMEOUT", 0.5, minimum=0.05)
CACHE_FALLBACK_SECONDS = env_int("CACHE_FALLBACK_SECONDS", 30, minimum=1)
if CACHE_URL.startswith("redis"):
    CACHES = {
        "default": {
            "BACKEND": "sunshine.cache.FallbackRedisCache",
            "LOCATION": CACHE_URL,
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                "SOCKET_CONNECT_TIMEOUT": CACHE_REDIS_TIMEOUT,
                "SOCKET_TIMEOUT": CACHE_REDIS_TIMEOUT,
                "FALLBACK_SECONDS": CACHE_FALLBACK_SECONDS,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Background work (django-tasks). The database backend is the embedded default: nothing to install, and a task
# enqueued inside a transaction exists exactly when that transaction commits. Deployments on several machines
# may use a Redis-backed backend (README, "Deployment"); enqueue through sunshine.background, which defers
# to commit for backends outside the database.
TASKS = {
    "default": {
        "BACKEND": env("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default", "bulletins", "imports"],
    }
}
# The worker (``manage.py worker``, portal/worker.py): a task RUNNING on a worker whose heartbeat is older than
# this many seconds was lost with its worker and is queued again; a task that failed on a passing fault (database,
# network, disk) is retried after TASKS_RETRY_DELAY × 2^(attempt−1) seconds (at most an hour), up to
# TASKS_MAX_ATTEMPTS attempts in all. Finished results are pruned after TASKS_KEEP_DAYS, failed ones after
# TASKS_KEEP_FAILED_DAYS.
TASKS_WORKER_LOST_AFTER = env_int("TASKS_WORKER_LOST_AFTER", 60, minimum=10)
TASKS_MAX_ATTEMPTS = env_int("TASKS_MAX_ATTEMPTS", 5, minimum=1)
TASKS_RETRY_DELAY = env_int("TASKS_RETRY_DELAY", 10)
TASKS_KEEP_DAYS = env_int("TASKS_KEEP_DAYS", 7, minimum=1)
TASKS_KEEP_FAILED_DAYS = env_int("TASKS_KEEP_FAILED_DAYS", 30, minimum=1)

EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if env("EMAIL_HOST")
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "noreply@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

SITE_NAME = env("SITE_NAME", "阳光村务")
# The public address, without a trailing path: printed (with a QR code) on bulletin PDFs, used in feeds and e-mails.
# Required in production; never taken from a request's Host header.
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000")
# The phone residents are told to call when the site cannot take their complaint (12345: the public service hotline).
OFFICE_PHONE = env("OFFICE_PHONE", "12345")

LOGIN_URL = "admin:login"

# Login throttling (django-axes, database handler: the counts live in the database, so several server
# processes share them). An account is locked from one address after LOGIN_FAILURE_LIMIT wrong
# passwords in a row, for LOGIN_COOLOFF_MINUTES; a county admin can lift it earlier (admin or
# `manage.py axes_reset_username NAME`). Every failure, lockout and login is an audit event.
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
LOGIN_COOLOFF_MINUTES = env_int("LOGIN_COOLOFF_MINUTES", 30, minimum=1)
AXES_ENABLED = True  # not an environment switch: lockout is never off in an installation
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = datetime.timedelta(minutes=LOGIN_COOLOFF_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]  # account + address together
AXES_RESET_ON_SUCCESS = True  # a correct password (before the lock) starts the count again
# Attempts during a lock are refused unchecked and do not extend it: the cool-off runs from the lock.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "villages.auth_audit.lockout_response"  # the Chinese lockout page, HTTP 429
AXES_CLIENT_IP_CALLABLE = "sunshine.audit.middleware.client_ip"  # the same address the audit log records
AXES_VERBOSE = False  # axes' own log lines would repeat what the audit log holds
AXES_ENABLE_ACCESS_FAILURE_LOG = False  # failures are audit events; no second, unsealed copy
AXES_DISABLE_ACCESS_LOG = True  # logins are audit events too

# Staff sessions (users with memberships, is_staff or superusers) end at browser close and, whatever
# their activity, STAFF_SESSION_HOURS after sign-in (a working day). Residents' tracking sessions
# (anonymous) keep Django's defaults.
STAFF_SESSION_HOURS = env_int("STAFF_SESSION_HOURS", 9, minimum=1)

# Optional two-factor sign-in (TOTP authenticator app, django-otp) for these roles, comma-separated
# (e.g. "county_inspector,county_admin"); empty = off. Unknown role names refuse to start.
STAFF_2FA_ROLES = env_list("STAFF_2FA_ROLES")
_STAFF_ROLES = ("village_clerk", "township_reviewer", "township_discipline", "county_inspector", "county_admin")
if set(STAFF_2FA_ROLES) - set(_STAFF_ROLES):
    raise ImproperlyConfigured(f"STAFF_2FA_ROLES: unknown roles {sorted(set(STAFF_2FA_ROLES) - set(_STAFF_ROLES))}.")
OTP_TOTP_ISSUER = SITE_NAME  # the name the authenticator app shows

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    # drf-spectacular's, plus the error answers (400/403/404) each operation really gives.
    "DEFAULT_SCHEMA_CLASS": "sunshine.api_schema.AutoSchema",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "阳光村务 API",
    "DESCRIPTION": "Public read of published data; staff endpoints behind authentication.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Name the disclosure status enum in the schema (other apps also have "status").
    "ENUM_NAME_OVERRIDES": {"DisclosureStatusEnum": "disclosures.models.Status"},
}

# Content-Security-Policy (django-csp 4 format) on every response, admin included: everything from our own
# origin, no inline script or style attribute anywhere, no framing. The API docs (Swagger UI, Redoc) widen
# it for their own pages only (sunshine/urls.py). Images may be data: URIs (Swagger UI's icons).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# Security: strict in production unless an intranet install over plain HTTP says otherwise.
INSECURE_HTTP = env_bool("SUNSHINE_INSECURE_HTTP")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
if PRODUCTION and not INSECURE_HTTP:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)

# Upload limits (bytes / rows); the roster importer reads these.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
ROSTER_IMPORT_MAX_BYTES = env_int("ROSTER_IMPORT_MAX_BYTES", 30 * 1024 * 1024, minimum=1)
ROSTER_IMPORT_MAX_ROWS = env_int("ROSTER_IMPORT_MAX_ROWS", 200000, minimum=1)
ROSTER_IMPORT_PREVIEW_HOURS = env_int("ROSTER_IMPORT_PREVIEW_HOURS", 24, minimum=1)
# Files with at most this many rows are validated inside the upload request; larger ones in the
# background with a progress display.
ROSTER_IMPORT_SYNC_ROWS = env_int("ROSTER_IMPORT_SYNC_ROWS", 3000)
# Roster files are read in a child process under hard limits (disclosures/importer/sandbox.py): its address
# space in MB (RLIMIT_AS) and its CPU seconds (RLIMIT_CPU; the wall clock allows twice as many).
ROSTER_IMPORT_SANDBOX_MEMORY_MB = env_int("ROSTER_IMPORT_SANDBOX_MEMORY_MB", 1024, minimum=64)
ROSTER_IMPORT_SANDBOX_SECONDS = env_int("ROSTER_IMPORT_SANDBOX_SECONDS", 30, minimum=1)
# Bulletin PDFs are rendered by a worker, each part (1,000 roster rows) in a child process under limits
# (disclosures/bulletin_child.py): the resident memory in MB at which the worker kills it (a part uses about
# 200 MB) and its CPU seconds (RLIMIT_CPU; the wall clock allows twice as many).
BULLETIN_RENDER_MEMORY_MB = env_int("BULLETIN_RENDER_MEMORY_MB", 1024, minimum=256)
BULLETIN_RENDER_SECONDS = env_int("BULLETIN_RENDER_SECONDS", 120, minimum=5)

# Reverse proxies (addresses or CIDRs, comma-separated) whose X-Forwarded-For is believed: when the
# direct peer is one of them, the client is the rightmost X-Forwarded-For address not in this list.
# Empty (the default) trusts no header: the client is REMOTE_ADDR. Used by rate limits and audit IPs.
SUNSHINE_TRUSTED_PROXIES = env_networks("SUNSHINE_TRUSTED_PROXIES")

# Rate limits for public intake (complaints); kiosk addresses are exempt.
RATELIMIT_KIOSK_ADDRESSES = env_list("RATELIMIT_KIOSK_ADDRESSES")
# Overrides of complaints.ratelimit.DEFAULT_LIMITS: {"phone"|"session"|"address"|"track"|"track_code"|"photo_hold":
# (count, seconds)}.
COMPLAINTS_RATE_LIMITS = {}
# Overrides of portal.selfquery.DEFAULT_LIMITS (我的补贴): {"address"|"session"|"person": (count, seconds)}.
SELFQUERY_RATE_LIMITS = {}

# Complaints: dotted path of the SMS backend (a class with send(phone, text)).
COMPLAINTS_SMS_BACKEND = "complaints.notifications.ConsoleSmsBackend"
# True runs the portable (Python) deadline tick on PostgreSQL too, instead of its single SQL statement.
COMPLAINTS_TICK_PYTHON = False
# Disclosures: days after a period ends before a missing disclosure counts as overdue.
DISCLOSURE_GRACE_DAYS = 10

# Exports: a list with more rows than this is made by a background task (我的导出) instead of in the request;
# its file is deleted this many days after it was made.
EXPORT_INLINE_MAX_ROWS = env_int("EXPORT_INLINE_MAX_ROWS", 5000, minimum=1)
EXPORT_KEEP_DAYS = env_int("EXPORT_KEEP_DAYS", 7, minimum=1)

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_choice("LOG_LEVEL", "WARNING", LOG_LEVELS)},
}

# Open311: a report sent as lat/long is filed under the nearest village centroid within this distance.
OPEN311_MAX_DISTANCE_KM = env_float("OPEN311_MAX_DISTANCE_KM", 5.0)
# Open311 discovery: the contact address it publishes.
OPEN311_CONTACT = DEFAULT_FROM_EMAIL
