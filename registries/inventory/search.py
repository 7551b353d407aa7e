"""Search across every registry a person may see, answered from the index (never live):
repositories and tags by name, images by digest prefix, labels and annotations by value.

Substring lookups are Django's `icontains` (LIKE wildcards in the query are escaped, so `%`
and `_` are literal); on PostgreSQL trigram indexes serve them (migration 0008), SQLite scans.
"""

import json
import re
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Q, QuerySet

from registries.inventory.models import IndexedManifest, IndexedRepository, IndexedTag
from registries.models import Registry

QUERY_MIN_LENGTH = 3  # a trigram: anything shorter matches too much for an index to narrow
QUERY_MAX_LENGTH = 255  # the longest repository name the index holds
DIGEST_PREFIX_MIN = 7  # as `docker images` shortens them, and unambiguous in practice
DIGEST_QUERY = re.compile(r"(?:sha256:)?([0-9a-f]{7,64})")
# Manifests a digest prefix or a label may match before their tags are looked up: a 7-digit
# prefix rarely matches two, and a label value common to more is not a question of "where".
MANIFESTS_MAX = 50


@dataclass(frozen=True)
class RepositoryHit:
    registry: Registry
    repository: str


@dataclass(frozen=True)
class TagHit:
    registry: Registry
    repository: str
    tag: str
    digest: str  # what the tag points at
    via: str = ""  # the platform image found, when the tag points at its index


@dataclass(frozen=True)
class LabelHit:
    holder: TagHit
    key: str
    value: str


@dataclass(frozen=True)
class Group[T]:
    hits: list[T] = field(default_factory=list)
    more: bool = False  # the limit cut the list


@dataclass(frozen=True)
class SearchResults:
    query: str
    refused: str = ""  # why the query was not run, for people
    repositories: Group[RepositoryHit] = field(default_factory=Group)
    tags: Group[TagHit] = field(default_factory=Group)
    digests: Group[TagHit] = field(default_factory=Group)
    labels: Group[LabelHit] = field(default_factory=Group)

    @property
    def found(self) -> bool:
        return any(g.hits for g in (self.repositories, self.tags, self.digests, self.labels))


def search_refusal(query: str) -> str:
    """Why `query` cannot be searched, or "" when it can."""
    if len(query) > QUERY_MAX_LENGTH:
        return f"A search is at most {QUERY_MAX_LENGTH} characters."
    if "\x00" in query:  # no database text can hold it
        return "A search cannot contain NUL characters."
    if query.lower().startswith("sha256:") and not DIGEST_QUERY.fullmatch(query.lower()):
        return f"A digest prefix is {DIGEST_PREFIX_MIN} to 64 hex digits (sha256:0123abc)."
    if len(query) < QUERY_MIN_LENGTH:
        return f"Type at least {QUERY_MIN_LENGTH} characters."
    return ""


def search_index(*, user, query: str, limit: int = 20) -> SearchResults:
    """Each group holds at most `limit` hits, with `more` set when there were others.
    `query` is searched as it is (the page strips what people type)."""
    refused = search_refusal(query)
    if refused:
        return SearchResults(query=query, refused=refused)
    # The catalog pages' rule: registries limited to other groups do not exist for `user`.
    visible = Registry.objects.visible_to(user)
    digest = DIGEST_QUERY.fullmatch(query.lower())
    return SearchResults(
        query=query,
        repositories=_repositories(visible, query, limit),
        tags=_tags(visible, query, limit),
        digests=_digests(visible, f"sha256:{digest[1]}", limit) if digest else Group(),
        labels=_labels(visible, query, limit),
    )


def _group[T](hits: list[T], limit: int, *, capped: bool = False) -> Group[T]:
    """The first `limit` hits; `capped`: the manifests they came from were cut short."""
    return Group(hits=hits[:limit], more=len(hits) > limit or capped)


# Hits are read unordered and sorted here: ordering 50,000 matches of `latest` in SQL to
# show 20 costs a sort of all of them (~100 ms at 1,000,000 tags); unordered, the query
# stops at the 21st. Past the limit the page shows *some* matches and asks for a more
# precise search, which is what a person does with "only the first 20" anyway.


def _repositories(visible: QuerySet, query: str, limit: int) -> Group[RepositoryHit]:
    rows = (
        IndexedRepository.objects.filter(registry__in=visible, name__icontains=query)
        .select_related("registry")
        .order_by()[: limit + 1]
    )
    hits = [RepositoryHit(registry=r.registry, repository=r.name) for r in rows]
    return _group(sorted(hits, key=lambda h: (h.repository, h.registry.name)), limit)


def _tag_hits(tags: QuerySet, limit: int, via: dict[tuple[int, str], str]) -> list[TagHit]:
    rows = sorted(
        tags.select_related("repository__registry").order_by()[: limit + 1],
        key=lambda t: (t.repository.registry.name, t.repository.name, t.name),
    )
    return [
        TagHit(
            registry=t.repository.registry,
            repository=t.repository.name,
            tag=t.name,
            digest=t.digest,
            via=via.get((t.repository.registry_id, t.digest), ""),
        )
        for t in rows
    ]


def _tags(visible: QuerySet, query: str, limit: int) -> Group[TagHit]:
    tags = IndexedTag.objects.filter(repository__registry__in=visible, name__icontains=query)
    return _group(_tag_hits(tags, limit, via={}), limit)


def _holders(manifests: list[tuple[int, str]], limit: int) -> list[TagHit]:
    """Tags pointing at these (registry id, digest) manifests, or at an index that lists
    one as a platform image (its `via`)."""
    if not manifests:
        return []
    wanted = set(manifests)
    in_an_index = Q()
    for registry_id, digest in wanted:
        in_an_index |= Q(registry_id=registry_id, image_children__icontains=digest)
    indexes = (
        IndexedManifest.objects.filter(in_an_index, kind=IndexedManifest.Kind.INDEX)
        .order_by()
        .values_list("registry_id", "digest", "image_children")
    )
    via = {
        (registry_id, index): child
        for registry_id, index, children in indexes
        for child in children
        if (registry_id, child) in wanted
    }
    pointing = Q()
    for registry_id, digest in wanted | set(via):
        pointing |= Q(repository__registry_id=registry_id, digest=digest)
    return _tag_hits(IndexedTag.objects.filter(pointing), limit, via)


def _digests(visible: QuerySet, prefix: str, limit: int) -> Group[TagHit]:
    manifests = IndexedManifest.objects.filter(registry__in=visible, digest__startswith=prefix)
    found = manifests.order_by("registry_id", "digest").values_list("registry_id", "digest")
    found = list(found[:MANIFESTS_MAX])
    return _group(_holders(found, limit), limit, capped=len(found) == MANIFESTS_MAX)


def _as_json_text(query: str) -> str:
    """JSON columns are searched as text, so the query is spelled as each database stores
    JSON: SQLite keeps Django's ASCII escapes (é is \\u00e9), PostgreSQL's jsonb does not."""
    return json.dumps(query, ensure_ascii=connection.vendor == "sqlite")[1:-1]


def _labels(visible: QuerySet, query: str, limit: int) -> Group[LabelHit]:
    text = _as_json_text(query)
    rows = list(
        IndexedManifest.objects.filter(registry__in=visible)
        .filter(Q(labels__icontains=text) | Q(annotations__icontains=text))
        .order_by("registry_id", "digest")
        .values_list("registry_id", "digest", "labels", "annotations")[:MANIFESTS_MAX]
    )
    # The text search also matches keys; only values count.
    needle = query.casefold()
    matches = {
        (registry_id, digest): [
            (key, value)
            for key, value in sorted((labels | annotations).items())
            if isinstance(value, str) and needle in value.casefold()
        ]
        for registry_id, digest, labels, annotations in rows
    }
    matches = {manifest: pairs for manifest, pairs in matches.items() if pairs}
    # A tag's own manifest, and the platform image of its index it was found through.
    hits = [
        LabelHit(holder=holder, key=key, value=value)
        for holder in _holders(list(matches), limit)
        for digest in (holder.digest, holder.via)
        for key, value in matches.get((holder.registry.pk, digest), [])
    ]
    return _group(hits, limit, capped=len(rows) == MANIFESTS_MAX)
