"""Registry clients built from Registry rows, and the bounded per-registry fan-out.

One client per registry row version per process: it owns a pooled requests.Session and the
token cache, so keeping it across requests is what makes keep-alive and tokens pay off.
"""

import functools
import hashlib
import tempfile
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from django.conf import settings

from regfront.metrics import observe_registry_call
from registries.client.api import RegistryClient
from registries.client.transport import Limits, RequestRecord
from registries.models import Registry
from registries.services.bulkhead import take_place
from registries.services.cache import carry_reading

_clients: dict[int, tuple[str, RegistryClient]] = {}
_clients_guard = threading.Lock()
_slots: dict[int, threading.BoundedSemaphore] = {}
_slots_guard = threading.Lock()
# Shared by all requests of a process; per-registry semaphores bound what each registry sees.
_executor = ThreadPoolExecutor(max_workers=32, thread_name_prefix="regfront-fanout")


def _version(registry: Registry) -> str:
    """Changes whenever anything the client depends on changes."""
    return f"{registry.updated_at.isoformat() if registry.updated_at else ''}|{registry.url}"


@functools.cache
def _ca_directory() -> Path:
    # mkdtemp makes a fresh 0700 directory: nobody else can plant a bundle we would trust.
    return Path(tempfile.mkdtemp(prefix="regfront-ca-"))


def _ca_bundle_path(pem: str) -> str:
    """requests wants a file path; write each distinct bundle once to a private temp file."""
    digest = hashlib.sha256(pem.encode()).hexdigest()[:32]
    path = _ca_directory() / f"{digest}.pem"
    if not path.exists():
        path.write_text(pem)
    return str(path)


def _observe(record: RequestRecord) -> None:
    observe_registry_call(
        registry=record.registry,
        method=record.method,
        outcome=record.outcome,
        status=record.status,
        duration=record.duration,
    )
    for observer in list(_observers):
        observer(record)


# Callables receiving every outbound request (metrics; tests that count registry requests).
_observers: list[Callable[[RequestRecord], None]] = []


def add_observer(observer: Callable[[RequestRecord], None]) -> None:
    _observers.append(observer)


def remove_observer(observer: Callable[[RequestRecord], None]) -> None:
    _observers.remove(observer)


def limits_from_settings() -> Limits:
    return Limits(
        connect_timeout=settings.REGFRONT_CONNECT_TIMEOUT,
        read_timeout=settings.REGFRONT_READ_TIMEOUT,
        deadline=settings.REGFRONT_REQUEST_DEADLINE,
        listing_deadline=settings.REGFRONT_LISTING_DEADLINE,
        max_listing_pages=settings.REGFRONT_LISTING_MAX_PAGES,
        max_manifest_bytes=settings.REGFRONT_MAX_MANIFEST_BYTES,
    )


def build_client(registry: Registry, *, limits: Limits | None = None) -> RegistryClient:
    """A new client for a (possibly unsaved) registry, e.g. to test a connection."""
    verify: bool | str = registry.verify_tls
    if registry.verify_tls and registry.ca_bundle:
        verify = _ca_bundle_path(registry.ca_bundle)
    return RegistryClient(
        registry.url,
        name=registry.name,
        username=registry.username or None,
        password=registry.password or None,
        verify=verify,
        limits=limits or limits_from_settings(),
        deny_private=settings.REGFRONT_DENY_PRIVATE_NETWORKS,
        observer=_observe,
    )


def client_for(registry: Registry) -> RegistryClient:
    """The registry's shared client; asking for it means the request is about to talk to
    the registry, so a visit takes its bulkhead place (registries/services/bulkhead.py)."""
    take_place()
    version = _version(registry)
    with _clients_guard:
        known = _clients.get(registry.pk)
        if known and known[0] == version:
            return known[1]
    client = build_client(registry)
    with _clients_guard:
        old = _clients.get(registry.pk)
        _clients[registry.pk] = (version, client)
    if old:
        old[1].close()
    return client


def _slot(registry: Registry) -> threading.BoundedSemaphore:
    with _slots_guard:
        if registry.pk not in _slots:
            _slots[registry.pk] = threading.BoundedSemaphore(settings.REGFRONT_MAX_CONCURRENCY)
        return _slots[registry.pk]


def fan_out[T, R](registry: Registry, work: Callable[[T], R], items: Iterable[T]) -> list[Future]:
    """Run work(item) for each item concurrently, at most REGFRONT_MAX_CONCURRENCY at once
    against this registry across all requests of this process. Returns futures in order."""
    items = list(items)
    if items:
        take_place()  # this request thread now waits on the registry
    slot = _slot(registry)

    def bounded(item: T) -> R:
        with slot:
            return work(item)

    # What the threads read counts towards the page's freshness (cached_pages.py).
    carried = carry_reading(bounded)
    return [_executor.submit(carried, item) for item in items]


def submit[R](work: Callable[[], R]) -> Future:
    """Run one unbounded task on the shared pool (e.g. a status check with its own deadline)."""
    return _executor.submit(carry_reading(work))
