"""Two images built for comparing, pushed to real registries: a shared base layer, a layer
only a has, and b's own layer with a whiteout, a changed mode, size, owner and a retargeted
symlink; configs that differ field by field; an index holding b for two platforms."""

from __future__ import annotations

from tests.contents.build import (
    OCI_LAYER_GZIP,
    OCI_LAYER_TAR,
    OCI_LAYER_ZSTD,
    d,
    f,
    gz,
    sym,
    tar_bytes,
    whiteout,
    zst,
)
from tests.support.images import (
    OCI_CONFIG,
    OCI_INDEX,
    OCI_MANIFEST,
    Blob,
    PushedImage,
    canonical_json,
    client_for,
    make_config,
)
from tests.support.registry_server import RunningRegistry

BASE = [
    d("etc"),
    f("etc/hosts", b"127.0.0.1 localhost\n"),
    f("etc/passwd", b"root:x:0:0::/root:/bin/sh\n"),
    d("usr"),
    d("usr/bin"),
    f("usr/bin/tool", b"#!/bin/sh\n", mode=0o755),
]
APP = [
    d("app"),
    f("app/old.txt", b"old"),
    f("app/run.sh", b"#!/bin/sh\nexec app\n", mode=0o644),
    sym("app/current", "v1"),
    f("app/size.txt", b"12"),
]
ONLY_A = [f("tmp/only-a", b"a")]
B_OWN = [
    whiteout("etc/passwd"),
    whiteout("app/old.txt"),
    f("app/run.sh", b"#!/bin/sh\nexec app\n", mode=0o755),
    sym("app/current", "v2"),
    f("app/size.txt", b"12345"),
    f("app/new.txt", b"new"),
    f("etc/hosts", b"127.0.0.1 localhost\n", uid=1000, gid=1000, uname="app", gname="app"),
]
LAYERS = {
    "base": (gz(tar_bytes(BASE)), OCI_LAYER_GZIP),
    "app": (zst(tar_bytes(APP)), OCI_LAYER_ZSTD),
    "only_a": (tar_bytes(ONLY_A), OCI_LAYER_TAR),
    "b_own": (gz(tar_bytes(B_OWN)), OCI_LAYER_GZIP),
}
A_LAYERS = ["base", "app", "only_a"]
B_LAYERS = ["base", "app", "b_own"]

# What b added, removed and changed against a, exactly.
ADDED = ["app/new.txt"]
REMOVED = ["app/old.txt", "etc/passwd", "tmp", "tmp/only-a"]
CHANGED = {
    "app/current": ("link",),
    "app/run.sh": ("mode",),
    "app/size.txt": ("size",),
    "etc/hosts": ("owner",),
}

A_CONFIG = {
    "env": ["PATH=/usr/bin", "APP_MODE=old"],
    "labels": {"org.opencontainers.image.version": "1.4", "team": "core"},
    "cmd": ["run"],
    "entrypoint": ["/app/run.sh"],
    "workdir": "/app",
    "user": "root",
    "exposed_ports": ["8080/tcp"],
}
B_CONFIG = {
    "env": ["PATH=/usr/bin", "APP_MODE=new", "FEATURE=on"],
    "labels": {"org.opencontainers.image.version": "1.5", "team": "core"},
    "cmd": ["run", "--fast"],
    "entrypoint": ["/app/run.sh"],
    "workdir": "/srv",
    "user": "app",
    "exposed_ports": ["8080/tcp", "9090/tcp"],
}


def push_image_of(
    reg: RunningRegistry,
    repo: str,
    tag: str | None,
    names: list[str],
    *,
    config: dict,
    platform: tuple[str, str, str | None] = ("linux", "amd64", None),
) -> PushedImage:
    """An OCI image of these named layers with this runtime config (by digest when no tag)."""
    client = client_for(reg)
    blobs = [Blob(*LAYERS[name]) for name in names]
    image_config = make_config(
        platform=platform,
        created="2024-01-02T03:04:05Z",
        diff_ids=[b.digest for b in blobs],
        volumes=[],
        **config,
    )
    config_blob = Blob(canonical_json(image_config), OCI_CONFIG)
    for blob in [*blobs, config_blob]:
        client.ensure_blob(repo, blob)
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": config_blob.descriptor(),
        "layers": [b.descriptor() for b in blobs],
    }
    data = canonical_json(manifest)
    from tests.support.images import sha256_digest

    digest = client.put_manifest(repo, tag or sha256_digest(data), data, OCI_MANIFEST)
    return PushedImage(
        digest=digest,
        media_type=OCI_MANIFEST,
        config_digest=config_blob.digest,
        layer_digests=[b.digest for b in blobs],
        size=len(config_blob.data) + sum(len(b.data) for b in blobs),
        manifest_bytes=data,
        config=image_config,
        platform=platform,
        layer_sizes=[len(b.data) for b in blobs],
        config_size=len(config_blob.data),
    )


def push_index_of(reg: RunningRegistry, repo: str, tag: str, children: list[PushedImage]) -> str:
    entries = []
    for child in children:
        os_name, arch, variant = child.platform
        platform = {"architecture": arch, "os": os_name} | ({"variant": variant} if variant else {})
        entries.append(
            {
                "mediaType": child.media_type,
                "size": len(child.manifest_bytes),
                "digest": child.digest,
                "platform": platform,
            }
        )
    data = canonical_json({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries})
    return client_for(reg).put_manifest(repo, tag, data, OCI_INDEX)


def push_pair(reg: RunningRegistry, repo: str = "compare/app") -> dict[str, PushedImage]:
    return {
        "a": push_image_of(reg, repo, "1.4", A_LAYERS, config=A_CONFIG),
        "b": push_image_of(reg, repo, "1.5", B_LAYERS, config=B_CONFIG),
    }


def push_multi(reg: RunningRegistry, repo: str = "compare/multi") -> str:
    """An index of b's image for linux/amd64 and a's for linux/arm64."""
    amd64 = push_image_of(reg, repo, None, B_LAYERS, config=B_CONFIG)
    arm64 = push_image_of(
        reg, repo, None, A_LAYERS, config=A_CONFIG, platform=("linux", "arm64", None)
    )
    return push_index_of(reg, repo, "2.0", [amd64, arm64])
