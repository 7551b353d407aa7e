"""Prometheus metrics: what regfront counts, and the /metrics view.

Under gunicorn every worker writes its samples to PROMETHEUS_MULTIPROC_DIR (set up by
regfront/gunicorn.conf.py) and /metrics adds up all workers of the instance; without that
variable (runserver, tests) the samples are this process's own.
https://prometheus.github.io/client_python/multiprocess/
"""

import hmac
import os
from collections import Counter as Tally
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

from regfront.clientip import client_ip, ip_allowed

HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

http_requests = Counter(
    "regfront_http_requests",
    "HTTP requests served, by view name, method and status code.",
    ["view", "method", "status"],
)
http_duration = Histogram(
    "regfront_http_request_duration_seconds",
    "Time to serve an HTTP request, by view name.",
    ["view"],
)
registry_requests = Counter(
    "regfront_registry_requests",
    "Requests sent to registries, by registry, method, outcome and status code.",
    ["registry", "method", "outcome", "status"],
)
registry_duration = Histogram(
    "regfront_registry_request_duration_seconds",
    "Time of requests sent to registries, by registry and outcome.",
    ["registry", "outcome"],
)
cache_lookups = Counter(
    "regfront_cache_lookups",
    "Cache lookups by kind of data and result (hit or miss).",
    ["kind", "result"],
)


def _method(method: str) -> str:
    method = method.upper()
    return method if method in HTTP_METHODS else "other"  # label values stay few


# labels() validates and looks up its arguments on every call (tens of µs under load in
# multiprocess mode); the label values are few, so each child is looked up once per process.
_children: dict[tuple, object] = {}


def _child(metric, *values: str):
    key = (metric, values)
    child = _children.get(key)
    if child is None:
        child = _children.setdefault(key, metric.labels(*values))
    return child


# Cache lookups during a request are added up and counted once at its end: a repository page
# makes a hundred lookups of two or three kinds, and every inc() writes the multiprocess file.
_pending_cache: ContextVar[Tally | None] = ContextVar("regfront_pending_cache", default=None)


@contextmanager
def request_batch() -> Iterator[None]:
    """Count this request's cache lookups in one go when it ends (RequestLogMiddleware)."""
    pending: Tally = Tally()
    token = _pending_cache.set(pending)
    try:
        yield
    finally:
        _pending_cache.reset(token)
        for (kind, result), count in pending.items():
            _child(cache_lookups, kind, result).inc(count)


def observe_request(*, view: str, method: str, status: int, duration: float) -> None:
    _child(http_requests, view, _method(method), str(status)).inc()
    _child(http_duration, view).observe(duration)


def observe_registry_call(
    *, registry: str, method: str, outcome: str, status: int | None, duration: float
) -> None:
    """Count one outbound registry request; `status` is None when no response came back."""
    status_label = str(status) if status is not None else "none"
    _child(registry_requests, registry, _method(method), outcome, status_label).inc()
    _child(registry_duration, registry, outcome).observe(duration)


def observe_cache(*, hit: bool, kind: str) -> None:
    result = "hit" if hit else "miss"
    pending = _pending_cache.get()
    if pending is None:  # outside a request (tasks, commands): count it now
        _child(cache_lookups, kind, result).inc()
    else:
        pending[kind, result] += 1


def _allowed(request: HttpRequest) -> bool:
    """REGFRONT_METRICS = public, or the client IP is listed, or the bearer token matches."""
    if settings.REGFRONT_METRICS == "public":
        return True
    ip = client_ip(request.META, behind_proxy=settings.REGFRONT_BEHIND_PROXY)
    if ip_allowed(ip, settings.REGFRONT_METRICS_NETWORKS):
        return True
    token = settings.REGFRONT_METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    scheme, _, given = header.partition(" ")
    return (
        bool(token)
        and scheme.lower() == "bearer"
        and hmac.compare_digest(given.strip().encode(), token.encode())
    )


@never_cache
@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    if settings.REGFRONT_METRICS == "off" and not settings.REGFRONT_METRICS_TOKEN:
        raise Http404
    if not _allowed(request):
        return HttpResponseForbidden("Forbidden\n", content_type="text/plain")
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
