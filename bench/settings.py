"""regfront's production settings plus bench-only additions (never used by the product):

- the floor: a trivial view at /bench/floor behind the same middleware and gunicorn settings,
  the best any Django page can do on this machine;
- a way to empty every worker's local-memory cache between cold samples (see middleware.py);
- BENCH_OFF (comma-separated: metrics, logging, sessions, csrf, templates): what bench/speed.py
  turns off, one at a time, to see what each costs a warm page under gunicorn.
"""

import os

from regfront.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
MIDDLEWARE = ["bench.middleware.LocalCacheReset", *MIDDLEWARE]  # noqa: F405

BENCH_OFF = frozenset(filter(None, os.environ.get("BENCH_OFF", "").split(",")))

if "metrics" in BENCH_OFF:
    # Before the app modules import these by name (settings load first).
    from regfront import metrics as _metrics

    def _nothing(**_kwargs) -> None:
        return None

    _metrics.observe_request = _nothing
    _metrics.observe_registry_call = _nothing
    _metrics.observe_cache = _nothing

if "logging" in BENCH_OFF:
    LOGGING = {**LOGGING, "loggers": {"regfront.request": {"level": "WARNING"}}}  # noqa: F405

if "sessions" in BENCH_OFF:
    # Sessions go with what needs them (auth, messages); every request is anonymous.
    _needs_session = {
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
    }
    MIDDLEWARE = [m for m in MIDDLEWARE if m not in _needs_session]
    MIDDLEWARE.insert(1, "bench.middleware.Anonymous")
    SILENCED_SYSTEM_CHECKS = ["admin.E408", "admin.E409", "admin.E410"]

if "csrf" in BENCH_OFF:
    MIDDLEWARE = [m for m in MIDDLEWARE if m != "django.middleware.csrf.CsrfViewMiddleware"]

if "templates" in BENCH_OFF:
    # The view still builds its context; the page's template is replaced by an empty one.
    MIDDLEWARE = [*MIDDLEWARE, "bench.middleware.EmptyTemplate"]
