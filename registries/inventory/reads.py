"""What pages read from the index. Typed keyword-only services; nothing here writes.

A repository counts as indexed once a sync finished it (its row has `last_synced`). Where the
index has no answer the pages ask the registry live, and say which way they answered.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Max, OuterRef, Subquery
from django.utils import timezone

from registries.inventory.models import IndexedManifest, IndexedRepository, SyncState
from registries.inventory.services import index_is_fresh, inventory_status
from registries.models import Registry
from registries.services.listings import natural_key

SOURCE_INDEX = "index"
SOURCE_REGISTRY = "registry"


@dataclass(frozen=True)
class IndexOrigin:
    """Where an answer came from. `state`: "none" (not indexed, so asked live), "fresh",
    "stale" (older than REGFRONT_INDEX_MAX_AGE), "running" or "failed" (the last sync)."""

    source: str
    state: str
    indexed_at: datetime | None = None
    error: str = ""

    @property
    def may_be_stale(self) -> bool:
        return self.state in ("stale", "failed")


LIVE = IndexOrigin(source=SOURCE_REGISTRY, state="none")


def _state(sync: SyncState | None, *, synced: datetime) -> str:
    if sync is not None and sync.state in (SyncState.State.FAILED, SyncState.State.RUNNING):
        return sync.state
    old = timezone.now() - timedelta(seconds=settings.REGFRONT_INDEX_MAX_AGE)
    # A repository synced on its own (after a push) is fresh even when the full sync is old.
    return "fresh" if index_is_fresh(sync) or synced > old else "stale"


def _origin(sync: SyncState | None, *, synced: datetime | None) -> IndexOrigin:
    if synced is None:
        return LIVE
    state = _state(sync, synced=synced)
    error = sync.last_error if sync is not None and state == "failed" else ""
    return IndexOrigin(source=SOURCE_INDEX, state=state, indexed_at=synced, error=error)


def indexed_repository(*, registry: Registry, name: str) -> IndexedRepository | None:
    """The repository's index row, when a sync has finished it."""
    return IndexedRepository.objects.filter(
        registry=registry, name=name, last_synced__isnull=False
    ).first()


def repository_origin(*, registry: Registry, repository: IndexedRepository | None) -> IndexOrigin:
    synced = repository.last_synced if repository is not None else None
    return _origin(inventory_status(registry=registry) if synced else None, synced=synced)


@dataclass(frozen=True)
class RegistryIndex:
    origin: IndexOrigin
    repositories: int  # indexed repositories (0 when not indexed)


def registry_indexes(*, registries: list[Registry]) -> dict[int, RegistryIndex]:
    """Per registry: its index as a whole (age: the newest repository sync), in two queries.
    A registry counts as indexed once a full sync has come to an end."""
    states = {s.registry_id: s for s in SyncState.objects.filter(registry__in=registries)}
    found = {
        registry_id: (count, newest)
        for registry_id, count, newest in IndexedRepository.objects.filter(
            registry__in=registries, last_synced__isnull=False
        )
        .values("registry")
        .annotate(count=Count("pk"), newest=Max("last_synced"))
        .values_list("registry", "count", "newest")
    }
    indexes = {}
    for registry in registries:
        sync = states.get(registry.pk)
        count, newest = found.get(registry.pk, (0, None))
        ended = sync is not None and sync.finished is not None
        origin = _origin(sync, synced=newest if ended else None)
        indexes[registry.pk] = RegistryIndex(origin, count if ended else 0)
    return indexes


def indexed_siblings(*, repository: IndexedRepository, digest: str) -> list[str]:
    """Every tag of the repository pointing at `digest`, naturally sorted: one query."""
    names = repository.tags.filter(digest=digest).values_list("name", flat=True)
    return sorted(names, key=natural_key)


@dataclass(frozen=True)
class IndexedTagRow:
    tag: str
    digest: str
    manifest: IndexedManifest | None  # None: the sync has not fetched it (yet)


def indexed_tag_rows(*, repository: IndexedRepository) -> list[IndexedTagRow]:
    """Every tag with its manifest row, naturally sorted, in two queries for any tag count."""
    tags = list(repository.tags.values_list("name", "digest"))
    manifests = {
        m.digest: m
        for m in IndexedManifest.objects.filter(
            registry_id=repository.registry_id, digest__in=repository.tags.values("digest")
        ).only("digest", "media_type", "kind", "size", "created", "platforms")
    }
    rows = [IndexedTagRow(name, digest, manifests.get(digest)) for name, digest in tags]
    rows.sort(key=lambda row: natural_key(row.tag))
    return rows


@dataclass(frozen=True)
class RepositoryStats:
    tags: int
    newest_created: datetime | None  # the newest build time among its tags' images


def catalog_tag_stats(*, registry: Registry, names: list[str]) -> dict[str, RepositoryStats]:
    """Tag counts and newest image build time for the indexed ones of `names`: one query."""
    created = IndexedManifest.objects.filter(
        registry=registry, digest=OuterRef("tags__digest")
    ).values("created")[:1]
    found = (
        IndexedRepository.objects.filter(registry=registry, name__in=names)
        .exclude(last_synced=None)
        .annotate(tag_count=Count("tags"), newest=Max(Subquery(created)))
        .values_list("name", "tag_count", "newest")
    )
    return {name: RepositoryStats(count, newest) for name, count, newest in found}
