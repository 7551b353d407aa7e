"""What a registry offers to browse: its pinned repositories, then what its catalog lists, or
why it lists nothing. One service for the catalog page and the API."""

from dataclasses import dataclass

from registries.browsing import NamespaceListing, matching
from registries.client import errors
from registries.models import Registry
from registries.pinned import pinned_repositories
from registries.services.listings import catalog_hidden_count, catalog_list, catalog_listing

# Catalog answers that mean "this registry does not list its repositories (to us)": 401, 403,
# 404 and 405. Anything else (unreachable, slow, garbage) stays an error page.
CATALOG_CLOSED_ERRORS: tuple[type[errors.RegistryError], ...] = (
    errors.Unauthorized,
    errors.Denied,
    errors.NotFound,
    errors.Unsupported,
)


def catalog_closed_message(error: errors.RegistryError) -> str:
    """One plain sentence saying why there is no list of repositories."""
    if isinstance(error, errors.Unauthorized):
        reason = "it lists them only with valid credentials"
    elif isinstance(error, errors.Denied):
        reason = "it does not allow regfront's account to list them"
    else:
        reason = "it has no catalog (the _catalog endpoint is missing or switched off)"
    return f"This registry does not list its repositories: {reason}."


@dataclass(frozen=True)
class CatalogPage:
    """The catalog page: pinned names matching the filter, then one namespace level."""

    pinned: list[str]
    pinned_set: frozenset[str]
    closed: str | None  # why the registry lists nothing; None when it does
    total: int = 0
    listing: NamespaceListing | None = None
    hidden: int = 0  # listed names that are not valid repository names (not shown)


@dataclass(frozen=True)
class CatalogNames:
    """Every repository on offer, pinned first, matching the filter (the API)."""

    names: list[str]
    pinned_set: frozenset[str]
    closed: str | None


def _pinned(registry: Registry) -> list[str]:
    return pinned_repositories(host=registry.host, text=registry.pinned_repositories)


def catalog_page(
    *, registry: Registry, namespace: str = "", query: str = "", refresh: bool = False
) -> CatalogPage:
    pinned = _pinned(registry)
    offered = {"pinned": matching(pinned, query), "pinned_set": frozenset(pinned)}
    try:
        total, listing = catalog_listing(
            registry=registry, namespace=namespace, query=query, refresh=refresh
        )
    except CATALOG_CLOSED_ERRORS as exc:
        return CatalogPage(**offered, closed=catalog_closed_message(exc))
    hidden = catalog_hidden_count(registry=registry)
    return CatalogPage(**offered, closed=None, total=total, listing=listing, hidden=hidden)


def catalog_names(*, registry: Registry, query: str = "", refresh: bool = False) -> CatalogNames:
    pinned = _pinned(registry)
    pinned_set = frozenset(pinned)
    try:
        listed, closed = catalog_list(registry=registry, refresh=refresh), None
    except CATALOG_CLOSED_ERRORS as exc:
        listed, closed = [], catalog_closed_message(exc)
    names = matching(pinned + [n for n in listed if n not in pinned_set], query)
    return CatalogNames(names=names, pinned_set=pinned_set, closed=closed)
