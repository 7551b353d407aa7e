"""Cache keys and a single-flight get-or-compute over Django's cache.

Content addressed by digest is immutable and cached without expiry; everything a registry can
change (catalogs, tag lists, tag → digest) is fresh for REGFRONT_CACHE_TTL seconds and sits
under a per-repository generation number, so one increment makes a repository fresh at once.
KINDS declares every kind of entry and its lifetime.

Stale-while-revalidate: a changeable entry is kept REGFRONT_STALE_SECONDS past its TTL (it is
stored as Aged, with the time it was computed). A page that finds it stale is served it and
hands a Revalidation to the background (registries/services/refresh.py); only a missing
entry, a "Refresh" (refresh=True) or a caller without a Revalidation makes the page ask.
"""

import copy
import hashlib
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, NamedTuple, Protocol

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
    "pages-stamp": None,  # moves when a background refresh replaced a repository's entries
    # A whole rendered page (views/cached_pages.py): kept its own freshness plus this long.
    "page": "REGFRONT_STALE_SECONDS",
    "page-rendering": "REGFRONT_PAGE_DEADLINE",  # one request at a time renders a page again
    # A background refresh of the entry named by the rest of the key is queued or running
    # (not a setting: refresh_claim_seconds says how long).
    "refreshing": "REGFRONT_REFRESH_CLAIM",
}
# Served stale (and refreshed in the background) once their TTL has passed.
AGING_KINDS = frozenset(kind for kind, ttl in KINDS.items() if ttl == "REGFRONT_CACHE_TTL")


class Aged(NamedTuple):
    """An AGING_KINDS entry as stored: the value and when it was computed (time.time())."""

    value: Any
    stored: float

    @property
    def age(self) -> float:
        return max(time.time() - self.stored, 0.0)

    @property
    def stale(self) -> bool:
        return self.age >= settings.REGFRONT_CACHE_TTL


class Reading:
    """What one page read of the changeable entries: when the oldest was computed, whether
    any was served stale, and whether any failed (a page showing "could not check"); and the
    refreshes it found due, queued together when the page is done (refresh.py)."""

    __slots__ = ("_guard", "deferred", "failed", "oldest", "stale")

    def __init__(self) -> None:
        self._guard = threading.Lock()  # fan-out threads note into the same Reading
        self.oldest = float("inf")
        self.stale = False
        self.failed = False
        self.deferred: list[Any] = []

    def note(self, found: Aged) -> None:
        with self._guard:
            self.oldest = min(self.oldest, found.stored)
            self.stale = self.stale or found.stale

    def defer(self, work: Any) -> None:
        with self._guard:
            self.deferred.append(work)

    @property
    def fresh_for(self) -> float:
        """Seconds until the oldest entry read passes REGFRONT_CACHE_TTL (0: already)."""
        if self.stale or self.failed:
            return 0.0
        now = time.time()
        return max(min(self.oldest, now) + settings.REGFRONT_CACHE_TTL - now, 0.0)


_reading: ContextVar[Reading | None] = ContextVar("regfront_reading", default=None)


@contextmanager
def reading() -> Iterator[Reading]:
    """Note every changeable entry read until the block ends (in this thread, and in the
    fan-out threads it starts: see carry_reading)."""
    noted = Reading()
    token = _reading.set(noted)
    try:
        yield noted
    finally:
        _reading.reset(token)


def carry_reading[**P, R](work: Callable[P, R]) -> Callable[P, R]:
    """`work`, noting into the calling thread's Reading wherever it runs."""
    noted = _reading.get()
    if noted is None:
        return work

    def carried(*args: P.args, **kwargs: P.kwargs) -> R:
        token = _reading.set(noted)
        try:
            return work(*args, **kwargs)
        finally:
            _reading.reset(token)

    return carried


def current_reading() -> Reading | None:
    """The Reading of the page being rendered in this thread, if any."""
    return _reading.get()


def _note(found: Any) -> None:
    if isinstance(found, Aged) and (noted := _reading.get()) is not None:
        noted.note(found)


def _note_failure() -> None:
    if (noted := _reading.get()) is not None:
        noted.failed = True


class Revalidation(Protocol):
    """What a caller hands get_or_compute to refresh a stale entry later (refresh.py)."""

    def schedule(self) -> None: ...


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
    """Seconds an entry of this key's kind is fresh (None: forever)."""
    setting = KINDS[key_kind(key)]
    if setting == "REGFRONT_REFRESH_CLAIM":
        return refresh_claim_seconds()
    return None if setting is None else getattr(settings, setting)


def refresh_claim_seconds() -> float:
    """How long one background refresh of an entry excludes another: what a refresh may
    take (a whole listing, or a page's worth of fan-out). A refresh that failed keeps its
    claim until then, so a registry that is down is asked again at most this often."""
    return settings.REGFRONT_LISTING_DEADLINE + settings.REGFRONT_PAGE_DEADLINE


def store(key: str, value: Any) -> None:
    """Cache a value for its kind's lifetime; a changeable one (AGING_KINDS) stays
    REGFRONT_STALE_SECONDS longer, to be served while it is refreshed."""
    seconds = lifetime(key)
    if key_kind(key) in AGING_KINDS:
        aged = Aged(value, time.time())
        _note(aged)
        cache.set(key, aged, seconds + settings.REGFRONT_STALE_SECONDS)
    else:
        cache.set(key, value, seconds)


def _usable(found: Any, revalidate: Revalidation | None) -> tuple[bool, Any]:
    """(whether a cached value may be served, the value): a stale one only with a
    Revalidation, which is then scheduled."""
    if not isinstance(found, Aged):
        return True, found
    if not found.stale:
        return True, found.value
    # With no stale window the store's expiry may still round up past the TTL: not served.
    if revalidate is None or not settings.REGFRONT_STALE_SECONDS:
        return False, None
    revalidate.schedule()
    return True, found.value


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


def get_or_compute[T](
    key: str,
    compute: Callable[[], T],
    *,
    refresh: bool = False,
    revalidate: Revalidation | None = None,
) -> T:
    """Return the cached value or compute it once per process for all concurrent callers.

    A stale entry (past its TTL) is returned as it is when the caller says how to refresh
    it (`revalidate`, scheduled then); without one it is computed again like a miss.

    Threads missing the same key wait for the first one instead of asking the registry again,
    for as long as a page may take (REGFRONT_PAGE_DEADLINE): then errors.Timeout, a 504.
    When the flight they waited for failed with a registry error, they raise it too.
    """
    kind = key_kind(key)
    if not refresh:
        found = cache.get(key, _MISSING)
        if found is not _MISSING:
            usable, value = _usable(found, revalidate)
            if usable:
                observe_cache(hit=True, kind=kind)
                return value
    holder = _lock_for(key)  # keep a strong reference while we hold the lock
    ended_before = holder.ended
    waited = _join_flight(holder)
    try:
        if waited and holder.ended != ended_before and holder.failure is not None:
            _note_failure()
            raise copy.copy(holder.failure)  # a copy: each thread gets its own traceback
        # Only a thread we waited for can have filled the key since our miss: look again
        # then, and spare the cache a round trip otherwise.
        if waited and not refresh:
            found = cache.get(key, _MISSING)
            if found is not _MISSING:
                usable, value = _usable(found, revalidate)
                if usable:
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
        _note_failure()
        raise
    finally:
        holder.ended += 1


def get_many(keys: list[str], *, stale: list[str] | None = None) -> dict[str, Any]:
    """The cached values among `keys` in one round trip (MGET on Redis), counted as lookups.

    For pages that need many small entries (a tag -> digest per visible tag): asking one key
    at a time costs a network round trip each. Entries past their TTL count as missing,
    unless the caller collects them in `stale` (to refresh them in the background).
    """
    if not keys:
        return {}
    values = {}
    for key, found in cache.get_many(keys).items():
        if isinstance(found, Aged):
            _note(found)
            if found.stale:
                if stale is None or not settings.REGFRONT_STALE_SECONDS:
                    continue
                stale.append(key)
            found = found.value
        values[key] = found
    for key in keys:
        observe_cache(hit=key in values, kind=key_kind(key))
    return values


def peek(key: str) -> Any:
    """The cached value (fresh or stale) or None, without computing anything."""
    return unwrap(cache.get(key))


def look(key: str) -> Aged | None:
    """An entry of AGING_KINDS with its age, or None when it is not cached."""
    found = cache.get(key)
    if not isinstance(found, Aged):
        return None
    _note(found)
    return found


def is_stale(key: str) -> bool:
    """True when the entry is cached and past its TTL: a background refresh has work."""
    found = look(key)
    return found is not None and found.stale


def unwrap(found: Any) -> Any:
    return found.value if isinstance(found, Aged) else found


def claim_refresh(key: str) -> bool:
    """True for the one caller, across processes sharing the cache, that may refresh the
    entry now: cache.add is atomic (SET NX on Redis)."""
    return cache.add(make_key("refreshing", key), 1, refresh_claim_seconds())


def forget(key: str) -> None:
    """Drop one entry (the registry said it is gone)."""
    cache.delete(key)


def release_refresh(key: str) -> None:
    cache.delete(make_key("refreshing", key))


def generation_key(registry_id: int, repository: str) -> str:
    return make_key("gen", registry_id, repository)


def repository_generation(registry_id: int, repository: str) -> int:
    return cache.get(generation_key(registry_id, repository), 0)


def pages_stamp_key(registry_id: int, repository: str) -> str:
    return make_key("pages-stamp", registry_id, repository)


def pages_outdate(registry_id: int, repository: str) -> None:
    """Make the repository's stored pages (views/cached_pages.py) be rendered again, from
    the entries a background refresh has just replaced; the entries themselves stay."""
    _increment(pages_stamp_key(registry_id, repository))


def repository_touch(registry_id: int, repository: str) -> None:
    """Make every short-lived entry and stored page of this repository stale (after a
    delete, a push, or an index change)."""
    _increment(generation_key(registry_id, repository))


def _increment(key: str) -> None:
    try:
        cache.incr(key)
    except ValueError:  # not there yet
        store(key, 1)
