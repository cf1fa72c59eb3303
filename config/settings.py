"""Jiceng settings: one module, driven by environment variables (see docs/DEPLOYMENT.md)."""

from __future__ import annotations

import secrets
import sys
from decimal import Decimal
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
VAR_DIR.mkdir(exist_ok=True)

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

TESTING = env.bool("JICENG_TESTING", default="pytest" in sys.modules)
DEBUG = env.bool("DEBUG", default=False)
# Behind TLS in production: secure cookies, HSTS and HTTPS redirects.
HTTPS = env.bool("HTTPS", default=False)


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once and kept under var/."""
    from_env = env.str("SECRET_KEY", default="")
    if from_env:
        return from_env
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(64))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
# Fernet key for misconduct reporters' contact details (docs/CONDUCT.md). Required in production:
# without it a key derived from SECRET_KEY keeps `make demo` and the tests working, and the
# deployment check (`check --deploy`) fails unless DEBUG or testing.
MISCONDUCT_KEY = env.str("MISCONDUCT_KEY", default="")
MISCONDUCT_KEY_FROM_ENV = bool(MISCONDUCT_KEY)
if not MISCONDUCT_KEY:
    import base64
    import hashlib

    MISCONDUCT_KEY = base64.urlsafe_b64encode(
        hashlib.sha256(b"jiceng-misconduct-dev:" + SECRET_KEY.encode()).digest()
    ).decode()
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",
    "django_htmx",
    "treebeard",
    "huey.contrib.djhuey",
    "jiceng.core",
    "jiceng.orgs",
    "jiceng.cases",
    "jiceng.evaluation",
    "jiceng.support",
    "jiceng.conduct",
    "jiceng.insight",
    "jiceng.library",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "jiceng.core.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "jiceng.orgs.middleware.ActingMembershipMiddleware",
    "jiceng.core.middleware.DomainErrorMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
                "jiceng.orgs.context_processors.acting",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'jiceng.sqlite3'}")
}
SQLITE = DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
if SQLITE:
    if not TESTING:  # the tests' in-memory databases have one process; pytest-django needs
        # to recognise the engine to keep them in memory. Writers queue on a file lock here:
        DATABASES["default"]["ENGINE"] = "jiceng.core.db.sqlite"
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE transactions take the write lock at BEGIN, so concurrent writers queue on the
        # busy timeout instead of failing on a read-to-write lock upgrade.
        "transaction_mode": "IMMEDIATE",
        "timeout": env.int("SQLITE_BUSY_TIMEOUT_SECONDS", default=20),
        "init_command": (
            "PRAGMA journal_mode=WAL;"
            f"PRAGMA synchronous={env.str('SQLITE_SYNCHRONOUS', default='FULL')};"
            "PRAGMA foreign_keys=ON;"
        ),
    }
# Opening a connection (and, on SQLite, running the PRAGMAs above) costs more than a light page.
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, Redis and background jobs -------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # Parallel test workers share the Redis server: each keeps to its own keys.
            "KEY_PREFIX": (
                f"jiceng-test-{env.str('PYTEST_XDIST_WORKER', default='main')}"
                if TESTING
                else "jiceng"
            ),
        }
    }
elif TESTING:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    # Shared by every web process and the job consumer, which a local-memory cache is not.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "jiceng_cache",
        }
    }

HUEY: dict[str, object]
if REDIS_URL:
    HUEY = {"huey_class": "huey.RedisHuey", "name": "jiceng", "url": REDIS_URL}
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "jiceng",
        "filename": str(VAR_DIR / "huey.sqlite3"),
    }
HUEY["immediate"] = TESTING or env.bool("HUEY_IMMEDIATE", default=False)
HUEY["consumer"] = {"workers": env.int("HUEY_WORKERS", default=2), "worker_type": "thread"}

# --- Authentication -------------------------------------------------------------------------
AUTH_USER_MODEL = "orgs.User"
AUTHENTICATION_BACKENDS = ["jiceng.orgs.backends.UsernameOrPhoneBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "staff_home"
LOGOUT_REDIRECT_URL = "landing"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Failed logins allowed per account and per address inside the window before logins pause.
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
# Higher per address, since a whole office may sign in from behind one address.
LOGIN_FAILURE_LIMIT_PER_ADDRESS = env.int("LOGIN_FAILURE_LIMIT_PER_ADDRESS", default=30)
LOGIN_FAILURE_WINDOW_SECONDS = env.int("LOGIN_FAILURE_WINDOW_SECONDS", default=15 * 60)

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
LANGUAGE_COOKIE_NAME = "jiceng_language"
LANGUAGE_COOKIE_SAMESITE = "Lax"
# The language management commands speak when run from the command line (jiceng.core.commands):
# COMMAND_LANGUAGE=en for English; called from code, a command keeps the caller's language.
COMMAND_LANGUAGE = env.str("COMMAND_LANGUAGE", default="") or LANGUAGE_CODE

# Working hours of the working-day calendar (jiceng.core.calendar), local time.
WORKING_HOURS = [("09:00", "12:00"), ("13:30", "17:30")]

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING

# --- E-mail ---------------------------------------------------------------------------------
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="jiceng@localhost")
# The site as residents reach it: the links in the e-mails they get (no request to read it from).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

# --- Security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 60 * 60)
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
LANGUAGE_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS and env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
if env.bool("BEHIND_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Requests per window that anonymous endpoints accept from one address (jiceng.core.ratelimit).
RATELIMIT_ENABLED = env.bool("RATELIMIT_ENABLED", default=True)
# Where the counters live: "sqlite" (a file of their own) with the embedded database and no
# Redis; "cache" (Django's cache: Redis, or local memory in tests) otherwise.
RATELIMIT_STORE = env.str(
    "RATELIMIT_STORE", default="sqlite" if SQLITE and not REDIS_URL and not TESTING else "cache"
)
RATELIMIT_SQLITE_PATH = env.str(
    "RATELIMIT_SQLITE_PATH",
    default=str(
        Path(DATABASES["default"]["NAME"]).with_name("ratelimit.sqlite3")
        if SQLITE
        else VAR_DIR / "ratelimit.sqlite3"
    ),
)

# --- Logging --------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "jiceng.core.middleware.RequestIdLogFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"}
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": "plain",
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# Where browser tests keep their screenshots (CI artefacts).
ARTEFACTS_DIR = VAR_DIR / "artefacts"

# --- Residents' requests ------------------------------------------------------------------------
# Working days a resident has to confirm a resolution before the case closes as "no feedback".
CASE_FEEDBACK_WORKING_DAYS = env.int("CASE_FEEDBACK_WORKING_DAYS", default=5)
CASE_MAX_PHOTOS = 3
CASE_MAX_PHOTO_BYTES = env.int("CASE_MAX_PHOTO_BYTES", default=5 * 1024 * 1024)
# Requests one address may submit per hour through the public form and the Open311 facade.
CASE_SUBMISSIONS_PER_HOUR = env.int("CASE_SUBMISSIONS_PER_HOUR", default=10)
# Open311 facade limits (jiceng/cases/open311.py).
OPEN311_POSTS_PER_HOUR = env.int("OPEN311_POSTS_PER_HOUR", default=10_000)  # per API key
OPEN311_READS_PER_MINUTE = env.int("OPEN311_READS_PER_MINUTE", default=120)  # per address
OPEN311_TOKEN_LOOKUPS_PER_WINDOW = env.int("OPEN311_TOKEN_LOOKUPS_PER_WINDOW", default=30)
OPEN311_TOKEN_WINDOW_SECONDS = env.int("OPEN311_TOKEN_WINDOW_SECONDS", default=600)
OPEN311_BAD_KEYS_PER_HOUR = env.int("OPEN311_BAD_KEYS_PER_HOUR", default=20)  # per address
OPEN311_CONTACT = env.str("OPEN311_CONTACT", default="")
# Hotline import and export (jiceng/cases/importing.py, exporting.py).
CASE_IMPORT_MAX_BYTES = env.int("CASE_IMPORT_MAX_BYTES", default=5 * 1024 * 1024)
CASE_IMPORT_MAX_ROWS = env.int("CASE_IMPORT_MAX_ROWS", default=5000)
CASE_EXPORT_MAX_XLSX_ROWS = env.int("CASE_EXPORT_MAX_XLSX_ROWS", default=100_000)

# --- Case classification (jiceng/insight, docs/INSIGHT.md) ------------------------------------
# Model files (versioned, with their metrics in the database) live here.
# Tests write theirs in a folder of their own, never over the files a dev server loads.
CLASSIFIER_DIR = env.path(
    "CLASSIFIER_DIR", default=str(VAR_DIR / ("test-models" if TESTING else "models"))
)
# A request that comes in without a category gets the predicted one when the classifier is at
# least this confident; otherwise it gets the fallback category and staff see three suggestions.
CLASSIFIER_THRESHOLD = env.float("CLASSIFIER_THRESHOLD", default=0.6)
CLASSIFIER_FALLBACK_CATEGORY = env.str("CLASSIFIER_FALLBACK_CATEGORY", default="other-matters")

# --- Funds (jiceng/support) -----------------------------------------------------------------
# Expenditures above this many yuan wait for the secretary's approval before they count as spent.
FUNDS_APPROVAL_THRESHOLD = Decimal(env.str("FUNDS_APPROVAL_THRESHOLD", default="5000.00"))
