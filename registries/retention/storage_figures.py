"""Storage figures from index rows, in one pass. Pure: no database, no registry.

A registry stores each blob (layer or config) once however many repositories use it, and links
it into each repository that pushed it; so bytes are counted per blob digest: once per
registry, and once per repository within it. Manifests' own bytes are not counted (they are
small, and the index keeps no size for them).
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta


@dataclass(frozen=True)
class ManifestRow:
    digest: str
    kind: str
    blobs: frozenset[int] = frozenset()  # its own layers and config, as BlobTable ids
    children: tuple[str, ...] = ()  # an index's platform images
    subject: str = ""  # what a signature, SBOM or attestation is attached to
    created: datetime | None = None


@dataclass(frozen=True)
class TagRow:
    repository: str
    tag: str
    digest: str
    first_seen: datetime


@dataclass(frozen=True)
class RepositoryFigures:
    name: str
    tags: int
    images: int  # distinct tagged digests (an index is one)
    unique_bytes: int  # each blob it uses once
    shared_bytes: int  # of those, blobs another repository also uses

    @property
    def own_bytes(self) -> int:
        """Bytes only this repository uses: about what deleting it would let GC free."""
        return self.unique_bytes - self.shared_bytes


@dataclass(frozen=True)
class ImageFigures:
    digest: str
    kind: str
    bytes: int  # its layers and config; an index: its images' blobs, each once
    repository: str  # one repository that tags it (the first by name)
    tags: tuple[str, ...]  # its tags there
    created: datetime | None


@dataclass(frozen=True)
class GrowthPoint:
    start: datetime  # the bucket's first moment
    tags: int  # cumulative, at the bucket's end
    images: int
    bytes: int
    pushes: int = 0  # tag pushes the registry's webhook reported in this bucket (not summed)


@dataclass(frozen=True)
class Growth:
    unit: str  # "day", "week" or "month"
    points: tuple[GrowthPoint, ...]


@dataclass(frozen=True)
class Reclaimable:
    """Blobs that only indexed manifests no tag reaches any more use (estimated)."""

    bytes: int
    manifests: int  # untagged manifests that garbage collection with --delete-untagged drops


SCHEMA1 = "schema1"
EMPTY: frozenset[int] = frozenset()


class BlobTable:
    """Blob digests as small ints, with their sizes: sets of ints are cheap. A digest names
    one content, so one table serves every pass over the registry."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.sizes: list[int] = []

    def of(self, blobs: Iterable[tuple[str, int]]) -> frozenset[int]:
        ids, sizes = self.ids, self.sizes
        out = []
        for digest, size in blobs:
            found = ids.get(digest)
            if found is None:
                found = ids[digest] = len(sizes)
                sizes.append(size)
            out.append(found)
        return frozenset(out)

    def total(self, ids: Iterable[int]) -> int:
        return sum(map(self.sizes.__getitem__, ids))


def _closures(
    manifests: dict[str, ManifestRow],
) -> tuple[dict[str, frozenset[int]], dict[str, frozenset[int]]]:
    """Per manifest: the blobs of it and its images (`image`), and those plus the blobs of
    what is attached to any of them (`stored`: signatures and SBOMs live beside their image)."""
    own = {d: m.blobs for d, m in manifests.items()}
    attached = attachments(manifests)
    with_attached = {
        d: own[d].union(*(own[r] for r in attached[d])) if d in attached else own[d] for d in own
    }
    image: dict[str, frozenset[int]] = {}
    stored: dict[str, frozenset[int]] = {}
    for digest, row in manifests.items():
        if not row.children:
            image[digest], stored[digest] = own[digest], with_attached[digest]
            continue
        under = [c for c in _images_under(digest, manifests) if c in own]
        image[digest] = own[digest].union(*(own[c] for c in under))
        stored[digest] = frozenset().union(*(with_attached[c] for c in under))
    return image, stored


def _images_under(digest: str, manifests: dict[str, ManifestRow]) -> set[str]:
    """The digest and, for an index, every manifest under it (indexes may nest)."""
    seen: set[str] = set()
    todo = [digest]
    while todo:
        found = todo.pop()
        if found not in seen:
            seen.add(found)
            row = manifests.get(found)
            todo.extend(row.children if row is not None else ())
    return seen


def attachments(manifests: dict[str, ManifestRow]) -> dict[str, list[str]]:
    """subject -> the manifests (signatures, SBOMs, attestations) attached to it."""
    attached: dict[str, list[str]] = {}
    for digest, row in manifests.items():
        if row.subject and row.subject != digest:
            attached.setdefault(row.subject, []).append(digest)
    return attached


def reachable(
    roots: Iterable[str], manifests: dict[str, ManifestRow], attached: dict[str, list[str]]
) -> set[str]:
    """The digests, their indexes' images and what is attached to any of them."""
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        digest = todo.pop()
        if digest in seen:
            continue
        seen.add(digest)
        row = manifests.get(digest)
        if row is not None and row.children:
            todo.extend(row.children)
        if digest in attached:
            todo.extend(attached[digest])
    return seen


UNITS = (("day", 92), ("week", 2 * 366), ("month", 20 * 366))  # (unit, longest span in days)


def bucket_unit(first: datetime, last: datetime) -> str:
    """Days for a quarter or less, weeks up to two years, then months (at most ~240 points)."""
    span = (last - first).days
    return next((unit for unit, days in UNITS if span <= days), "year")


def bucket_start(when: datetime, unit: str) -> datetime:
    day = when.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if unit == "week":  # ISO weeks: Monday
        return day - timedelta(days=day.weekday())
    if unit == "month":
        return day.replace(day=1)
    if unit == "year":
        return day.replace(month=1, day=1)
    return day


def _next_bucket(start: datetime, unit: str) -> datetime:
    if unit == "day":
        return start + timedelta(days=1)
    if unit == "week":
        return start + timedelta(days=7)
    if unit == "month":
        return start.replace(year=start.year + start.month // 12, month=start.month % 12 + 1)
    return start.replace(year=start.year + 1)


def growth(
    tags: list[TagRow], image: dict[str, frozenset[int]], blobs: BlobTable, now: datetime,
    pushes: Sequence[datetime] = (),
) -> Growth:  # fmt: skip
    """Cumulative tags, images and bytes by when the index first saw them (of what is
    tagged now: a deleted tag leaves the index, so it leaves this history too), and the tag
    pushes webhook events reported in each bucket."""
    if not tags:
        return Growth(unit="day", points=())
    first_seen: dict[str, datetime] = {}
    for row in tags:
        seen = first_seen.get(row.digest)
        if seen is None or row.first_seen < seen:
            first_seen[row.digest] = row.first_seen
    unit = bucket_unit(min([*first_seen.values(), *pushes]), now)
    # A sync stamps many tags with one time: bucket each distinct time once.
    starts: dict[datetime, datetime] = {}
    for when in {row.first_seen for row in tags}:
        starts[when] = bucket_start(when, unit)
    added: dict[datetime, list[int]] = {}  # bucket -> [tags, images, bytes]
    for when, n in Counter(row.first_seen for row in tags).items():
        added.setdefault(starts[when], [0, 0, 0])[0] += n
    by_bucket: dict[datetime, list[frozenset[int]]] = {}
    for digest, when in first_seen.items():
        by_bucket.setdefault(starts[when], []).append(image.get(digest, EMPTY))
    counted: frozenset[int] = EMPTY
    for start in sorted(by_bucket):  # a blob's bytes go to the first bucket that uses it
        sets = by_bucket[start]
        added[start][1] += len(sets)
        new = EMPTY.union(*sets) - counted
        counted |= new
        added[start][2] += blobs.total(new)
    pushed = Counter(bucket_start(when, unit) for when in pushes)
    for start in pushed:
        added.setdefault(start, [0, 0, 0])
    points = []
    start, end = min(added), max(bucket_start(now, unit), max(added))
    totals = [0, 0, 0]
    while start <= end:  # every bucket, empty ones too: the line's x axis is time
        for i, value in enumerate(added.get(start, (0, 0, 0))):
            totals[i] += value
        points.append(GrowthPoint(start, *totals, pushes=pushed.get(start, 0)))
        start = _next_bucket(start, unit)
    return Growth(unit=unit, points=tuple(points))


@dataclass(frozen=True)
class RepositoryDetail:
    figures: RepositoryFigures
    images: list[ImageFigures]  # its tagged digests, largest first
    growth: Growth
    reclaimable: Reclaimable  # from the deletes recorded in it


class StoragePass:
    """One pass over a registry's tags and indexed manifests; the registry's figures are
    attributes, a repository's come from `repository()` without reading anything again.

    `deleted`: (repository, digest) pairs regfront recorded deleting, for the repositories'
    share of what garbage collection may reclaim."""

    def __init__(
        self, *, tags: list[TagRow], manifests: dict[str, ManifestRow], blobs: BlobTable,
        now: datetime, deleted: Iterable[tuple[str, str]] = (),
        pushes: Iterable[tuple[str, datetime]] = (),
    ) -> None:  # fmt: skip
        self.now = now
        self._manifests = manifests
        self._blobs = blobs
        self._image, self._stored = _closures(manifests)
        self._all_tags = tags
        self._tags: dict[str, list[TagRow]] = {}
        for row in tags:
            self._tags.setdefault(row.repository, []).append(row)
        self._tagged_in: dict[str, dict[str, list[str]]] | None = None  # built when asked
        self._image_bytes: dict[str, int] = {}
        self._largest: dict[tuple[int, str | None], list[ImageFigures]] = {}
        self._pushes: dict[str, list[datetime]] = {}
        for repository, when in pushes:
            self._pushes.setdefault(repository, []).append(when)
        self._deleted: dict[str, set[str]] = {}
        for repository, digest in deleted:
            self._deleted.setdefault(repository, set()).add(digest)
        self._used: dict[str, frozenset[int]] = {}
        users: Counter[int] = Counter()
        for name, rows in self._tags.items():
            sets = [self._stored.get(d, EMPTY) for d in {r.digest for r in rows}]
            self._used[name] = sets[0].union(*sets[1:])
            users.update(self._used[name])
        self._in_use = frozenset(users)
        self._shared = frozenset(b for b, n in users.items() if n > 1)
        self.repositories = [self._repository_figures(name) for name in sorted(self._tags)]
        self.by_name = {r.name: r for r in self.repositories}
        tagged = {r.digest for r in tags}
        self._live = reachable(tagged, manifests, attachments(manifests))
        gone = [d for d in manifests if d not in self._live]
        self.tags = len(tags)
        self.images = len(tagged)
        self.blobs = len(self._in_use)
        self.unique_bytes = self._blobs.total(self._in_use)
        self.shared_bytes = self._blobs.total(self._shared)
        self.reclaimable = self._reclaimable(gone)
        self.not_indexed = len(tagged - set(manifests))
        self.sizes_unknown = sum(
            1 for d in self._live if d in manifests and manifests[d].kind == SCHEMA1
        )
        every_push = [when for whens in self._pushes.values() for when in whens]
        self.growth = growth(tags, self._stored, self._blobs, now, every_push)

    @property
    def logical_bytes(self) -> int:
        """Every repository's unique bytes added up: what the registry would hold if no
        repository shared a blob with another."""
        return sum(r.unique_bytes for r in self.repositories)

    def largest_repositories(self, n: int) -> list[RepositoryFigures]:
        return sorted(self.repositories, key=lambda r: (-r.unique_bytes, r.name))[:n]

    def image_bytes(self, digest: str) -> int:
        """A tagged digest's layers and config (an index: its images' blobs, once)."""
        found = self._image_bytes.get(digest)
        if found is None:
            found = self._image_bytes[digest] = self._blobs.total(self._image.get(digest, EMPTY))
        return found

    def largest_images(self, n: int, *, repository: str | None = None) -> list[ImageFigures]:
        """By tagged digest (one row however many repositories tag it), each named by the
        first repository (by name) that tags it, with its tags there."""
        key = (n, repository)
        if key not in self._largest:
            rows = self._tags.get(repository, []) if repository is not None else self._all_tags
            digests = {row.digest for row in rows}
            top = heapq.nsmallest(n, digests, key=lambda d: (-self.image_bytes(d), d))
            self._largest[key] = [self._image_figures(d, repository) for d in top]
        return self._largest[key]

    def _image_figures(self, digest: str, repository: str | None) -> ImageFigures:
        if self._tagged_in is None:  # digest -> repository -> tags
            self._tagged_in = {}
            for row in self._all_tags:
                self._tagged_in.setdefault(row.digest, {}).setdefault(row.repository, [])
                self._tagged_in[row.digest][row.repository].append(row.tag)
        where = self._tagged_in[digest]
        name = repository if repository is not None else min(where)
        manifest = self._manifests.get(digest)
        return ImageFigures(
            digest=digest, kind=manifest.kind if manifest else "", bytes=self.image_bytes(digest),
            repository=name, tags=tuple(sorted(where[name])),
            created=manifest.created if manifest else None,
        )  # fmt: skip

    def repository(self, name: str, *, images: int = 10) -> RepositoryDetail | None:
        figures = self.by_name.get(name)
        if figures is None:
            return None
        recorded = self._deleted.get(name, set()) - self._live
        return RepositoryDetail(
            figures=figures,
            images=self.largest_images(images, repository=name),
            growth=growth(
                self._tags[name], self._stored, self._blobs, self.now, self._pushes.get(name, [])
            ),
            reclaimable=self._reclaimable(sorted(recorded & set(self._manifests))),
        )

    def _repository_figures(self, name: str) -> RepositoryFigures:
        rows, used = self._tags[name], self._used[name]
        return RepositoryFigures(
            name=name, tags=len(rows), images=len({r.digest for r in rows}),
            unique_bytes=self._blobs.total(used),
            shared_bytes=self._blobs.total(used & self._shared),
        )  # fmt: skip

    def _reclaimable(self, gone: list[str]) -> Reclaimable:
        freed = frozenset().union(*(self._image[d] for d in gone)) - self._in_use
        return Reclaimable(bytes=self._blobs.total(freed), manifests=len(gone))
