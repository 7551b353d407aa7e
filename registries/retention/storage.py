"""Storage figures of a registry and its repositories, from the index (never from the
registry): a handful of queries and one pass in storage_figures, remembered per process while
the index and the delete records stay as they are.

"Reclaimable after garbage collection" is an estimate: the blobs of manifests the index has
seen that no tag reaches any more (deleted through regfront, by a retention run, or moved
away from), minus every blob a tagged manifest still uses. A registry's garbage collection
may already have freed them, and manifests the index never saw are not in it.
"""

import threading
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Max
from django.utils import timezone

from registries.inventory.models import IndexedManifest, IndexedRepository, IndexedTag
from registries.models import AuditRecord, Registry, RegistryEvent
from registries.retention.storage_figures import (
    BlobTable,
    ManifestRow,
    RepositoryDetail,
    StoragePass,
    TagRow,
)

TOP = 10  # largest repositories and images shown


@dataclass(frozen=True)
class Deletes:
    """What regfront recorded deleting from the registry (the portal and retention runs)."""

    count: int
    last: datetime | None


@dataclass(frozen=True)
class RegistryStorage:
    registry: Registry
    figures: StoragePass
    deletes: Deletes
    indexed: bool  # some repository was synced: without that every figure is zero

    @property
    def needs_gc(self) -> bool:
        return self.figures.reclaimable.bytes > 0 or self.figures.reclaimable.manifests > 0


def _manifest_row(row: tuple, table: BlobTable) -> ManifestRow:
    digest, kind, size, config_digest, layers, children, subject, created = row
    sizes = [(layer.get("digest", ""), layer.get("size") or 0) for layer in layers or []]
    blobs = [(d, s) for d, s in sizes if d]
    if config_digest:
        # The row's size is config plus layers (what a pull gets): the rest is the config.
        blobs.append((config_digest, max((size or 0) - sum(s for _, s in sizes), 0)))
    return ManifestRow(
        digest=digest, kind=kind, blobs=table.of(blobs), children=tuple(children or ()),
        subject=subject, created=created,
    )  # fmt: skip


# Manifests are content addressed, so a row read once never changes: each process keeps the
# registries' rows it read (bounded), and a later pass reads only the digests new since.
_MANIFESTS: dict[int, tuple[BlobTable, dict[str, ManifestRow]]] = {}
_INTERNING = threading.Lock()
MANIFESTS_MAX = 500_000
FULL_READ = 5_000  # more new digests than this: one scan beats chunks of `digest__in`
CHUNK = 500  # within SQLite's bound on parameters
FIELDS = ("digest", "kind", "size", "config_digest", "layers", "image_children",
          "subject_digest", "created")  # fmt: skip


def _manifests(registry: Registry) -> tuple[BlobTable, dict[str, ManifestRow]]:
    rows = IndexedManifest.objects.filter(registry=registry)
    digests = set(rows.values_list("digest", flat=True).iterator(chunk_size=20_000))
    table, known = _MANIFESTS.get(registry.pk, (BlobTable(), {}))
    missing = digests - known.keys()
    if len(missing) > FULL_READ:
        found = rows.values_list(*FIELDS).iterator(chunk_size=5000)
    else:
        wanted = sorted(missing)
        found = (
            row
            for start in range(0, len(wanted), CHUNK)
            for row in rows.filter(digest__in=wanted[start : start + CHUNK]).values_list(*FIELDS)
        )
    found = list(found)
    with _INTERNING:  # a table's ids and sizes grow together, one thread at a time
        known = {**known, **{row[0]: _manifest_row(row, table) for row in found}}
    if sum(len(k) for _, k in _MANIFESTS.values()) + len(known) > MANIFESTS_MAX:
        _MANIFESTS.clear()
    _MANIFESTS[registry.pk] = (table, known)
    return table, {digest: known[digest] for digest in digests if digest in known}


def _deleted(registry: Registry) -> list[tuple[str, str, list[str], datetime]]:
    """(repository, digest, tags, when) of every manifest delete regfront recorded."""
    return list(
        AuditRecord.objects.filter(
            registry_name=registry.name,
            action=AuditRecord.Action.MANIFEST_DELETE,
            outcome=AuditRecord.Outcome.OK,
        )
        .exclude(digest="")
        .values_list("repository", "digest", "tags", "created_at")
    )


def _tags(registry: Registry, deleted: list[tuple[str, str, list[str], datetime]]) -> list[TagRow]:
    """The index's tags, less those a recorded delete removed after their repository's last
    sync (the index learns of it at the next one)."""
    synced = dict(
        IndexedRepository.objects.filter(registry=registry).values_list("name", "last_synced")
    )
    pending = {
        (repository, tag)
        for repository, _, tags, when in deleted
        if synced.get(repository) is None or when > synced[repository]
        for tag in tags
    }
    rows = IndexedTag.objects.filter(repository__registry=registry).values_list(
        "repository__name", "name", "digest", "first_seen"
    )
    return [
        TagRow(repository, tag, digest, first_seen)
        for repository, tag, digest, first_seen in rows.iterator(chunk_size=5000)
        if (repository, tag) not in pending
    ]


def _pushes(registry: Registry) -> list[tuple[str, datetime]]:
    """(repository, when) of the tag pushes the registry's webhook reported (kept as long as
    events are; see events_prune)."""
    return list(
        RegistryEvent.objects.filter(registry=registry, action=RegistryEvent.Action.PUSH)
        .exclude(tag="")
        .values_list("repository", "occurred_at")
    )


def _fingerprint(registry: Registry) -> tuple:
    """Changes whenever the index or the delete records do: a sync stamps last_synced."""
    repositories = IndexedRepository.objects.filter(registry=registry).aggregate(
        n=Count("pk"), synced=Max("last_synced")
    )
    manifests = IndexedManifest.objects.filter(registry=registry).aggregate(n=Count("pk"))
    tags = IndexedTag.objects.filter(repository__registry=registry).aggregate(
        n=Count("pk"), last=Max("pk")
    )
    events = RegistryEvent.objects.filter(registry=registry).aggregate(last=Max("pk"))
    deletes = AuditRecord.objects.filter(
        registry_name=registry.name, action=AuditRecord.Action.MANIFEST_DELETE
    ).aggregate(last=Max("pk"))
    return (
        registry.name, repositories["n"], repositories["synced"], manifests["n"], tags["n"],
        tags["last"], deletes["last"], events["last"],
        timezone.now().date(),  # the growth chart ends today
    )  # fmt: skip


# The last few registries' passes, per process: a page and its repository pages read one.
_PASSES: dict[int, tuple[tuple, RegistryStorage]] = {}
PASSES_MAX = 8


def registry_storage(*, registry: Registry) -> RegistryStorage:
    """The registry's storage figures (and, through `figures.repository()`, its
    repositories'), from the index."""
    fingerprint = _fingerprint(registry)
    remembered = _PASSES.get(registry.pk)
    if remembered is not None and remembered[0] == fingerprint:
        return remembered[1]
    deleted = _deleted(registry)
    table, manifests = _manifests(registry)
    figures = StoragePass(
        tags=_tags(registry, deleted),
        manifests=manifests,
        blobs=table,
        now=timezone.now(),
        deleted=[(repository, digest) for repository, digest, _, _ in deleted],
        pushes=_pushes(registry),
    )
    last = max((when for *_, when in deleted), default=None)
    storage = RegistryStorage(
        registry=registry,
        figures=figures,
        deletes=Deletes(count=len(deleted), last=last),
        indexed=fingerprint[2] is not None,
    )
    if len(_PASSES) >= PASSES_MAX:
        _PASSES.clear()
    _PASSES[registry.pk] = (fingerprint, storage)
    return storage


def repository_storage(*, registry: Registry, repository: str) -> RepositoryDetail | None:
    """One repository's figures (None when the index has no tag of it)."""
    return registry_storage(registry=registry).figures.repository(repository)
