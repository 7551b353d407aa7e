"""Pinned repositories and Docker Hub names: browsing registries that do not list themselves.

Docker Hub, GHCR, Quay, GitLab and Harbor (for non-admin accounts) hide `_catalog`, and the
OCI distribution spec has none at all. A registry row keeps a list of repositories to offer
instead, one per line. Pure functions: no HTTP and no models here.
"""

from django.core.exceptions import ValidationError

from registries.client import errors
from registries.client.reference import InvalidReference, check_repository

# Hosts that mean Docker Hub in image references and registry URLs. Docker resolves a
# single-name image (`alpine`) on them to the official-images namespace (`library/alpine`):
# https://github.com/distribution/reference/blob/main/normalize.go
DOCKER_HUB_HOSTS = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io"})
DOCKER_HUB_OFFICIAL_NAMESPACE = "library"
PINNED_MAX = 500

# Catalog answers that mean "this registry does not list its repositories (to us)": 401, 403,
# 404 and 405. Anything else (unreachable, slow, garbage) stays an error page.
CATALOG_CLOSED_ERRORS: tuple[type[errors.RegistryError], ...] = (
    errors.Unauthorized,
    errors.Denied,
    errors.NotFound,
    errors.Unsupported,
)


def is_docker_hub(host: str) -> bool:
    """`registry-1.docker.io`, `docker.io` or `index.docker.io`, with or without :443."""
    host = host.lower().removesuffix(":443")
    return host in DOCKER_HUB_HOSTS


def hub_repository(repository: str) -> str:
    """`alpine` → `library/alpine`; names with a namespace stay as they are."""
    if "/" in repository:
        return repository
    return f"{DOCKER_HUB_OFFICIAL_NAMESPACE}/{repository}"


def repository_on(host: str, repository: str) -> str:
    """The repository name a registry at `host` knows `repository` by."""
    return hub_repository(repository) if is_docker_hub(host) else repository


def parse_pinned(text: str) -> list[str]:
    """One repository per line; blank lines skipped, duplicates dropped, order kept.

    Raises ValidationError naming every line that is not a repository name.
    """
    names: list[str] = []
    problems: list[str] = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        name = line.strip().strip("/")
        if not name:
            continue
        try:
            check_repository(name)
        except InvalidReference as exc:
            problems.append(f"Line {number}: {exc}")
            continue
        if name not in names:
            names.append(name)
    if problems:
        raise ValidationError(problems[:10], code="invalid_repository")
    if len(names) > PINNED_MAX:
        raise ValidationError(
            f"Pin at most {PINNED_MAX} repositories.", code="too_many_repositories"
        )
    return names


def validate_pinned_repositories(text: str) -> None:
    """Model field validator (admin and portal forms)."""
    parse_pinned(text)


def pinned_repositories(*, host: str, text: str) -> list[str]:
    """The pinned repositories of a registry, as that registry names them.

    Lines that do not parse (written before validation, or by hand in the database) are
    skipped rather than breaking the catalog page.
    """
    names: list[str] = []
    for line in (text or "").splitlines():
        name = line.strip().strip("/")
        try:
            check_repository(name)
        except InvalidReference:
            continue
        name = repository_on(host, name)
        if name not in names:
            names.append(name)
    return names[:PINNED_MAX]


def catalog_closed_message(error: errors.RegistryError) -> str:
    """One plain sentence saying why there is no list of repositories."""
    if isinstance(error, errors.Unauthorized):
        reason = "it lists them only with valid credentials"
    elif isinstance(error, errors.Denied):
        reason = "it does not allow regfront's account to list them"
    else:
        reason = "it has no catalog (the _catalog endpoint is missing or switched off)"
    return f"This registry does not list its repositories: {reason}."
