"""Media types of manifests, configs and layers, and the manifest ``Accept`` list."""

from __future__ import annotations

# Docker Image Manifest V2, Schema 2 and manifest lists:
# https://distribution.github.io/distribution/spec/manifest-v2-2/
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
DOCKER_FOREIGN_LAYER = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
DOCKER_PLUGIN_CONFIG = "application/vnd.docker.plugin.v1+json"

# Deprecated schema 1 (read-only support):
# https://distribution.github.io/distribution/spec/deprecated-schema-v1/
DOCKER_SCHEMA1 = "application/vnd.docker.distribution.manifest.v1+json"
DOCKER_SCHEMA1_SIGNED = "application/vnd.docker.distribution.manifest.v1+prettyjws"

# OCI image spec: https://github.com/opencontainers/image-spec/blob/main/media-types.md
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"
OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
OCI_LAYER_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd"

# The empty descriptor (artifacts without config):
# https://github.com/opencontainers/image-spec/blob/main/manifest.md#guidance-for-an-empty-descriptor
OCI_EMPTY = "application/vnd.oci.empty.v1+json"
OCI_EMPTY_DIGEST = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
OCI_EMPTY_SIZE = 2

INDEX_TYPES = frozenset({OCI_INDEX, DOCKER_MANIFEST_LIST})
IMAGE_MANIFEST_TYPES = frozenset({OCI_MANIFEST, DOCKER_MANIFEST})
SCHEMA1_TYPES = frozenset({DOCKER_SCHEMA1, DOCKER_SCHEMA1_SIGNED})
IMAGE_CONFIG_TYPES = frozenset({OCI_CONFIG, DOCKER_CONFIG})

# Send all of these on every manifest request. Without the OCI types distribution answers 404
# for OCI content; without Docker v2 it rewrites to schema 1 (another digest). Schema 1 last.
# https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pulling-manifests
MANIFEST_ACCEPT: tuple[str, ...] = (
    OCI_INDEX,
    OCI_MANIFEST,
    DOCKER_MANIFEST_LIST,
    DOCKER_MANIFEST,
    DOCKER_SCHEMA1_SIGNED,
    DOCKER_SCHEMA1,
)
MANIFEST_ACCEPT_HEADER = ", ".join(MANIFEST_ACCEPT)


def base_type(content_type: str | None) -> str | None:
    """``"application/json; charset=utf-8"`` -> ``"application/json"``."""
    if not content_type:
        return None
    return content_type.split(";", 1)[0].strip().lower() or None
