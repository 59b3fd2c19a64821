"""Settings for 阳光村务, read from the environment.

Development needs nothing set (SQLite, console e-mail, local memory cache).
``SUNSHINE_ENV=production`` is strict: it refuses to start without a secret key,
allowed hosts and an identity hash key, and passes ``check --deploy`` cleanly.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name, default=None):
    return os.environ.get(name, default)


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


SUNSHINE_ENV = env("SUNSHINE_ENV", "development")
PRODUCTION = SUNSHINE_ENV == "production"

if PRODUCTION:
    missing = [name for name in ("SECRET_KEY", "ALLOWED_HOSTS", "IDENTITY_HASH_KEY") if not env(name)]
    if missing:
        raise ImproperlyConfigured(
            "SUNSHINE_ENV=production refuses to start without "
            + ", ".join(missing)
            + ". Set them in the environment (see README, 'Configuration')."
        )

SECRET_KEY = env("SECRET_KEY", "dev-only-insecure-key-change-me-0123456789-abcdefghijklmnop")
DEBUG = env_bool("DEBUG", default=not PRODUCTION)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# Identity hashing has its own key so that rotating SECRET_KEY never breaks matching.
IDENTITY_HASH_KEY = env("IDENTITY_HASH_KEY", "dev-only-identity-key")
IDENTITY_HASH_KEY_ID = int(env("IDENTITY_HASH_KEY_ID", "1"))
# Comma-separated Fernet keys, newest first (MultiFernet: rotate by prepending).
FIELD_ENCRYPTION_KEYS = env_list(
    "FIELD_ENCRYPTION_KEYS", "" if PRODUCTION else "ZGV2LW9ubHktZmllbGQta2V5LWNoYW5nZS1tZS0wMDA="
)

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
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "sunshine.audit",
    "villages",
    "disclosures",
    "complaints",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "sunshine.audit.middleware.AuditContextMiddleware",
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
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(env("DB_CONN_MAX_AGE", "60")),
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
if CACHE_URL.startswith("redis"):
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": CACHE_URL,
            "OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient"},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if env("EMAIL_HOST")
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = int(env("EMAIL_PORT", "25"))
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "noreply@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

SITE_NAME = env("SITE_NAME", "阳光村务")
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000")

LOGIN_URL = "admin:login"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
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
    SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)

# Upload limits (bytes / rows); the roster importer reads these.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
ROSTER_IMPORT_MAX_BYTES = int(env("ROSTER_IMPORT_MAX_BYTES", str(30 * 1024 * 1024)))
ROSTER_IMPORT_MAX_ROWS = int(env("ROSTER_IMPORT_MAX_ROWS", "200000"))
ROSTER_IMPORT_PREVIEW_HOURS = int(env("ROSTER_IMPORT_PREVIEW_HOURS", "24"))
# Files with at most this many rows are validated inside the upload request; larger ones in the
# background with a progress display.
ROSTER_IMPORT_SYNC_ROWS = int(env("ROSTER_IMPORT_SYNC_ROWS", "3000"))

# Rate limits for public intake (complaints); kiosk addresses are exempt.
RATELIMIT_KIOSK_ADDRESSES = env_list("RATELIMIT_KIOSK_ADDRESSES")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "WARNING")},
}

# Open311: a report sent as lat/long is filed under the nearest village centroid within this distance.
OPEN311_MAX_DISTANCE_KM = float(env("OPEN311_MAX_DISTANCE_KM", "5"))
