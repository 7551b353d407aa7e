"""The per-registry bulkhead: one slow registry never takes every thread of a process.

A page or API request about a registry is a *visit* (registry_visit, entered by the views).
The first time a visit needs the registry itself (a cache miss it fetches, a wait of more
than a moment on another request's fetch, or a fan-out it waits on) it takes one of the
registry's REGFRONT_REGISTRY_CONCURRENT_PAGES places, or gets RegistryBusy (a 503) at once.
Pages answered from the cache never take one. Pool threads have no visit: the request thread that
waits on them holds the place.
"""

import contextlib
import threading
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.conf import settings

from registries.client import errors
from registries.models import Registry

BUSY_WAIT = 0.1  # seconds a request waits for a free place: a burst passes, a stall does not
BUSY_RETRY_AFTER = 5  # seconds, for the Retry-After header: places free up as pages end


class RegistryBusy(errors.RegistryError):
    """regfront already serves as many requests for this registry as it allows (a 503)."""

    default_message = "regfront is busy with other requests to this registry."

    def __init__(self, user_message: str | None = None, *, retry_after: int = BUSY_RETRY_AFTER):
        self.retry_after = retry_after
        super().__init__(user_message, status=503)


_places: dict[int, tuple[int, threading.BoundedSemaphore]] = {}
_places_guard = threading.Lock()


def _places_for(registry: Registry) -> threading.BoundedSemaphore:
    size = settings.REGFRONT_REGISTRY_CONCURRENT_PAGES
    with _places_guard:
        known = _places.get(registry.pk)
        if known is None or known[0] != size:  # a changed setting (tests) gets a new one
            known = (size, threading.BoundedSemaphore(size))
            _places[registry.pk] = known
        return known[1]


@contextlib.contextmanager
def registry_place(registry: Registry) -> Iterator[None]:
    """Hold one of the registry's REGFRONT_REGISTRY_CONCURRENT_PAGES places, or raise
    RegistryBusy at once."""
    places = _places_for(registry)
    if not places.acquire(timeout=BUSY_WAIT):
        raise RegistryBusy(
            f"regfront is already waiting on this registry for "
            f"{settings.REGFRONT_REGISTRY_CONCURRENT_PAGES} requests, as many as it allows at "
            "once; try again in a few seconds."
        )
    try:
        yield
    finally:
        places.release()


@dataclass
class _Visit:
    registry: Registry
    held: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)
    holding: bool = False


# The visit this thread serves (each thread has its own context; pool threads have none).
_visit: ContextVar[_Visit | None] = ContextVar("regfront_registry_visit", default=None)


@contextlib.contextmanager
def registry_visit(registry: Registry) -> Iterator[None]:
    """One page or API request about a registry: see the module's docstring."""
    visit = _Visit(registry)
    token = _visit.set(visit)
    try:
        with visit.held:
            yield
    finally:
        _visit.reset(token)


def take_place() -> None:
    """Called where a request is about to wait on a registry: the visit takes its place
    (once); a no-op outside a visit."""
    visit = _visit.get()
    if visit is not None and not visit.holding:
        visit.held.enter_context(registry_place(visit.registry))
        visit.holding = True
