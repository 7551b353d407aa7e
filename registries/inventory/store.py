"""Writing a crawled batch of repositories into the index: one transaction, a handful of
queries whatever the batch's size (bulk inserts and updates, no query per tag)."""

from dataclasses import dataclass
from itertools import batched

from django.db import transaction
from django.utils import timezone

from registries.history.services import history_record
from registries.inventory.crawl import Crawl
from registries.inventory.models import IndexedManifest, IndexedRepository, IndexedTag
from registries.models import Registry
from registries.services.cache import repository_touch

CHUNK = 500  # rows or ids per statement: well within SQLite's bound on query parameters


@dataclass
class Known:
    """What the index holds for a batch of repositories, read before the crawl."""

    repositories: set[str]
    tags: dict[str, dict[str, tuple[int, str]]]  # repository -> tag -> (row id, digest)

    def tag_names(self) -> dict[str, set[str]]:
        return {name: set(tags) for name, tags in self.tags.items()}


@dataclass
class Written:
    repositories: int
    tags: int
    removed_repositories: int
    removed_tags: int


def index_known(*, registry: Registry, names: list[str]) -> Known:
    repositories = IndexedRepository.objects.filter(registry=registry, name__in=names)
    tags: dict[str, dict[str, tuple[int, str]]] = {}
    rows = IndexedTag.objects.filter(repository__in=repositories).values_list(
        "repository__name", "name", "pk", "digest"
    )
    for repository, tag, pk, digest in rows:
        tags.setdefault(repository, {})[tag] = (pk, digest)
    return Known(set(repositories.values_list("name", flat=True)), tags)


def _index_totals(rows: list[IndexedManifest], *, registry: Registry) -> None:
    """An index's size and created time come from its image children (rows or indexed)."""
    wanted = {c for row in rows for c in row.image_children}
    children = {row.digest: row for row in rows if row.digest in wanted}
    children |= {
        row.digest: row
        for row in IndexedManifest.objects.filter(
            registry=registry, digest__in=wanted - set(children)
        ).only("digest", "size", "created")
    }
    for row in rows:
        kids = [children[c] for c in row.image_children if c in children]
        if kids:
            row.size = sum(kid.size or 0 for kid in kids)
            created = [kid.created for kid in kids if kid.created]
            row.created = max(created) if created else None


def repositories_remove(*, registry: Registry, names: set[str]) -> int:
    """Drop repositories (with their tags) from the index; how many were there."""
    removed = 0
    for chunk in batched(sorted(names), CHUNK):
        _, by_model = IndexedRepository.objects.filter(registry=registry, name__in=chunk).delete()
        removed += by_model.get(IndexedRepository._meta.label, 0)
    return removed


def index_write(*, registry: Registry, crawl: Crawl, known: Known) -> Written:
    """The batch as crawled: new manifests, repositories and tags in; moved tags updated;
    vanished tags out; a repository without tags (gone, or emptied) leaves the index."""
    now = timezone.now()
    present = {name: digests for name, digests in crawl.digests.items() if digests}
    _index_totals(crawl.rows, registry=registry)
    with transaction.atomic():
        # ignore_conflicts: a manifest another repository's sync indexed meanwhile is the same.
        IndexedManifest.objects.bulk_create(crawl.rows, ignore_conflicts=True, batch_size=CHUNK)
        removed = repositories_remove(registry=registry, names=set(crawl.digests) - set(present))
        IndexedRepository.objects.bulk_create(
            [
                IndexedRepository(registry=registry, name=name, first_seen=now, last_seen=now)
                for name in present
                if name not in known.repositories
            ],
            ignore_conflicts=True,
            batch_size=CHUNK,
        )
        repositories = IndexedRepository.objects.filter(registry=registry, name__in=present)
        repositories.update(last_seen=now, last_synced=now)
        ids = dict(repositories.values_list("name", "pk"))
        gone: list[int] = []
        moved: list[IndexedTag] = []
        new: list[IndexedTag] = []
        changes: list[tuple[str, str, str]] = []  # for the tags' histories; "": removed
        for name, digests in present.items():
            old = known.tags.get(name, {})
            gone += [pk for tag, (pk, _) in old.items() if tag not in digests]
            changes += [(name, tag, "") for tag in old if tag not in digests]
            for tag, digest in digests.items():
                if tag not in old:
                    new.append(IndexedTag(repository_id=ids[name], name=tag, digest=digest,
                                          first_seen=now, last_seen=now))  # fmt: skip
                elif old[tag][1] != digest:
                    moved.append(IndexedTag(pk=old[tag][0], digest=digest))
                else:
                    continue
                changes.append((name, tag, digest))
        for name in set(crawl.digests) - set(present):  # emptied or gone: every tag went
            changes += [(name, tag, "") for tag in known.tags.get(name, {})]
        history_record(registry=registry, changes=changes, at=now)
        removed_tags = 0
        for chunk in batched(gone, CHUNK):
            removed_tags += IndexedTag.objects.filter(pk__in=chunk).delete()[0]
        IndexedTag.objects.bulk_update(moved, ["digest"], batch_size=CHUNK)
        IndexedTag.objects.filter(repository_id__in=ids.values()).update(last_seen=now)
        IndexedTag.objects.bulk_create(new, ignore_conflicts=True, batch_size=CHUNK)
    for name in {name for name, _, _ in changes}:  # their stored pages are out of date
        repository_touch(registry.pk, name)
    return Written(
        repositories=len(present),
        tags=sum(len(digests) for digests in present.values()),
        removed_repositories=removed,
        removed_tags=removed_tags,
    )
