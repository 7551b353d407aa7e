"""regfront settings: every value comes from the environment (django-environ).

Secrets may be given as `<NAME>_FILE` pointing at a file instead. The README's settings
table lists every variable.
"""

from pathlib import Path

import environ

from regfront.startup import fail, parse_encryption_keys

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.FileAwareEnv()

DEBUG = env.bool("DEBUG", default=False)
DATA_DIR = Path(env.str("REGFRONT_DATA_DIR", default=str(BASE_DIR / "data")))

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        fail("SECRET_KEY (or SECRET_KEY_FILE) must be set when DEBUG is off.")
    SECRET_KEY = "insecure-development-only-key"
elif not DEBUG and len(SECRET_KEY) < 32:
    fail("SECRET_KEY must be at least 32 characters long when DEBUG is off.")

# Newest key first; MultiFernet decrypts with any and encrypts with the first.
REGFRONT_ENCRYPTION_KEYS = parse_encryption_keys(
    env.str("REGFRONT_ENCRYPTION_KEYS", default=""), required=not DEBUG
)

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "registries",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "regfront.urls"
WSGI_APPLICATION = "regfront.wsgi.application"

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
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'regfront.sqlite3'}")
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions + WAL + a busy timeout let concurrent writers queue instead of
    # failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("REGFRONT_DB_CONN_MAX_AGE", 60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://regfront")}
CACHES["default"].setdefault("KEY_PREFIX", "regfront")
if CACHES["default"]["BACKEND"].endswith("LocMemCache"):
    # The default of 300 entries is far too few for manifests of thousands of tags.
    CACHES["default"].setdefault("OPTIONS", {}).setdefault("MAX_ENTRIES", 50_000)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("REGFRONT_STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
# In development whitenoise serves straight from static/; production uses collectstatic.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("REGFRONT_LOG_LEVEL", default="INFO")},
}

# --- regfront ---------------------------------------------------------------------------
# Seed-compatible switch: hide and refuse the add/edit/remove registry pages.
REGISTRY_DISABLE_ADD_REMOVE = env.bool("REGISTRY_DISABLE_ADD_REMOVE", default=False)

# Registry traffic: caching, concurrency and limits (see README, "Settings").
REGFRONT_CACHE_TTL = env.int("REGFRONT_CACHE_TTL", default=30)
REGFRONT_SEEN_TTL = 24 * 3600  # how long a tag's last digest is kept for HEAD revalidation
REGFRONT_STATUS_TTL = env.int("REGFRONT_STATUS_TTL", default=10)
REGFRONT_STATUS_DEADLINE = env.float("REGFRONT_STATUS_DEADLINE", default=2.0)
REGFRONT_PAGE_DEADLINE = env.float("REGFRONT_PAGE_DEADLINE", default=25.0)
REGFRONT_MAX_CONCURRENCY = env.int("REGFRONT_MAX_CONCURRENCY", default=8)
REGFRONT_CONNECT_TIMEOUT = env.float("REGFRONT_CONNECT_TIMEOUT", default=5.0)
REGFRONT_READ_TIMEOUT = env.float("REGFRONT_READ_TIMEOUT", default=15.0)
REGFRONT_REQUEST_DEADLINE = env.float("REGFRONT_REQUEST_DEADLINE", default=20.0)
REGFRONT_MAX_MANIFEST_BYTES = 4 * 1024 * 1024
REGFRONT_DENY_PRIVATE_NETWORKS = env.bool("REGFRONT_DENY_PRIVATE_NETWORKS", default=False)
REGFRONT_TAGS_PER_PAGE = env.int("REGFRONT_TAGS_PER_PAGE", default=50)
REGFRONT_REPOSITORIES_PER_PAGE = env.int("REGFRONT_REPOSITORIES_PER_PAGE", default=100)
# The tag page resolves every tag of the repository to list those sharing its digest, up to
# this many tags; beyond it the list shows only tags already known from the cache.
REGFRONT_SIBLING_TAGS_MAX = env.int("REGFRONT_SIBLING_TAGS_MAX", default=500)
