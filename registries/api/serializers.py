"""Service results as JSON-ready dicts: plain functions, one per shape in the OpenAPI document."""

from datetime import datetime
from typing import Any

from django.urls import reverse

from registries.client._json import aware_utc
from registries.client.models import Descriptor, ImageConfig
from registries.inventory.reads import IndexOrigin
from registries.models import Registry
from registries.services import ManifestDetail, RegistryStatus, TagSummary


def when(value: datetime | None) -> str | None:
    """RFC 3339 in UTC, by the client's rule (naive is UTC; out of range is None)."""
    moment = aware_utc(value) if value is not None else None
    return moment.isoformat() if moment is not None else None


def status_json(status: RegistryStatus) -> dict[str, Any]:
    return {
        "state": status.state,
        "message": status.message,
        "auth_mode": status.auth_mode,
        "api_version": status.api_version,
    }


def origin_json(origin: IndexOrigin) -> dict[str, Any]:
    """Where the answer came from (the index or the registry, live) and the index's age."""
    return {
        "source": origin.source,
        "indexed_at": when(origin.indexed_at),
        "index_state": origin.state,
    }


def registry_json(
    registry: Registry, *, status: RegistryStatus, repository_count: int | None, origin: IndexOrigin
) -> dict[str, Any]:
    return {
        "name": registry.name,
        "host": registry.host,
        "status": status_json(status),
        "repository_count": repository_count,
        **origin_json(origin),
        "repositories_url": reverse("api:repositories", args=[registry.name]),
        "web_url": reverse("registries:catalog", args=[registry.name]),
    }


def repository_json(registry: Registry, name: str, *, pinned: bool) -> dict[str, Any]:
    return {
        "name": name,
        "pinned": pinned,
        "tags_url": reverse("api:repository", args=[registry.name, f"{name}/tags"]),
    }


def tag_json(summary: TagSummary) -> dict[str, Any]:
    image = summary.image
    return {
        "tag": summary.tag,
        "digest": image.digest if image else None,
        "media_type": image.media_type if image else None,
        "kind": image.kind if image else None,
        "size": image.size if image else None,
        "created": when(image.created) if image else None,
        "platforms": list(image.platforms) if image else [],
        "error": summary.error,
    }


def descriptor_json(descriptor: Descriptor) -> dict[str, Any]:
    return {
        "media_type": descriptor.media_type,
        "digest": descriptor.digest,
        "size": descriptor.size,
        "platform": str(descriptor.platform) if descriptor.platform else None,
        "artifact_type": descriptor.artifact_type,
        "annotations": dict(descriptor.annotations),
    }


def config_json(config: ImageConfig) -> dict[str, Any]:
    return {
        "created": when(config.created),
        "author": config.author,
        "os": config.os,
        "architecture": config.architecture,
        "variant": config.variant,
        "user": config.user,
        "working_dir": config.working_dir,
        "env": list(config.env),
        "entrypoint": list(config.entrypoint),
        "cmd": list(config.cmd),
        "exposed_ports": list(config.exposed_ports),
        "volumes": list(config.volumes),
        "labels": dict(config.labels),
        "history": [
            {
                "created": when(entry.created),
                "created_by": entry.created_by,
                "comment": entry.comment,
                "empty_layer": entry.empty_layer,
            }
            for entry in config.history
        ],
    }


def manifest_json(
    registry: Registry, repository: str, tag: str | None, detail: ManifestDetail
) -> dict[str, Any]:
    return {
        "registry": registry.name,
        "repository": repository,
        "tag": tag,
        "digest": detail.digest,
        "media_type": detail.media_type,
        "kind": detail.kind,
        "total_size": detail.total_size,
        "platforms": [
            descriptor_json(row.descriptor) | {"attestation": row.attestation}
            for row in detail.platforms
        ],
        "layers": [descriptor_json(layer) for layer in detail.layers],
        "config": config_json(detail.config) if detail.config else None,
        "referrers": [descriptor_json(d) for d in detail.referrers]
        if detail.referrers is not None
        else None,
        "pull": f"{registry.host}/{repository}@{detail.digest}",
        "web_url": reverse(
            "registries:reference", args=[registry.name, f"{repository}@{detail.digest}"]
        ),
    }
