"""Pure helpers for the browsing pages: namespace trees, query strings, jump-box lookups."""

from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.http import HttpRequest
from django.urls import reverse

from registries.client.reference import Reference, is_docker_hub, repository_on
from registries.models import Registry


@dataclass(frozen=True)
class Namespace:
    name: str  # full path, e.g. "team/backend"
    label: str  # last component, e.g. "backend"
    count: int  # repositories below it


@dataclass(frozen=True)
class NamespaceListing:
    namespaces: list[Namespace] = field(default_factory=list)
    repositories: list[str] = field(default_factory=list)
    parents: list[Namespace] = field(default_factory=list)  # breadcrumb from the root


def matching(names: list[str], query: str) -> list[str]:
    """The names containing `query`, in any case (the pages' `?q=` filter); all for ''."""
    needle = query.lower()
    return [name for name in names if needle in name.lower()] if needle else list(names)


def namespace_listing(names: list[str], *, namespace: str) -> NamespaceListing:
    """One level of the namespace tree: child namespaces with counts, repositories here.

    A name can be both a repository and a namespace (`team/app` and `team/app/db`): it
    appears in both lists.
    """
    prefix = f"{namespace}/" if namespace else ""
    children: Counter[str] = Counter()
    here: list[str] = []
    for name in names:
        if not name.startswith(prefix):
            continue
        rest = name[len(prefix) :]
        head, slash, _ = rest.partition("/")
        if slash:
            children[head] += 1
        else:
            here.append(name)
    parts = namespace.split("/") if namespace else []
    parents = [Namespace("/".join(parts[: i + 1]), part, 0) for i, part in enumerate(parts)]
    return NamespaceListing(
        namespaces=[Namespace(f"{prefix}{c}", c, n) for c, n in sorted(children.items())],
        repositories=here,
        parents=parents,
    )


def page_query(request: HttpRequest) -> str:
    """The current query string without `page` and `refresh`, for paging links."""
    params = request.GET.copy()
    params.pop("page", None)
    params.pop("refresh", None)
    return params.urlencode()


def registry_for_reference(
    registries: list[Registry], *, domain: str | None, current: str
) -> Registry | None:
    """Which registry a pasted reference means: by host, else the current or the only one.

    Docker Hub answers to several host names (docker.io, index.docker.io, registry-1…).
    """
    if domain:
        wanted = domain.lower()
        hub = is_docker_hub(wanted)
        return next(
            (r for r in registries if r.host.lower() == wanted or (hub and is_docker_hub(r.host))),
            None,
        )
    by_name = {r.name: r for r in registries}
    if current in by_name:
        return by_name[current]
    return registries[0] if len(registries) == 1 else None


def namespace_crumbs(repository: str) -> list[Namespace]:
    """`team/app/api` → crumbs for `team` and `team/app` (the namespaces above it)."""
    parts = repository.split("/")[:-1]
    return [Namespace("/".join(parts[: i + 1]), part, 0) for i, part in enumerate(parts)]


def reference_url(registry: Registry, reference: Reference) -> str:
    """The page of a pasted reference on `registry`, as that registry names the repository."""
    return repository_url(
        registry,
        repository_on(registry.host, reference.repository),
        tag=reference.tag or "",
        digest=reference.digest or "",
    )


def repository_url(registry: Registry, repository: str, *, tag: str = "", digest: str = "") -> str:
    """`/registry/<name>/<repo>/`, `…/<repo>:<tag>` or `…/<repo>@<digest>`."""
    suffix = f"@{digest}" if digest else f":{tag}" if tag else "/"
    return reverse("registries:reference", args=[registry.name, f"{repository}{suffix}"])


def manifest_delete_url(
    registry: Registry, repository: str, *, tag: str = "", digest: str = ""
) -> str:
    suffix = f"@{digest}" if digest else f":{tag}"
    return reverse("registries:manifest_delete", args=[registry.name, f"{repository}{suffix}"])


def search_url(query: str) -> str:
    """`/search/?q=<query>`: where the jump box sends text that is no reference."""
    return f"{reverse('registries:search')}?{urlencode({'q': query})}"
