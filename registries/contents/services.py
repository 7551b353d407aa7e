"""Files inside images: layer listings read once per layer digest, and the merged tree.

A layer small enough (REGFRONT_LAYER_INLINE_BYTES) is listed while the page waits, within
the page's deadline; a bigger one, or one the page ran out of time for, by the worker
(registries/contents/tasks.py). Both go through layer_read, which claims the row first, so
a layer is read by one process at a time and a task that runs twice does nothing the second
time. Typed keyword-only services (HackSoft style).
"""

import functools
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from registries.client import errors
from registries.client.models import Descriptor, ImageManifest
from registries.contents.codec import entries_pack, entries_unpack
from registries.contents.layers import LayerError, LayerLimit, Limits, list_layer
from registries.contents.models import LayerListing
from registries.contents.tree import Tree, merge
from registries.models import Registry
from registries.services.clients import client_for

READ_SECONDS = "REGFRONT_LAYER_READ_SECONDS"
PROGRESS_SECONDS = 1.0  # how often a read in progress writes how far it got
TREES_KEPT = 8  # merged trees per process: a tree of 200,000 entries is tens of MB


@dataclass(frozen=True)
class LayerRow:
    index: int
    descriptor: Descriptor
    listing: LayerListing


@dataclass(frozen=True)
class ImageFiles:
    layers: list[LayerRow]
    tree: Tree | None  # None until every layer is listed

    @property
    def waiting(self) -> list[LayerRow]:
        waiting = (LayerListing.State.PENDING, LayerListing.State.LISTING)
        return [row for row in self.layers if row.listing.state in waiting]

    @property
    def failed(self) -> list[LayerRow]:
        return [row for row in self.layers if row.listing.state == LayerListing.State.FAILED]


def image_files(*, registry: Registry, repository: str, manifest: ImageManifest) -> ImageFiles:
    """The image's layers with their listings (listing small ones now), and the merged
    tree once all are listed."""
    rows = [
        LayerRow(index, layer, layer_listing(registry=registry, repository=repository, layer=layer))
        for index, layer in enumerate(manifest.layers)
    ]
    ready = all(row.listing.state == LayerListing.State.READY for row in rows)
    digests = tuple(row.listing.digest for row in rows)
    tree = merged_tree(registry_id=registry.pk, digests=digests) if ready else None
    return ImageFiles(layers=rows, tree=tree)


def layer_listing(*, registry: Registry, repository: str, layer: Descriptor) -> LayerListing:
    """The layer's listing as stored; listed now when small, else queued for the worker."""
    listing = _listing_row(registry, layer.digest)
    if listing.state == LayerListing.State.READY or (
        listing.state == LayerListing.State.FAILED and not listing.transient
    ):
        return listing
    # Once handed to the worker, a layer is the worker's: no page waits on it again.
    if layer.size <= settings.REGFRONT_LAYER_INLINE_BYTES and listing.queued_at is None:
        seconds = min(settings.REGFRONT_LAYER_READ_SECONDS, settings.REGFRONT_PAGE_DEADLINE)
        if layer_read(listing_id=listing.pk, repository=repository, seconds=seconds, hand_off=True):
            return LayerListing.objects.defer("entries").get(pk=listing.pk)
    _enqueue(listing.pk, repository)
    return LayerListing.objects.defer("entries").get(pk=listing.pk)


def layer_read(*, listing_id: int, repository: str, seconds: float, hand_off: bool) -> bool:
    """Claim the layer and read it from the registry, storing its listing or why not.

    False when another reader holds it, or, with ``hand_off``, when time ran out: the row is
    then left pending for the worker, which has all of REGFRONT_LAYER_READ_SECONDS.
    """
    if not _claim(listing_id):
        return False
    listing = LayerListing.objects.select_related("registry").defer("entries").get(pk=listing_id)
    try:
        _read(listing, repository, seconds)
    except LayerLimit as exc:
        if hand_off and exc.setting == READ_SECONDS:
            _set(listing, state=LayerListing.State.PENDING, started_at=None, compressed_size=None)
            return False
        _fail(listing, str(exc), limit=exc.setting)
    except LayerError as exc:
        _fail(listing, str(exc))
    except errors.TooLarge:
        _fail(listing, "The layer blob is larger than allowed.", limit="REGFRONT_MAX_LAYER_BYTES")
    except errors.DigestMismatch as exc:
        _fail(listing, exc.user_message)  # nothing of what was read is kept
    except errors.RegistryError as exc:
        _fail(listing, exc.user_message, transient=True)
    return True


def layer_entries(*, listing: LayerListing) -> list:
    return entries_unpack(bytes(listing.entries)) if listing.entries else []


# -- reading -------------------------------------------------------------------------------


def _read(listing: LayerListing, repository: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    limits = Limits(
        max_unpacked_bytes=settings.REGFRONT_MAX_LAYER_UNPACKED_BYTES,
        max_entries=settings.REGFRONT_MAX_LAYER_ENTRIES,
        deadline=deadline,
    )
    client = client_for(listing.registry)
    try:
        with client.blob_stream(
            repository,
            listing.digest,
            max_bytes=settings.REGFRONT_MAX_LAYER_BYTES,
            seconds=seconds,
        ) as blob:
            reported = ProgressReader(blob, lambda done: _set(listing, compressed_size=done))
            result = list_layer(reported, limits)
    except errors.Timeout as exc:
        if time.monotonic() >= deadline:  # the layer's time, not one slow answer
            raise LayerLimit(
                "Reading the layer took longer than allowed.", setting=READ_SECONDS
            ) from exc
        raise
    _set(
        listing,
        state=LayerListing.State.READY,
        error="",
        limit="",
        transient=False,
        compression=result.compression,
        entry_count=len(result.entries),
        compressed_size=blob.bytes_read,
        unpacked_size=result.unpacked_bytes,
        files_size=sum(e.size for e in result.entries if e.kind == "file"),
        refused=result.refused,
        refused_count=result.refused_count,
        entries=entries_pack(result.entries),
        read_at=timezone.now(),
    )


class ProgressReader:
    """Passes reads through and reports the bytes read so far, at most once per `seconds`:
    while a big layer is read, its row's compressed_size is the page's progress bar."""

    def __init__(self, source, report, *, seconds: float = PROGRESS_SECONDS) -> None:
        self._source = source
        self._report = report
        self._seconds = seconds
        self._next = time.monotonic() + seconds
        self.done = 0

    def read(self, size: int = -1) -> bytes:
        data = self._source.read(size)
        self.done += len(data)
        now = time.monotonic()
        if now >= self._next:
            self._report(self.done)
            self._next = now + self._seconds
        return data


def _fail(listing: LayerListing, message: str, *, limit: str = "", transient: bool = False):
    _set(
        listing,
        state=LayerListing.State.FAILED,
        error=message,
        limit=limit,
        transient=transient,
        entries=None,
        read_at=timezone.now(),
    )


def _set(listing: LayerListing, **fields) -> None:
    LayerListing.objects.filter(pk=listing.pk).update(**fields)


# -- rows, claims and the queue ------------------------------------------------------------


def _listing_row(registry: Registry, digest: str) -> LayerListing:
    rows = LayerListing.objects.defer("entries")
    found = rows.filter(registry=registry, digest=digest).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():  # another request may be creating the same row
            return LayerListing.objects.create(registry=registry, digest=digest)
    except IntegrityError:
        return rows.get(registry=registry, digest=digest)


def _stale() -> datetime:
    """A read or a queued task older than twice the allowed time has died with its process."""
    return timezone.now() - timedelta(seconds=2 * settings.REGFRONT_LAYER_READ_SECONDS)


def _claimable() -> Q:
    return (
        Q(state=LayerListing.State.PENDING, started_at__isnull=True)
        | Q(state=LayerListing.State.LISTING, started_at__lt=_stale())
        | Q(state=LayerListing.State.FAILED, transient=True)
    )


def _claim(listing_id: int) -> bool:
    """Atomically take the layer for reading: one reader at a time, in any process."""
    taken = LayerListing.objects.filter(_claimable(), pk=listing_id).update(
        state=LayerListing.State.LISTING, started_at=timezone.now(), compressed_size=None
    )
    return taken == 1


def _enqueue(listing_id: int, repository: str) -> None:
    """Queue the worker's read, once: the row's queued_at is the deduplication key."""
    from registries.contents import tasks  # tasks import this module

    queued = (
        LayerListing.objects.filter(_claimable(), pk=listing_id)
        # Not queued yet, queued by a process that died, or failed (so its task is over).
        .filter(
            Q(queued_at__isnull=True)
            | Q(queued_at__lt=_stale())
            | Q(state=LayerListing.State.FAILED)
        )
        .update(state=LayerListing.State.PENDING, started_at=None, queued_at=timezone.now())
    )
    if queued:
        tasks.list_layer.enqueue(listing_id=listing_id, repository=repository)


@functools.lru_cache(maxsize=TREES_KEPT)
def merged_tree(*, registry_id: int, digests: tuple[str, ...]) -> Tree:
    """Keyed by the layers' digests: content addressed, so a kept tree is never stale."""
    rows = LayerListing.objects.filter(registry_id=registry_id, digest__in=digests)
    by_digest = {row.digest: row for row in rows}
    return merge([layer_entries(listing=by_digest[digest]) for digest in digests])
