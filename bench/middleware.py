"""Empty this worker's local-memory cache when bench/run.py asks (bench only).

A local-memory cache lives inside each gunicorn worker, out of reach of the bench; the bench
touches BENCH_RESET_FILE and each worker clears its own cache before its next request. Redis
is flushed by the bench directly, so this does nothing for shared caches.
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
