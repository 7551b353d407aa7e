"""Deleting by digest: what it would remove, and the delete."""

from dataclasses import dataclass

from registries.client import errors
from registries.models import Registry
from registries.services.cache import repository_touch
from registries.services.clients import client_for
from registries.services.listings import tag_list
from registries.services.manifests import tag_digest
from registries.services.summaries import tags_by_digest


@dataclass(frozen=True)
class DeletePlan:
    digest: str
    tags: list[str]  # every tag that points at the digest, all of which the delete removes


def manifest_delete_plan(
    *, registry: Registry, repository: str, tag: str | None = None, digest: str | None = None
) -> DeletePlan:
    """What deleting would remove, read fresh from the registry (not from the cache)."""
    if not digest:
        digest = tag_digest(registry=registry, repository=repository, tag=tag or "", refresh=True)
    try:
        tags = tag_list(registry=registry, repository=repository, refresh=True)
    except errors.NotFound:
        tags = []
    groups = tags_by_digest(registry=registry, repository=repository, tags=tags, refresh=True)
    return DeletePlan(digest=digest, tags=groups.get(digest, []))


def manifest_delete(*, registry: Registry, repository: str, digest: str) -> None:
    """Delete by digest (the registry removes every tag pointing at it), then make this
    repository's cached listings stale at once, in every process sharing the cache."""
    try:
        client_for(registry).delete_manifest(repository, digest)
    finally:
        # Even a failed delete may have half-happened on a flaky registry: re-read next time.
        repository_touch(registry.pk, repository)
