"""Liveness and readiness endpoints for load balancers and container runtimes."""

import logging
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import resolve
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger("regfront.health")

# Checks run in these threads so that a dependency that accepts a connection and then never
# answers costs the probe REGFRONT_READYZ_TIMEOUT, not a gunicorn worker thread. The pool is
# small and long-lived.
_executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="regfront-readyz")


def _check_database() -> None:
    # A new connection each time: it is what a new request thread would need, and no idle
    # connection stays open in these threads between probes.
    connection = connections[DEFAULT_DB_ALIAS]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    finally:
        connection.close()


def _check_cache() -> None:
    key = f"rf:readyz:{uuid.uuid4().hex}"  # one key per probe: concurrent probes never clash
    cache.set(key, "ok", timeout=30)
    try:
        if cache.get(key) != "ok":
            raise RuntimeError("the cache did not return what was just stored")
    finally:
        cache.delete(key)


CHECKS: dict[str, Callable[[], None]] = {"database": _check_database, "cache": _check_cache}


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """The process answers; says nothing about its dependencies."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Ready to serve: the database answers a query and the cache stores and returns a value.

    503 names each dependency that failed (`unreachable`) or did not answer in time
    (`timeout`); details go to the log, never into the response.
    """
    futures = {name: _executor.submit(check) for name, check in CHECKS.items()}
    timeout = settings.REGFRONT_READYZ_TIMEOUT
    deadline = time.monotonic() + timeout  # the checks run in parallel: one budget for all
    results: dict[str, str] = {}
    for name, future in futures.items():
        try:
            future.result(timeout=max(0.0, deadline - time.monotonic()))
            results[name] = "ok"
        except FutureTimeout:
            results[name] = "timeout"
            logger.warning("readyz: %s did not answer within %.1fs", name, timeout)
        except Exception as exc:
            results[name] = "unreachable"
            logger.warning("readyz: %s failed: %s: %s", name, type(exc).__name__, exc)
    ok = all(value == "ok" for value in results.values())
    body = {"status": "ok" if ok else "unavailable", **results}
    return JsonResponse(body, status=200 if ok else 503)


class ProbeMiddleware:
    """Serve /healthz, /readyz and /metrics ahead of host validation.

    Load balancers, the container HEALTHCHECK and Prometheus call an instance by its address,
    which ALLOWED_HOSTS rightly does not list; CommonMiddleware would answer them 400.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        from regfront.metrics import metrics_view

        self.get_response = get_response
        self.views = {"/healthz": healthz, "/readyz": readyz, "/metrics": metrics_view}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        view = self.views.get(request.path_info)
        if view is None:
            return self.get_response(request)
        request.resolver_match = resolve(request.path_info)  # names the view in logs/metrics
        return view(request)
