"""Catalogs and tag lists: followed to the end once per TTL, sorted, cheap to page.

Names a registry lists but the reference grammar refuses (`..`, `<b>`, 129-character tags)
are dropped here, at the listing boundary: no link could name them and every request for
them would fail, so they are counted ("hidden") instead of shown.
Grammar: https://github.com/distribution/reference/blob/main/reference.go
"""

import re
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from django.conf import settings
from django.core.cache import cache

from registries.browsing import NamespaceListing, matching, namespace_listing
from registries.client.reference import is_valid_repository, is_valid_tag
from registries.models import Registry
from registries.services.cache import (
    get_or_compute,
    look,
    make_key,
    peek,
    repository_generation,
    repository_touch,
    store,
)
from registries.services.clients import client_for
from registries.services.refresh import Revalidation, refresh_job

_NATURAL_PART = re.compile(r"(\d+)")


@lru_cache(maxsize=200_000)  # tag names recur on every page and plan; a key is pure
def natural_key(text: str) -> tuple:
    """1.2.0 before 1.10.0: digit runs compare as numbers."""
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part)
        for part in _NATURAL_PART.split(text)
        if part
    )


def valid_names(names: Iterable[object], is_valid: Callable[[str], bool]) -> tuple[list[str], int]:
    """(the distinct valid names, how many listed names were not valid)."""
    kept: set[str] = set()
    hidden = 0
    for name in names:
        if isinstance(name, str) and is_valid(name):
            kept.add(name)
        else:
            hidden += 1
    return list(kept), hidden


def _catalog_key(registry: Registry) -> str:
    return make_key("catalog", registry.pk, registry.url)


def _catalog_stamp_key(registry: Registry) -> str:
    return make_key("catalog-stamp", registry.pk, registry.url)


def _catalog_entry(registry: Registry, refresh: bool) -> tuple[str, list[str]]:
    """(stamp, sorted names): the stamp names this listing, so that every process can keep
    what it derives from it (namespace levels, filters) until the listing changes."""

    def fetch() -> tuple[str, list[str]]:
        names, hidden = valid_names(client_for(registry).catalog(), is_valid_repository)
        names.sort()
        stamp = secrets.token_hex(8)
        store(_catalog_stamp_key(registry), (stamp, len(names), hidden))
        return stamp, names

    return get_or_compute(
        _catalog_key(registry),
        fetch,
        refresh=refresh,
        revalidate=_catalog_revalidation(registry),
    )


def _catalog_revalidation(registry: Registry) -> Revalidation:
    return Revalidation("catalog", registry, {_catalog_key(registry): None})


@refresh_job("catalog")
def _catalog_refresh(registry: Registry, arguments: dict, items: list) -> int:
    _catalog_entry(registry, refresh=True)
    return 0


def catalog_list(*, registry: Registry, refresh: bool = False) -> list[str]:
    """Every repository, following the registry's pagination to the end; sorted."""
    return _catalog_entry(registry, refresh)[1]


def catalog_is_cached(*, registry: Registry) -> bool:
    return peek(_catalog_key(registry)) is not None


def catalog_forget(*, registry: Registry) -> None:
    """Drop the cached catalog (and its stamp) so that every process lists it again."""
    cache.delete_many([_catalog_key(registry), _catalog_stamp_key(registry)])


def catalog_cached_size(*, registry: Registry) -> int | None:
    """The repository count when the catalog is in the cache; None rather than fetching it."""
    stamp = peek(_catalog_stamp_key(registry))
    return None if stamp is None else stamp[1]


def catalog_hidden_count(*, registry: Registry) -> int:
    """Names the cached catalog listed that are not valid repository names (0 when unknown)."""
    stamp = peek(_catalog_stamp_key(registry))
    return stamp[2] if stamp is not None and len(stamp) > 2 else 0


class _CatalogViews:
    """One process's views over one catalog listing: namespace levels and filter results,
    each built once per listing (per TTL), not per page view. Bounded."""

    MAX_VIEWS = 64

    def __init__(self, stamp: str, names: list[str]) -> None:
        self.stamp, self.names = stamp, names
        self._views: OrderedDict[tuple[str, str], NamespaceListing] = OrderedDict()
        self._guard = threading.Lock()

    def listing(self, *, namespace: str, query: str) -> NamespaceListing:
        key = ("q", query.lower()) if query else ("ns", namespace)
        with self._guard:
            if key in self._views:
                self._views.move_to_end(key)
                return self._views[key]
        if query:  # filter results are one flat list
            built = NamespaceListing(repositories=matching(self.names, query))
        else:
            built = namespace_listing(self.names, namespace=namespace)
        with self._guard:
            self._views[key] = built
            while len(self._views) > self.MAX_VIEWS:
                self._views.popitem(last=False)
        return built


_catalog_views: dict[tuple[int, str], _CatalogViews] = {}


def catalog_listing(
    *, registry: Registry, namespace: str = "", query: str = "", refresh: bool = False
) -> tuple[int, NamespaceListing]:
    """(repository count, one namespace level or the repositories matching `query`).

    Warm, this costs one small cache read (the listing's stamp): the sorted listing and the
    views over it stay in process memory until the cached listing changes or expires.
    """
    slot = (registry.pk, registry.url)
    known = _catalog_views.get(slot)
    found = None if refresh else look(_catalog_stamp_key(registry))
    if found is not None and found.stale:
        if settings.REGFRONT_STALE_SECONDS:  # the views stay; the listing is refreshed later
            _catalog_revalidation(registry).schedule()
        else:
            found = None
    stamp = None if found is None else found.value
    if known is None or stamp is None or known.stamp != stamp[0]:
        fresh_stamp, names = _catalog_entry(registry, refresh)
        if known is None or known.stamp != fresh_stamp:
            known = _CatalogViews(fresh_stamp, names)
            _catalog_views[slot] = known
    return len(known.names), known.listing(namespace=namespace, query=query)


def tag_list(*, registry: Registry, repository: str, refresh: bool = False) -> list[str]:
    """Every tag of a repository, naturally sorted.

    `refresh` also makes every short-lived entry of the repository stale (tag -> digest, the
    tag page's sibling groups), in every process: what a "Refresh" link promises.
    """
    if refresh:
        repository_touch(registry.pk, repository)
    generation = repository_generation(registry.pk, repository)
    key = make_key("tags", registry.pk, repository, generation)
    return get_or_compute(
        key,
        lambda: _fetch_tags(registry, repository),
        refresh=refresh,
        revalidate=Revalidation(
            "tags", registry, {key: None}, {"repository": repository, "generation": generation}
        ),
    )


def _fetch_tags(registry: Registry, repository: str) -> list[str]:
    tags, hidden = valid_names(client_for(registry).tags(repository), is_valid_tag)
    # Kept beside the list (one small entry, same TTL) so pages can say what was dropped.
    store(_hidden_tags_key(registry, repository), hidden)
    return sorted(tags, key=natural_key)


@refresh_job("tags")
def _tags_refresh(registry: Registry, arguments: dict, items: list) -> int:
    repository, generation = arguments["repository"], arguments["generation"]
    get_or_compute(
        make_key("tags", registry.pk, repository, generation),
        lambda: _fetch_tags(registry, repository),
        refresh=True,
    )
    return 0


@dataclass(frozen=True)
class ListingAge:
    """When a cached listing was read from the registry, for pages to say so."""

    read_at: datetime
    refreshing: bool  # past the TTL: shown while a background refresh replaces it


def _age(key: str) -> ListingAge | None:
    found = look(key)
    if found is None:
        return None
    return ListingAge(datetime.fromtimestamp(found.stored, UTC), found.stale)


def catalog_age(*, registry: Registry) -> ListingAge | None:
    return _age(_catalog_stamp_key(registry))


def tag_list_age(*, registry: Registry, repository: str) -> ListingAge | None:
    generation = repository_generation(registry.pk, repository)
    return _age(make_key("tags", registry.pk, repository, generation))


def _hidden_tags_key(registry: Registry, repository: str) -> str:
    return make_key("tags-hidden", registry.pk, repository)


def tag_hidden_count(*, registry: Registry, repository: str) -> int:
    """Tags the last listing of the repository named that are not valid tag names."""
    return peek(_hidden_tags_key(registry, repository)) or 0
