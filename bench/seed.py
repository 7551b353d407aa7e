"""Fill a distribution 2.8 filesystem storage directly: 10,000 repositories in seconds.

Pushing 10,000 repositories through the API takes minutes; writing the storage layout the
registry itself writes is equivalent for reading (distribution serves whatever links and blobs
it finds). The layout (registry/storage/paths.go in distribution 2.8):

    docker/registry/v2/blobs/sha256/<hex[:2]>/<hex>/data
    docker/registry/v2/repositories/<name>/_layers/sha256/<hex>/link
    docker/registry/v2/repositories/<name>/_manifests/revisions/sha256/<hex>/link
    docker/registry/v2/repositories/<name>/_manifests/tags/<tag>/current/link
    docker/registry/v2/repositories/<name>/_manifests/tags/<tag>/index/sha256/<hex>/link

Every link file holds "sha256:<hex>". `bench/run.py` checks the registry serves what was
written (catalog count, tag counts, every manifest kind) before measuring.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"

# The dataset the benchmark measures.
TOP_LEVEL_REPOS = 4_000  # svc-0000 … at the root of the catalog
NAMESPACES = 60  # team-00 … team-59, 100 repositories each
PER_NAMESPACE = 100
TAGS_300 = "big/tags-300"
TAGS_5000 = "big/tags-5000"
INDEX_REPO = "multi/platform"
# The last 600 tags of the 5,000-tag repository are aliases of one image (a release train
# tagged many ways), so its tag page has more siblings than the live path ever listed (500).
ALIASES_FROM = 4_400
PLATFORMS = [("linux", "amd64", None), ("linux", "arm64", "v8"), ("linux", "arm", "v7")]


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass
class Store:
    """Writes blobs once and link files per repository."""

    root: Path
    blobs_written: int = 0
    links_written: int = 0
    _blobs: set[str] = field(default_factory=set)

    @property
    def v2(self) -> Path:
        return self.root / "docker" / "registry" / "v2"

    def blob(self, data: bytes) -> str:
        digest = digest_of(data)
        if digest not in self._blobs:
            hexa = digest.split(":", 1)[1]
            path = self.v2 / "blobs" / "sha256" / hexa[:2] / hexa / "data"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            self._blobs.add(digest)
            self.blobs_written += 1
        return digest

    def _link(self, path: Path, digest: str) -> None:
        path.mkdir(parents=True, exist_ok=True)
        (path / "link").write_text(digest)
        self.links_written += 1

    def link_layer(self, repo: str, digest: str) -> None:
        hexa = digest.split(":", 1)[1]
        self._link(self.v2 / "repositories" / repo / "_layers" / "sha256" / hexa, digest)

    def link_manifest(self, repo: str, digest: str) -> None:
        hexa = digest.split(":", 1)[1]
        base = self.v2 / "repositories" / repo / "_manifests"
        self._link(base / "revisions" / "sha256" / hexa, digest)

    def tag(self, repo: str, tag: str, digest: str) -> None:
        hexa = digest.split(":", 1)[1]
        base = self.v2 / "repositories" / repo / "_manifests" / "tags" / tag
        self._link(base / "current", digest)
        self._link(base / "index" / "sha256" / hexa, digest)


def _json(obj: object) -> bytes:
    return json.dumps(obj, indent=3).encode()


@dataclass(frozen=True)
class Image:
    manifest: bytes
    digest: str
    media_type: str
    config_digest: str
    layer_digest: str


def make_image(
    store: Store,
    *,
    seed: str,
    created: str,
    layer: tuple[bytes, str],
    oci: bool = False,
    platform: tuple[str, str, str | None] = ("linux", "amd64", None),
) -> Image:
    """One image whose config (and so digest) is unique to `seed`; the layer is shared."""
    os_name, arch, variant = platform
    layer_data, layer_digest = layer
    config: dict = {"architecture": arch, "os": os_name}
    if variant:
        config["variant"] = variant
    config |= {
        "created": created,
        "config": {
            "Env": ["PATH=/usr/local/bin:/usr/bin:/bin"],
            "Cmd": ["serve"],
            "Labels": {"org.regfront.bench.seed": seed},
        },
        "rootfs": {"type": "layers", "diff_ids": [digest_of(b"bench-layer-tar")]},
        "history": [{"created": created, "created_by": "ADD rootfs /"}],
    }
    config_data = _json(config)
    config_digest = store.blob(config_data)
    media_type, config_type, layer_type = (
        (OCI_MANIFEST, OCI_CONFIG, OCI_LAYER)
        if oci
        else (DOCKER_MANIFEST, DOCKER_CONFIG, DOCKER_LAYER)
    )
    manifest = _json(
        {
            "schemaVersion": 2,
            "mediaType": media_type,
            "config": {"mediaType": config_type, "size": len(config_data), "digest": config_digest},
            "layers": [{"mediaType": layer_type, "size": len(layer_data), "digest": layer_digest}],
        }
    )
    return Image(manifest, store.blob(manifest), media_type, config_digest, layer_digest)


def put_image(store: Store, repo: str, tag: str | None, image: Image) -> None:
    store.link_layer(repo, image.layer_digest)
    store.link_layer(repo, image.config_digest)
    store.link_manifest(repo, image.digest)
    if tag:
        store.tag(repo, tag, image.digest)


def catalog_names() -> list[str]:
    names = [f"svc-{i:04d}" for i in range(TOP_LEVEL_REPOS)]
    names += [f"team-{n:02d}/app-{i:03d}" for n in range(NAMESPACES) for i in range(PER_NAMESPACE)]
    return names


def version_tag(i: int) -> str:
    return f"1.{i // 100}.{i % 100}"


def created_at(i: int) -> str:
    """The created time of the i-th tag's image: 28 days, so dates repeat across versions."""
    return f"2024-02-{1 + i % 28:02d}T00:00:{i % 60:02d}Z"


ALIAS_TAG = version_tag(ALIASES_FROM)


def newest_tags(count: int, *, aliases_from: int) -> set[str]:
    """The tags of a `many` repository that share its newest created time (aliases carry
    their image's time): one of them heads a newest-first listing."""
    when = {version_tag(i): created_at(min(i, aliases_from)) for i in range(count)}
    newest = max(when.values())
    return {tag for tag, created in when.items() if created == newest}


@dataclass
class Seeded:
    repositories: int
    tags_300: list[str]
    tags_5000: list[str]
    index_tag: str
    image_tag: str  # "<repo>:<tag>" of one plain image, for the tag page
    blobs: int
    links: int


def seed(root: Path) -> Seeded:
    """Write the whole dataset under `root` (the registry's storage rootdirectory)."""
    store = Store(root)
    layer_data = b"\x1f\x8b" + b"bench-layer" * 64  # never unpacked: content does not matter
    layer = (layer_data, store.blob(layer_data))
    # One image shared by every catalog repository: 10,000 repositories cost 5 links each.
    shared = make_image(store, seed="catalog", created="2024-01-01T00:00:00Z", layer=layer)
    names = catalog_names()
    for name in names:
        put_image(store, name, "latest", shared)

    def many(repo: str, count: int, *, aliases_from: int | None = None) -> list[str]:
        tags = []
        image = None
        for i in range(count):
            tag = version_tag(i)
            if aliases_from is None or i <= aliases_from:
                image = make_image(store, seed=f"{repo}:{tag}", created=created_at(i), layer=layer)
            put_image(store, repo, tag, image)
            tags.append(tag)
        return tags

    tags_300 = many(TAGS_300, 300)
    tags_5000 = many(TAGS_5000, 5_000, aliases_from=ALIASES_FROM)
    children = [
        make_image(
            store,
            seed=f"index/{p}",
            created="2024-03-01T00:00:00Z",
            layer=layer,
            oci=True,
            platform=p,
        )
        for p in PLATFORMS
    ]
    for child in children:
        put_image(store, INDEX_REPO, None, child)
    entries = []
    for child, (os_name, arch, variant) in zip(children, PLATFORMS, strict=True):
        plat = {"architecture": arch, "os": os_name} | ({"variant": variant} if variant else {})
        entries.append(
            {
                "mediaType": child.media_type,
                "size": len(child.manifest),
                "digest": child.digest,
                "platform": plat,
            }
        )
    index = _json({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries})
    index_digest = store.blob(index)
    store.link_manifest(INDEX_REPO, index_digest)
    store.tag(INDEX_REPO, "v1", index_digest)
    return Seeded(
        repositories=len(names) + 3,
        tags_300=tags_300,
        tags_5000=tags_5000,
        index_tag=f"{INDEX_REPO}:v1",
        image_tag=f"{TAGS_300}:{tags_300[0]}",
        blobs=store.blobs_written,
        links=store.links_written,
    )
