"""Bench-only middleware.

LocalCacheReset empties this worker's local-memory cache when bench/run.py asks. A
local-memory cache lives inside each gunicorn worker, out of reach of the bench; the bench
touches BENCH_RESET_FILE and each worker clears its own cache before its next request. Redis
is flushed by the bench directly, so this does nothing for shared caches.

Anonymous and EmptyTemplate stand in for what bench/settings.py's BENCH_OFF turns off.
"""

import os

from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache


class LocalCacheReset:
    def __init__(self, get_response) -> None:
        self.get_response = get_response
        self.path = os.environ.get("BENCH_RESET_FILE", "")
        self.seen = self._stamp()

    def _stamp(self) -> int:
        try:
            return os.stat(self.path).st_mtime_ns if self.path else 0
        except OSError:
            return 0

    def __call__(self, request):
        stamp = self._stamp()
        if stamp != self.seen:
            self.seen = stamp
            if isinstance(caches["default"], LocMemCache):
                caches["default"].clear()
        return self.get_response(request)


class Anonymous:
    """Stands in for the session and auth middleware when BENCH_OFF has "sessions"."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        from django.contrib.auth.models import AnonymousUser

        request.user = AnonymousUser()
        return self.get_response(request)


class EmptyTemplate:
    """Renders every template response with an empty template (BENCH_OFF has "templates")."""

    def __init__(self, get_response) -> None:
        from django.template import engines

        self.get_response = get_response
        self.empty = engines["django"].from_string("")

    def __call__(self, request):
        return self.get_response(request)

    def process_template_response(self, request, response):
        response.template_name = self.empty
        return response
