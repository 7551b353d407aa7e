"""regfront settings: every value comes from the environment (django-environ).

Secrets may be given as `<NAME>_FILE` pointing at a file instead. The README's settings
table lists every variable.
"""

import re
from pathlib import Path

import environ
from django.utils.csp import CSP

from regfront.clientip import parse_networks
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
    "django_tasks_db",
    "registries",
]

# Background work (the inventory): Django's tasks framework on the database backend; run
# `python manage.py db_worker` beside the web processes (README "Inventory and the worker").
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

MIDDLEWARE = [
    "regfront.request_logging.RequestLogMiddleware",  # outermost: one log line per request
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "regfront.health.ProbeMiddleware",  # /healthz, /readyz, /metrics by any Host header
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "regfront.require_login.RequireLoginMiddleware",
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
                "registries.context_processors.portal",
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
    "formatters": {
        "plain": {"()": "regfront.logformat.PlainFormatter"},
        "json": {"()": "regfront.logformat.JSONFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("REGFRONT_LOG_LEVEL", default="INFO")},
}

# --- regfront ---------------------------------------------------------------------------
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "registries:home"
LOGOUT_REDIRECT_URL = "registries:home"
# Off (the seed's behaviour): anonymous people may browse. On: every page needs a user.
REGFRONT_REQUIRE_LOGIN = env.bool("REGFRONT_REQUIRE_LOGIN", default=False)
# Seed-compatible switch: hide and refuse the add/edit/remove registry pages.
REGISTRY_DISABLE_ADD_REMOVE = env.bool("REGISTRY_DISABLE_ADD_REMOVE", default=False)

# Registry traffic: caching, concurrency and limits (see README, "Settings").
REGFRONT_CACHE_TTL = env.int("REGFRONT_CACHE_TTL", default=30)
REGFRONT_CAPABILITY_TTL = 3600  # how long "this registry has no referrers API" is believed
REGFRONT_SEEN_TTL = 24 * 3600  # how long a tag's last digest is kept for HEAD revalidation
# Past its TTL a changeable entry is still served this many seconds while a background
# refresh replaces it (registries/services/refresh.py); 0: pages revalidate it themselves.
REGFRONT_STALE_SECONDS = env.int("REGFRONT_STALE_SECONDS", default=600)
# Where that refresh runs: "worker" (a task for db_worker; needs a shared cache such as
# Redis), "process" (a thread of the process that found the entry stale), "auto" (worker
# unless the cache is this process's local memory).
REGFRONT_REFRESH_IN = env.str("REGFRONT_REFRESH_IN", default="auto")
if REGFRONT_STALE_SECONDS < 0 or REGFRONT_REFRESH_IN not in ("auto", "worker", "process"):
    fail("REGFRONT_STALE_SECONDS must be 0 or more; REGFRONT_REFRESH_IN auto, worker or process.")
# Tag and repository pages are kept whole while what they show is fresh
# (registries/views/cached_pages.py); off, every view renders them again.
REGFRONT_PAGE_CACHE = env.bool("REGFRONT_PAGE_CACHE", default=True)
REGFRONT_STATUS_TTL = env.int("REGFRONT_STATUS_TTL", default=10)
REGFRONT_STATUS_DEADLINE = env.float("REGFRONT_STATUS_DEADLINE", default=2.0)
# How long a page waits for registry work: per-tag details, and another request's fetch of
# the same entry (single-flight waiters give up with a 504 then).
REGFRONT_PAGE_DEADLINE = env.float("REGFRONT_PAGE_DEADLINE", default=25.0)
REGFRONT_MAX_CONCURRENCY = env.int("REGFRONT_MAX_CONCURRENCY", default=8)
REGFRONT_CONNECT_TIMEOUT = env.float("REGFRONT_CONNECT_TIMEOUT", default=5.0)
REGFRONT_READ_TIMEOUT = env.float("REGFRONT_READ_TIMEOUT", default=15.0)
REGFRONT_REQUEST_DEADLINE = env.float("REGFRONT_REQUEST_DEADLINE", default=20.0)
# A catalog or tag list in all, whatever Link pages a registry keeps sending; below the page
# deadline, so that visitors waiting for the same listing get its answer.
REGFRONT_LISTING_DEADLINE = env.float("REGFRONT_LISTING_DEADLINE", default=20.0)
REGFRONT_LISTING_MAX_PAGES = env.int("REGFRONT_LISTING_MAX_PAGES", default=1000)
# Page and API requests one process serves for one registry at once: well below gunicorn's
# threads, so that one stuck registry cannot take them all (the rest get a 503 "busy").
REGFRONT_REGISTRY_CONCURRENT_PAGES = env.int("REGFRONT_REGISTRY_CONCURRENT_PAGES", default=3)
if REGFRONT_LISTING_MAX_PAGES < 1 or REGFRONT_REGISTRY_CONCURRENT_PAGES < 1:
    fail("REGFRONT_LISTING_MAX_PAGES and REGFRONT_REGISTRY_CONCURRENT_PAGES must be 1 or more.")
REGFRONT_MAX_MANIFEST_BYTES = 4 * 1024 * 1024
REGFRONT_DENY_PRIVATE_NETWORKS = env.bool("REGFRONT_DENY_PRIVATE_NETWORKS", default=False)
REGFRONT_TAGS_PER_PAGE = env.int("REGFRONT_TAGS_PER_PAGE", default=50)
REGFRONT_REPOSITORIES_PER_PAGE = env.int("REGFRONT_REPOSITORIES_PER_PAGE", default=100)
# The tag page resolves every tag of the repository to list those sharing its digest, up to
# this many tags; beyond it the list shows only tags already known from the cache.
REGFRONT_SIBLING_TAGS_MAX = env.int("REGFRONT_SIBLING_TAGS_MAX", default=500)
# "Newest first" needs every tag's created time; offered up to this many tags.
REGFRONT_SORT_BY_DATE_MAX = env.int("REGFRONT_SORT_BY_DATE_MAX", default=500)
# Pushes and deletes reported by registries (the event webhook) are kept this many days;
# 0 keeps them forever.
REGFRONT_EVENT_RETENTION_DAYS = env.int("REGFRONT_EVENT_RETENTION_DAYS", default=90)
# Outgoing notifications (registries/events/): attempts per delivery (backoff 30 s, 2 min,
# 10 min, then hourly) and seconds one attempt may wait for the receiver's answer.
REGFRONT_NOTIFY_MAX_ATTEMPTS = env.int("REGFRONT_NOTIFY_MAX_ATTEMPTS", default=5)
REGFRONT_NOTIFY_TIMEOUT = env.float("REGFRONT_NOTIFY_TIMEOUT", default=10.0)
# Files inside images (registries/contents/): what reading one layer may take. Layers up to
# REGFRONT_LAYER_INLINE_BYTES (compressed) are listed while the page waits; bigger ones by
# the worker. The unpacked cap stops gzip bombs.
REGFRONT_MAX_LAYER_BYTES = env.int("REGFRONT_MAX_LAYER_BYTES", default=2 * 1024**3)
REGFRONT_MAX_LAYER_UNPACKED_BYTES = env.int(
    "REGFRONT_MAX_LAYER_UNPACKED_BYTES", default=16 * 1024**3
)
REGFRONT_MAX_LAYER_ENTRIES = env.int("REGFRONT_MAX_LAYER_ENTRIES", default=500_000)
REGFRONT_LAYER_READ_SECONDS = env.float("REGFRONT_LAYER_READ_SECONDS", default=600.0)
REGFRONT_LAYER_INLINE_BYTES = env.int("REGFRONT_LAYER_INLINE_BYTES", default=64 * 1024**2)
# A file page shows (and types) at most this many of the file's first bytes.
REGFRONT_FILE_PREVIEW_BYTES = env.int("REGFRONT_FILE_PREVIEW_BYTES", default=1024 * 1024)
# Supply chain (registries/supplychain/): the largest SBOM, attestation or signature blob read.
REGFRONT_MAX_ATTESTATION_BYTES = env.int("REGFRONT_MAX_ATTESTATION_BYTES", default=16 * 1024**2)
# The inventory (registries/inventory/): an index older than this many seconds gets a sync
# enqueued; every registry is synced in full every REGFRONT_SYNC_INTERVAL seconds.
REGFRONT_INDEX_MAX_AGE = env.int("REGFRONT_INDEX_MAX_AGE", default=900)
REGFRONT_SYNC_INTERVAL = env.int("REGFRONT_SYNC_INTERVAL", default=3600)
if REGFRONT_INDEX_MAX_AGE < 1 or REGFRONT_SYNC_INTERVAL < 1:
    fail("REGFRONT_INDEX_MAX_AGE and REGFRONT_SYNC_INTERVAL must be 1 or more (seconds).")
# A worker indexing a repository holds its lease this many seconds past its last renewal;
# renewals come between registry requests, so it must outlast the longest one (a killed
# worker's repositories are free again after it).
REGFRONT_SYNC_LEASE = env.int("REGFRONT_SYNC_LEASE", default=60)
if max(REGFRONT_REQUEST_DEADLINE, REGFRONT_LISTING_DEADLINE) >= REGFRONT_SYNC_LEASE:
    fail("REGFRONT_SYNC_LEASE must be longer than the request and listing deadlines.")
# Cleanup (registries/retention/): deletes per second a retention run sends at most (it holds
# its policy's lease REGFRONT_SYNC_LEASE seconds past each renewal, like a sync).
REGFRONT_RETENTION_RATE = env.float("REGFRONT_RETENTION_RATE", default=5.0)
# Copy and promote (registries/promotion/): the largest blob a copy streams through, and how
# long one blob may take.
REGFRONT_MAX_COPY_BLOB_BYTES = env.int("REGFRONT_MAX_COPY_BLOB_BYTES", default=20 * 1024**3)
REGFRONT_COPY_BLOB_SECONDS = env.float("REGFRONT_COPY_BLOB_SECONDS", default=3600.0)
if REGFRONT_RETENTION_RATE <= 0:
    fail("REGFRONT_RETENTION_RATE must be above 0 (deletes per second).")

# --- Production hardening / logging / metrics (README "Production", docs/deploy.md) -----
# HTTPS: secure cookies, HSTS and a redirect to https. The probes stay reachable over plain
# HTTP so that load balancers and Prometheus can ask an instance directly.
REGFRONT_HTTPS = env.bool("REGFRONT_HTTPS", default=False)
SECURE_SSL_REDIRECT = REGFRONT_HTTPS
SECURE_HSTS_SECONDS = env.int("REGFRONT_HSTS_SECONDS", default=31_536_000) if REGFRONT_HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("REGFRONT_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("REGFRONT_HSTS_PRELOAD", default=True)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = REGFRONT_HTTPS
CSRF_TRUSTED_ORIGINS = env.list("REGFRONT_CSRF_TRUSTED_ORIGINS", default=[])
# Behind a load balancer / reverse proxy that sets X-Forwarded-Proto, -Host and -For. Only
# turn on when every request passes through that proxy: clients could forge them otherwise.
REGFRONT_BEHIND_PROXY = env.bool("REGFRONT_BEHIND_PROXY", default=False)
if REGFRONT_BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# No inline script or style anywhere: everything comes from our own static files.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}

# Served under a sub-path by a reverse proxy that strips it (see README "Production").
REGFRONT_URL_PREFIX = env.str("REGFRONT_URL_PREFIX", default="").rstrip("/")
if REGFRONT_URL_PREFIX:
    if not re.fullmatch(r"(/[A-Za-z0-9._~-]+)+", REGFRONT_URL_PREFIX):
        fail("REGFRONT_URL_PREFIX must look like /registry-ui (a path, no trailing slash).")
    FORCE_SCRIPT_NAME = REGFRONT_URL_PREFIX
    STATIC_URL = f"{REGFRONT_URL_PREFIX}/static/"
    SESSION_COOKIE_PATH = CSRF_COOKIE_PATH = f"{REGFRONT_URL_PREFIX}/"
# Matched against the path with the prefix, without the leading slash.
SECURE_REDIRECT_EXEMPT = [rf"^{re.escape(REGFRONT_URL_PREFIX[1:] + '/')}?(healthz|readyz|metrics)$"]

# Hashed, compressed static files once collectstatic has run (the Docker image does it).
REGFRONT_STATIC_MANIFEST = env.bool("REGFRONT_STATIC_MANIFEST", default=not DEBUG)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if REGFRONT_STATIC_MANIFEST
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Timeouts that keep a dead PostgreSQL or Redis from hanging requests and /readyz.
REGFRONT_READYZ_TIMEOUT = env.float("REGFRONT_READYZ_TIMEOUT", default=3.0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env.int("REGFRONT_DB_CONNECT_TIMEOUT", default=5)
    )
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    _cache_timeout = env.float("REGFRONT_CACHE_SOCKET_TIMEOUT", default=2.0)
    _cache_options = CACHES["default"].setdefault("OPTIONS", {})
    _cache_options.setdefault("socket_connect_timeout", _cache_timeout)
    _cache_options.setdefault("socket_timeout", _cache_timeout)
    # The same backend without a new client object per cache call (regfront/redis_cache.py).
    CACHES["default"]["BACKEND"] = "regfront.redis_cache.RedisCache"

# Logs: one line per request (regfront.request); outbound registry calls log on
# regfront.registry. Both go through the same formatter; 4xx need no second line.
REGFRONT_LOG_FORMAT = env.str("REGFRONT_LOG_FORMAT", default="plain")
if REGFRONT_LOG_FORMAT not in ("plain", "json"):
    fail("REGFRONT_LOG_FORMAT must be plain or json.")
LOGGING["handlers"]["console"]["formatter"] = REGFRONT_LOG_FORMAT
LOGGING.setdefault("loggers", {})["django.request"] = {"level": "ERROR"}

# /metrics: off (404), public, or a comma-separated list of client IPs / networks; a bearer
# token (REGFRONT_METRICS_TOKEN) is accepted in addition whenever it is set.
_metrics = env.str("REGFRONT_METRICS", default="off").strip()
REGFRONT_METRICS_TOKEN = env.str("REGFRONT_METRICS_TOKEN", default="")
REGFRONT_METRICS_NETWORKS: list = []
if _metrics.lower() in ("", "off", "public"):
    REGFRONT_METRICS = _metrics.lower() or "off"
else:
    REGFRONT_METRICS = "allowlist"
    try:
        REGFRONT_METRICS_NETWORKS = parse_networks(_metrics.split(","))
    except ValueError as exc:
        fail(f"REGFRONT_METRICS: {exc}; use off, public or a list of IPs/networks.")

# Old secret keys, still accepted for sessions and signed values while clients move over to
# the new SECRET_KEY (docs/deploy.md, "Rotating keys").
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])

# Login rate limit per (client IP, username): refused with 429 after this many failures
# within the window (seconds) that starts at the first failure.
REGFRONT_LOGIN_MAX_FAILURES = env.int("REGFRONT_LOGIN_MAX_FAILURES", default=10)
REGFRONT_LOGIN_FAILURE_WINDOW = env.int("REGFRONT_LOGIN_FAILURE_WINDOW", default=15 * 60)

# --- Single sign-on with OpenID Connect (registries/sso/, README "Single sign-on") --------
# mozilla-django-oidc reads the OIDC_* settings; the provider's endpoints come from its
# discovery document, read when a login first needs them (registries/sso/discovery.py).
REGFRONT_OIDC_ISSUER = env.str("REGFRONT_OIDC_ISSUER", default="").rstrip("/")
REGFRONT_OIDC_ONLY = env.bool("REGFRONT_OIDC_ONLY", default=False)
REGFRONT_OIDC_GROUPS_CLAIM = env.str("REGFRONT_OIDC_GROUPS_CLAIM", default="groups")
# The login page's "Sign in with <name>"; the issuer's host name when unset.
REGFRONT_OIDC_PROVIDER_NAME = env.str("REGFRONT_OIDC_PROVIDER_NAME", default="")
TEMPLATES[0]["OPTIONS"]["context_processors"].append("registries.sso.context.sso")
if REGFRONT_OIDC_ISSUER:
    from urllib.parse import urlsplit as _urlsplit

    from registries.sso.discovery import discovered as _discovered

    _issuer = _urlsplit(REGFRONT_OIDC_ISSUER)
    if _issuer.scheme not in ("http", "https") or not _issuer.hostname:
        fail(
            "REGFRONT_OIDC_ISSUER must be the provider's URL, e.g. https://sso.example.com/realms/x"
        )
    OIDC_RP_CLIENT_ID = env.str("REGFRONT_OIDC_CLIENT_ID", default="")
    # .strip(): a secret file written with echo ends in a newline the provider would refuse.
    OIDC_RP_CLIENT_SECRET = env.str("REGFRONT_OIDC_CLIENT_SECRET", default="").strip()
    if not OIDC_RP_CLIENT_ID or not OIDC_RP_CLIENT_SECRET:
        fail(
            "REGFRONT_OIDC_ISSUER needs REGFRONT_OIDC_CLIENT_ID and REGFRONT_OIDC_CLIENT_SECRET"
            " (or REGFRONT_OIDC_CLIENT_SECRET_FILE)."
        )
    OIDC_RP_SCOPES = env.str("REGFRONT_OIDC_SCOPES", default="openid email profile")
    if "openid" not in OIDC_RP_SCOPES.split():
        fail("REGFRONT_OIDC_SCOPES must include openid.")
    REGFRONT_OIDC_PROVIDER_NAME = REGFRONT_OIDC_PROVIDER_NAME or _issuer.hostname
    OIDC_OP_AUTHORIZATION_ENDPOINT = _discovered("authorization_endpoint")
    OIDC_OP_TOKEN_ENDPOINT = _discovered("token_endpoint")
    OIDC_OP_USER_ENDPOINT = _discovered("userinfo_endpoint")
    OIDC_OP_JWKS_ENDPOINT = _discovered("jwks_uri")
    OIDC_RP_SIGN_ALGO = "RS256"
    OIDC_USE_PKCE = True
    OIDC_STORE_ID_TOKEN = True  # the id_token_hint of the provider's logout
    OIDC_TIMEOUT = (REGFRONT_CONNECT_TIMEOUT, REGFRONT_READ_TIMEOUT)
    OIDC_OP_LOGOUT_URL_METHOD = "registries.sso.views.provider_logout_url"
    # Password logins go through ModelBackend; without it (REGFRONT_OIDC_ONLY) the portal's
    # and the admin's login forms accept no password at all.
    AUTHENTICATION_BACKENDS = ["registries.sso.backend.SSOBackend"]
    if not REGFRONT_OIDC_ONLY:
        AUTHENTICATION_BACKENDS.insert(0, "django.contrib.auth.backends.ModelBackend")
    # Logging out ends in a redirect to the provider, which the browser checks against
    # form-action; the provider's end-session endpoint lives at its issuer's origin.
    SECURE_CSP["form-action"].append(f"{_issuer.scheme}://{_issuer.netloc}")
elif REGFRONT_OIDC_ONLY:
    fail("REGFRONT_OIDC_ONLY needs REGFRONT_OIDC_ISSUER: nobody could log in otherwise.")
