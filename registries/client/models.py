"""Typed objects parsed from registry JSON at the boundary.

Manifests: https://github.com/opencontainers/image-spec/blob/main/manifest.md
Indexes: https://github.com/opencontainers/image-spec/blob/main/image-index.md
Docker schema 2: https://distribution.github.io/distribution/spec/manifest-v2-2/
Config: https://github.com/opencontainers/image-spec/blob/main/config.md
Schema 1: https://github.com/distribution/distribution/blob/v2.8.3/docs/spec/manifest-v2-1.md
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from . import media_types as mt
from ._json import (
    as_dict,
    as_int,
    as_list,
    as_str,
    as_str_dict,
    as_str_list,
    as_time,
    loads,
    opt_str,
)
from .errors import BadResponse
from .reference import InvalidReference, parse_digest

# Descriptor sizes are int64 in the image spec (descriptor.md#properties).
SIZE_MAX = 2**63 - 1
# BuildKit marks the attestation manifests it puts in an index with this annotation:
# https://docs.docker.com/build/metadata/attestations/attestation-storage/
REFERENCE_TYPE_ANNOTATION = "vnd.docker.reference.type"
ATTESTATION_MANIFEST = "attestation-manifest"
Kind = Literal["image", "index", "artifact", "schema1"]


@dataclass(frozen=True)
class Platform:
    os: str
    architecture: str
    variant: str | None = None
    os_version: str | None = None

    def __str__(self) -> str:
        return "/".join(p for p in (self.os, self.architecture, self.variant) if p)

    @classmethod
    def from_json(cls, data: Any) -> Platform:
        data = as_dict(data, "platform")
        return cls(
            os=as_str(data.get("os"), "platform.os", default=""),
            architecture=as_str(data.get("architecture"), "platform.architecture", default=""),
            variant=opt_str(data.get("variant")),
            os_version=opt_str(data.get("os.version")),
        )


@dataclass(frozen=True)
class Descriptor:
    media_type: str
    digest: str
    size: int
    platform: Platform | None = None
    annotations: dict[str, str] = field(default_factory=dict, hash=False)
    artifact_type: str | None = None
    urls: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, data: Any) -> Descriptor:
        data = as_dict(data, "descriptor")
        digest = as_str(data.get("digest"), "descriptor.digest")
        try:
            parse_digest(digest)
        except InvalidReference as exc:
            raise BadResponse("The registry sent a descriptor with an invalid digest.") from exc
        size = as_int(data.get("size"), "descriptor.size", default=0)
        if size < 0:
            raise BadResponse("The registry sent a descriptor with a negative size.")
        if size > SIZE_MAX:
            raise BadResponse("The registry sent a descriptor larger than the spec allows.")
        platform = data.get("platform")
        return cls(
            media_type=as_str(data.get("mediaType"), "descriptor.mediaType", default=""),
            digest=digest,
            size=size,
            platform=Platform.from_json(platform) if platform is not None else None,
            annotations=as_str_dict(data.get("annotations")),
            artifact_type=opt_str(data.get("artifactType")),
            urls=tuple(as_str_list(data.get("urls"))),
        )

    @property
    def is_attestation(self) -> bool:
        """BuildKit attaches provenance/SBOM manifests to indexes as platform unknown/unknown."""
        platform = self.platform
        reference_type = self.annotations.get(REFERENCE_TYPE_ANNOTATION, "")
        return reference_type == ATTESTATION_MANIFEST or (
            platform is not None and platform.os == "unknown" and platform.architecture == "unknown"
        )


def _opt_descriptor(data: Any) -> Descriptor | None:
    return Descriptor.from_json(data) if data is not None else None


def _shared_fields(data: dict[str, Any], media_type: str) -> dict[str, Any]:
    """The fields image manifests and indexes have in common (manifest.md, image-index.md)."""
    return {
        "media_type": media_type,
        "schema_version": as_int(data.get("schemaVersion"), "schemaVersion", default=2),
        "annotations": as_str_dict(data.get("annotations")),
        "artifact_type": opt_str(data.get("artifactType")),
        "subject": _opt_descriptor(data.get("subject")),
    }


@dataclass(frozen=True)
class ImageManifest:
    media_type: str
    schema_version: int
    config: Descriptor
    layers: tuple[Descriptor, ...]
    annotations: dict[str, str] = field(default_factory=dict, hash=False)
    artifact_type: str | None = None
    subject: Descriptor | None = None

    @property
    def size(self) -> int:
        """Config plus layers: what a pull downloads (compressed)."""
        return self.config.size + sum(layer.size for layer in self.layers)

    @property
    def is_image(self) -> bool:
        """An image (has a runnable config), not an artifact such as a signature or SBOM."""
        return self.config.media_type in mt.IMAGE_CONFIG_TYPES

    @property
    def kind(self) -> Kind:
        return "image" if self.is_image else "artifact"

    @classmethod
    def from_json(cls, data: dict[str, Any], media_type: str) -> ImageManifest:
        return cls(
            **_shared_fields(data, media_type),
            config=Descriptor.from_json(data.get("config")),
            layers=tuple(Descriptor.from_json(d) for d in as_list(data.get("layers"), "layers")),
        )


@dataclass(frozen=True)
class ImageIndex:
    media_type: str
    schema_version: int
    manifests: tuple[Descriptor, ...]
    annotations: dict[str, str] = field(default_factory=dict, hash=False)
    artifact_type: str | None = None
    subject: Descriptor | None = None

    @property
    def kind(self) -> Kind:
        return "index"

    @classmethod
    def from_json(cls, data: dict[str, Any], media_type: str) -> ImageIndex:
        manifests = as_list(data.get("manifests"), "manifests")
        return cls(
            **_shared_fields(data, media_type),
            manifests=tuple(Descriptor.from_json(d) for d in manifests),
        )


@dataclass(frozen=True)
class Schema1Manifest:
    """Deprecated schema 1, shown read-only. ``history``: each v1Compatibility's strings."""

    media_type: str
    name: str
    tag: str
    architecture: str
    fs_layers: tuple[str, ...]
    history: tuple[dict[str, str], ...] = field(hash=False)
    schema_version: int = 1

    @property
    def kind(self) -> Kind:
        return "schema1"

    @property
    def created(self) -> datetime | None:
        """From the first history entry, the image's own v1 JSON; None when absent."""
        return as_time(self._image_v1.get("created"))

    @property
    def platform(self) -> str:
        """``os/architecture``, from the same entry; ``os`` defaults to linux."""
        return f"{self._image_v1.get('os', 'linux')}/{self.architecture}"

    @property
    def _image_v1(self) -> dict[str, str]:
        return self.history[0] if self.history else {}

    @classmethod
    def from_json(cls, data: dict[str, Any], media_type: str) -> Schema1Manifest:
        layers = [as_dict(x, "fsLayers[]").get("blobSum") for x in as_list(data.get("fsLayers"))]
        history = [_v1_compatibility(entry) for entry in as_list(data.get("history"))]
        return cls(
            media_type=media_type,
            name=as_str(data.get("name"), "name", default=""),
            tag=as_str(data.get("tag"), "tag", default=""),
            architecture=as_str(data.get("architecture"), "architecture", default=""),
            fs_layers=tuple(x for x in layers if isinstance(x, str)),
            history=tuple(history),
        )


def _v1_compatibility(entry: Any) -> dict[str, str]:
    """The string fields of one v1Compatibility (created, os, ...); nothing nested is kept."""
    text = as_dict(entry, "history[]").get("v1Compatibility")
    if not isinstance(text, str):
        return {}
    try:
        return as_str_dict(loads(text, what="a v1Compatibility entry"))
    except BadResponse:
        return {}


ParsedManifest = ImageManifest | ImageIndex | Schema1Manifest


@dataclass(frozen=True)
class FetchedManifest:
    digest: str
    media_type: str
    raw: bytes = field(repr=False)
    etag: str | None
    parsed: ParsedManifest


def _media_type_of(data: dict[str, Any], content_type: str | None) -> str:
    body_type = opt_str(data.get("mediaType"))
    if body_type:
        return body_type
    header_type = mt.base_type(content_type)
    if header_type in mt.INDEX_TYPES | mt.IMAGE_MANIFEST_TYPES | mt.SCHEMA1_TYPES:
        return header_type
    # Early OCI content omitted mediaType and was served as application/json.
    if data.get("schemaVersion") == 1:
        return mt.DOCKER_SCHEMA1_SIGNED if "signatures" in data else mt.DOCKER_SCHEMA1
    if "manifests" in data:
        return mt.OCI_INDEX
    if "config" in data and "layers" in data:
        return mt.OCI_MANIFEST
    return header_type or "unknown"


def parse_manifest(raw: bytes, content_type: str | None) -> ParsedManifest:
    """Parse a manifest body; dispatch on ``mediaType`` in the body, then the header."""
    data = as_dict(loads(raw, what="a manifest"), "manifest")
    media_type = _media_type_of(data, content_type)
    if media_type in mt.INDEX_TYPES:
        return ImageIndex.from_json(data, media_type)
    if media_type in mt.IMAGE_MANIFEST_TYPES:
        return ImageManifest.from_json(data, media_type)
    if media_type in mt.SCHEMA1_TYPES:
        return Schema1Manifest.from_json(data, media_type)
    if "config" in data and "layers" in data:
        # Artifact manifests with a custom type still follow the image manifest shape.
        return ImageManifest.from_json(data, media_type)
    raise BadResponse(f"Unsupported manifest type {media_type[:100]!r}.")


@dataclass(frozen=True)
class HistoryEntry:
    created: datetime | None
    created_by: str
    comment: str
    empty_layer: bool


@dataclass(frozen=True)
class ImageConfig:
    created: datetime | None
    author: str
    os: str
    architecture: str
    variant: str | None
    env: tuple[str, ...]
    cmd: tuple[str, ...]
    entrypoint: tuple[str, ...]
    working_dir: str
    user: str
    exposed_ports: tuple[str, ...]
    volumes: tuple[str, ...]
    labels: dict[str, str] = field(hash=False)
    history: tuple[HistoryEntry, ...]
    diff_ids: tuple[str, ...]

    @property
    def platform(self) -> str:
        """``os/architecture/variant``, as an index descriptor's platform reads."""
        return str(Platform(self.os, self.architecture, self.variant))


def parse_config(raw: bytes) -> ImageConfig:
    """``created`` is optional (config.md#properties); times come out aware UTC or None."""
    data = as_dict(loads(raw, what="an image config"), "config")
    runtime = as_dict(data.get("config") or {}, "config.config")
    history = [as_dict(h, "history[]") for h in as_list(data.get("history"))]
    rootfs = as_dict(data.get("rootfs") or {}, "rootfs")
    return ImageConfig(
        created=as_time(data.get("created")),
        author=as_str(data.get("author"), "author", default=""),
        os=as_str(data.get("os"), "os", default=""),
        architecture=as_str(data.get("architecture"), "architecture", default=""),
        variant=opt_str(data.get("variant")),
        env=tuple(as_str_list(runtime.get("Env"))),
        cmd=tuple(as_str_list(runtime.get("Cmd"))),
        entrypoint=tuple(as_str_list(runtime.get("Entrypoint"))),
        working_dir=as_str(runtime.get("WorkingDir"), "WorkingDir", default=""),
        user=as_str(runtime.get("User"), "User", default=""),
        exposed_ports=tuple(sorted(as_dict(runtime.get("ExposedPorts") or {}, "ExposedPorts"))),
        volumes=tuple(sorted(as_dict(runtime.get("Volumes") or {}, "Volumes"))),
        labels=as_str_dict(runtime.get("Labels")),
        history=tuple(
            HistoryEntry(
                created=as_time(h.get("created")),
                created_by=as_str(h.get("created_by"), "created_by", default=""),
                comment=as_str(h.get("comment"), "comment", default=""),
                empty_layer=h.get("empty_layer") is True,
            )
            for h in history
        ),
        diff_ids=tuple(as_str_list(rootfs.get("diff_ids"))),
    )
