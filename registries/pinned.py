"""Pinned repositories: browsing registries that do not list themselves.

Docker Hub, GHCR, Quay, GitLab and Harbor (for non-admin accounts) hide `_catalog`, and the
OCI distribution spec has none at all. A registry row keeps a list of repositories to offer
instead, one per line. Pure functions: no HTTP and no models here.
"""

from django.core.exceptions import ValidationError

from registries.client.reference import InvalidReference, check_repository, repository_on

PINNED_MAX = 500


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
