"""Recording what tags point at, and reading it back as one history per tag.

The index sees a tag's digest at each sync; a registry event says who pushed it and when,
to the second; a restore or retag here says who did it. The same change is often seen
twice (the push event, then the sync): a history joins consecutive sightings of one digest,
keeping the earliest time and the first name known.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from itertools import batched

from registries.history.models import TagChange
from registries.models import Registry

Source = TagChange.Source
CHUNK = 500


@dataclass
class HistoryEntry:
    digest: str  # "" when the tag was removed
    since: datetime
    source: str
    actor: str = ""
    current: bool = False

    @property
    def source_label(self) -> str:
        return Source(self.source).label


def history_record(
    *, registry: Registry, changes: Iterable[tuple[str, str, str]], at: datetime,
    source: str = Source.INDEX, actor: str = "",
) -> None:  # fmt: skip
    """Record (repository, tag, digest) changes seen at `at` ("" digest: removed)."""
    fixed = {"registry": registry, "at": at, "source": source, "actor": actor}
    rows = [
        TagChange(repository=repository, tag=tag, digest=digest, **fixed)
        for repository, tag, digest in changes
    ]
    TagChange.objects.bulk_create(rows, batch_size=CHUNK)


def history_record_pushes(*, registry: Registry, events: Iterable) -> None:
    """Pushes by tag from registry events: who pushed which digest, at the registry's time."""
    rows = [
        TagChange(
            registry=registry,
            repository=e.repository,
            tag=e.tag,
            digest=e.digest,
            at=e.occurred_at,
            source=Source.EVENT,
            actor=e.actor,
        )
        for e in events
        if e.action == "push" and e.tag
    ]
    TagChange.objects.bulk_create(rows, batch_size=CHUNK)


def _joined(rows: Iterable[TagChange]) -> list[HistoryEntry]:
    """Oldest first in, newest first out; consecutive sightings of one digest are one."""
    entries: list[HistoryEntry] = []
    for row in rows:
        last = entries[-1] if entries else None
        if last is not None and last.digest == row.digest:
            if not last.actor and row.actor:  # the event or the portal knew who
                last.actor, last.source = row.actor, row.source
            continue
        entries.append(HistoryEntry(row.digest, row.at, row.source, row.actor))
    if entries:
        entries[-1].current = bool(entries[-1].digest)
    return entries[::-1]


def tag_history(*, registry: Registry, repository: str, tag: str) -> list[HistoryEntry]:
    """Every digest the tag has pointed at, newest first, with since when and who."""
    rows = TagChange.objects.filter(registry=registry, repository=repository, tag=tag)
    return _joined(rows.order_by("at", "pk"))


def current_pushes(
    *, registry: Registry, repository: str, tags: Iterable[str]
) -> dict[str, HistoryEntry]:
    """tag -> when (and by whom, where known) it came to point at its current digest."""
    by_tag: dict[str, list[TagChange]] = {}
    for chunk in batched(sorted(set(tags)), CHUNK):
        rows = TagChange.objects.filter(registry=registry, repository=repository, tag__in=chunk)
        for row in rows.order_by("at", "pk"):
            by_tag.setdefault(row.tag, []).append(row)
    found = {}
    for tag, rows in by_tag.items():
        entries = _joined(rows)
        if entries and entries[0].current:
            found[tag] = entries[0]
    return found
