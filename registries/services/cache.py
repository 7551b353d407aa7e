"""Cache keys and a single-flight get-or-compute over Django's cache.

Content addressed by digest is immutable and cached without expiry; everything a registry can
change (catalogs, tag lists, tag → digest) lives for REGFRONT_CACHE_TTL seconds and sits
under a per-repository generation number, so one increment makes a repository fresh at once.
KINDS declares every kind of entry and its lifetime.
"""

import copy
import hashlib
import threading
import weakref
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache

from regfront.metrics import observe_cache
from registries.client import errors
from registries.services.bulkhead import take_place

FOREVER = None  # Django's timeout for "never expires"
FLIGHT_GRACE = 0.25  # seconds a miss waits on another request's fetch before it needs a place
_MISSING = object()

# Every kind of entry and the setting that says how many seconds it lives (None: forever).
KINDS: dict[str, str | None] = {
    # Addressed by digest, verified by the client: never changes.
    "manifest": None,
    "config": None,
    "detail": None,
    "summary": None,
    "supplychain": None,  # an artifact's signatures, SBOMs, provenance, read from its blobs
    "file-preview": None,  # keyed by the layer digests below the file
    # What a registry can change (tags, catalog), under the repository's generation where
    # per repository.
    "catalog": "REGFRONT_CACHE_TTL",
    "catalog-stamp": "REGFRONT_CACHE_TTL",
    "tags": "REGFRONT_CACHE_TTL",
    "tags-hidden": "REGFRONT_CACHE_TTL",
    "tag": "REGFRONT_CACHE_TTL",
    "tag-groups": "REGFRONT_CACHE_TTL",
    "referrers": "REGFRONT_CACHE_TTL",
    "referrers-api": "REGFRONT_CAPABILITY_TTL",  # remembered only when the registry has none
    "supplychain-tags": "REGFRONT_CACHE_TTL",  # whether cosign's helper tags exist
    # A tag's last digest, for revalidating it with a conditional GET.
    "tag-seen": "REGFRONT_SEEN_TTL",
    "status": "REGFRONT_STATUS_TTL",
    "gen": None,  # a repository's generation number
}


def make_key(kind: str, *parts: object) -> str:
    """A short, safe key: registry data (repository names, tags) is hashed, never embedded."""
    if kind not in KINDS:
        raise KeyError(f"Unknown cache kind {kind!r}: declare it in KINDS.")
    digest = hashlib.sha256("\x00".join(str(p) for p in parts).encode()).hexdigest()[:40]
    return f"rf:{kind}:{digest}"


def key_kind(key: str) -> str:
    """The `kind` of a make_key key ("manifest", "tags", ...): the metrics label."""
    return key.split(":", 2)[1] if key.startswith("rf:") else "other"


def lifetime(key: str) -> float | None:
    """Seconds an entry of this key's kind lives (None: forever)."""
    setting = KINDS[key_kind(key)]
    return None if setting is None else getattr(settings, setting)


def store(key: str, value: Any) -> None:
    """Cache a value for its kind's lifetime."""
    cache.set(key, value, lifetime(key))


class _KeyLock:
    """One key's flights: the lock, how many ended, and the registry error the last one
    raised (shared with the threads that waited for it, so they do not each ask again)."""

    __slots__ = ("__weakref__", "ended", "failure", "lock")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.ended = 0
        self.failure: errors.RegistryError | None = None


_locks: "weakref.WeakValueDictionary[str, _KeyLock]" = weakref.WeakValueDictionary()
_locks_guard = threading.Lock()


def _lock_for(key: str) -> _KeyLock:
    with _locks_guard:
        holder = _locks.get(key)
        if holder is None:
            holder = _KeyLock()
            _locks[key] = holder
        return holder


def get_or_compute[T](key: str, compute: Callable[[], T], *, refresh: bool = False) -> T:
    """Return the cached value or compute it once per process for all concurrent callers.

    Threads missing the same key wait for the first one instead of asking the registry again,
    for as long as a page may take (REGFRONT_PAGE_DEADLINE): then errors.Timeout, a 504.
    When the flight they waited for failed with a registry error, they raise it too.
    """
    kind = key_kind(key)
    if not refresh:
        value = cache.get(key, _MISSING)
        if value is not _MISSING:
            observe_cache(hit=True, kind=kind)
            return value
    holder = _lock_for(key)  # keep a strong reference while we hold the lock
    ended_before = holder.ended
    waited = _join_flight(holder)
    try:
        if waited and holder.ended != ended_before and holder.failure is not None:
            raise copy.copy(holder.failure)  # a copy: each thread gets its own traceback
        # Only a thread we waited for can have filled the key since our miss: look again
        # then, and spare the cache a round trip otherwise.
        if waited and not refresh:
            value = cache.get(key, _MISSING)
            if value is not _MISSING:
                observe_cache(hit=True, kind=kind)
                return value
        observe_cache(hit=False, kind=kind)
        take_place()  # this request now waits on the registry itself
        value = _compute_once(holder, compute)
        store(key, value)
        return value
    finally:
        holder.lock.release()


def _join_flight(holder: _KeyLock) -> bool:
    """Take the key's lock; True when another request's fetch held it first.

    Most fetches end within moments (a popular entry expiring under load): a waiter waits
    that long (FLIGHT_GRACE) without a bulkhead place, so a burst is never turned away. A
    longer wait means the registry is slow, and from then on it holds one of the registry's
    places (or gets RegistryBusy) until the page deadline.
    """
    if holder.lock.acquire(blocking=False):
        return False
    if holder.lock.acquire(timeout=FLIGHT_GRACE):
        return True
    take_place()
    seconds = settings.REGFRONT_PAGE_DEADLINE
    if not holder.lock.acquire(timeout=max(seconds - FLIGHT_GRACE, 0)):
        raise errors.Timeout(
            f"The registry did not answer another request for the same data within "
            f"{seconds:g} seconds."
        )
    return True


def _compute_once[T](holder: _KeyLock, compute: Callable[[], T]) -> T:
    """compute(), noting on the holder (under its lock) how the flight ended."""
    holder.failure = None
    try:
        return compute()
    except errors.RegistryError as exc:
        holder.failure = copy.copy(exc)  # without the traceback, whose frames hold the holder
        raise
    finally:
        holder.ended += 1


def get_many(keys: list[str]) -> dict[str, Any]:
    """The cached values among `keys` in one round trip (MGET on Redis), counted as lookups.

    For pages that need many small entries (a tag -> digest per visible tag): asking one key
    at a time costs a network round trip each.
    """
    if not keys:
        return {}
    found = cache.get_many(keys)
    for key in keys:
        observe_cache(hit=key in found, kind=key_kind(key))
    return found


def peek(key: str) -> Any:
    """The cached value or None, without computing anything."""
    return cache.get(key)


def repository_generation(registry_id: int, repository: str) -> int:
    return cache.get(make_key("gen", registry_id, repository), 0)


def repository_touch(registry_id: int, repository: str) -> None:
    """Make every short-lived entry of this repository stale (after a delete or a push)."""
    key = make_key("gen", registry_id, repository)
    try:
        cache.incr(key)
    except ValueError:  # not there yet
        store(key, 1)
