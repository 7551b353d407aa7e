"""Building blocks of the retention tests: a repository of images with known tags pushed to a
real registry and indexed, the registry's truth asked with plain requests, policies."""

from dataclasses import dataclass

import requests

from registries.inventory.services import repository_sync
from registries.models import Registry
from registries.retention.models import RetentionPolicy
from tests.support.images import PushedImage, push_image, tag_existing

ACCEPT = ", ".join([
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json",
])  # fmt: skip


@dataclass
class Stocked:
    name: str
    images: dict[str, PushedImage]  # "old", "older", "new"


def stock(reg, name: str) -> Stocked:
    """`older` (0.9), `old` (1.0, stable, latest: three tags on one digest), `new` (2.0)."""
    images = {
        "older": push_image(reg, name, "0.9", seed=f"{name}-older", created="2023-01-01T00:00:00Z"),
        "old": push_image(reg, name, "1.0", seed=f"{name}-old", created="2023-06-01T00:00:00Z"),
        "new": push_image(reg, name, "2.0", seed=f"{name}-new", created="2024-06-01T00:00:00Z"),
    }
    old = images["old"]
    for sibling in ("stable", "latest"):
        tag_existing(reg, name, sibling, old.manifest_bytes, old.media_type)
    return Stocked(name=name, images=images)


def tags_now(reg, repository: str) -> dict[str, str]:
    """tag -> digest, from the registry itself (not regfront's client)."""
    listed = requests.get(f"{reg.url}/v2/{repository}/tags/list", timeout=10)
    if listed.status_code == 404:
        return {}
    return {
        tag: requests.head(
            f"{reg.url}/v2/{repository}/manifests/{tag}", headers={"Accept": ACCEPT}, timeout=10
        ).headers["Docker-Content-Digest"]
        for tag in listed.json()["tags"] or []
    }


def indexed(row: Registry, *repositories: str) -> Registry:
    for repository in repositories:
        repository_sync(registry=row, repository=repository)
    return row


def policy(row: Registry, repository: str, **rules) -> RetentionPolicy:
    rules = {"keep_last": 1, "protect": "latest"} | rules
    return RetentionPolicy.objects.create(registry=row, name="nightly", repositories=repository,
                                          **rules)  # fmt: skip
