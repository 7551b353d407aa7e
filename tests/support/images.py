"""Push real, deterministic images to a running registry with plain `requests`.

Push flow: https://distribution.github.io/distribution/spec/api/#pushing-an-image
(HEAD blob, monolithic POST + PUT ?digest=, cross-repo mount, PUT manifest).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import random
import re
import tarfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urljoin

import requests

from tests.support.registry_server import RunningRegistry
from tests.support.token_server import fetch_token

Kind = Literal["docker", "oci"]
Platform = tuple[str, str, str | None]  # (os, architecture, variant)

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
OCI_EMPTY = "application/vnd.oci.empty.v1+json"
# Every manifest type, schema1 last: without OCI types distribution 404s OCI manifests,
# without Docker v2 it rewrites to schema1 (another digest).
ACCEPT_ALL = ", ".join(
    [
        OCI_INDEX,
        OCI_MANIFEST,
        DOCKER_LIST,
        DOCKER_MANIFEST,
        "application/vnd.docker.distribution.manifest.v1+prettyjws",
    ]
)
MEDIA = {
    "docker": (DOCKER_MANIFEST, DOCKER_CONFIG, DOCKER_LAYER, DOCKER_LIST),
    "oci": (OCI_MANIFEST, OCI_CONFIG, OCI_LAYER, OCI_INDEX),
}
DEFAULT_CREATED = "2024-01-02T03:04:05Z"
DEFAULT_PLATFORMS: list[Platform] = [
    ("linux", "amd64", None),
    ("linux", "arm64", "v8"),
    ("linux", "arm", "v7"),
]


def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def canonical_json(obj: Any) -> bytes:
    return json.dumps(obj, indent=3, sort_keys=False).encode()


@dataclass
class Blob:
    data: bytes
    media_type: str
    digest: str = field(init=False)

    def __post_init__(self) -> None:
        self.digest = sha256_digest(self.data)

    def descriptor(self) -> dict[str, Any]:
        return {"mediaType": self.media_type, "size": len(self.data), "digest": self.digest}


@dataclass
class PushedImage:
    digest: str
    media_type: str
    config_digest: str
    layer_digests: list[str]
    size: int  # config + compressed layers: what a pull downloads besides the manifest
    manifest_bytes: bytes = field(repr=False)
    config: dict[str, Any] = field(default_factory=dict, repr=False)
    platform: Platform = ("linux", "amd64", None)
    layer_sizes: list[int] = field(default_factory=list)
    config_size: int = 0


@dataclass
class PushedIndex:
    digest: str
    media_type: str
    children: list[PushedImage]
    manifest_bytes: bytes = field(repr=False, default=b"")


# --- a tiny push client (test-only; the project's own client lives in registries/) ----

_CHALLENGE_PARAM = re.compile(r'(\w+)="([^"]*)"')


class PushClient:
    """One keep-alive session per registry; Basic or Bearer (token per repository)."""

    def __init__(self, reg: RunningRegistry) -> None:
        self.reg = reg
        self.http = requests.Session()
        self._tokens: dict[tuple[str, ...], str] = {}
        self._bearer: dict[str, str] | None = None
        if reg.auth == "basic":
            self.http.auth = reg.credentials

    def close(self) -> None:
        self.http.close()

    def _bearer_params(self) -> dict[str, str]:
        if self._bearer is None:
            resp = self.http.get(f"{self.reg.url}/v2/", timeout=10)
            challenge = resp.headers.get("WWW-Authenticate", "")
            self._bearer = dict(_CHALLENGE_PARAM.findall(challenge))
        return self._bearer

    def _token(self, scopes: tuple[str, ...]) -> str:
        if scopes not in self._tokens:
            params = self._bearer_params()
            self._tokens[scopes] = fetch_token(
                params["realm"],
                service=params["service"],
                scopes=list(scopes),
                auth=self.reg.credentials,
                session=self.http,
            )
        return self._tokens[scopes]

    def request(
        self, method: str, repo: str, url: str, *, mount_from: str | None = None, **kwargs: Any
    ) -> requests.Response:
        """`url` is relative to /v2/<repo>/ or absolute (an upload Location)."""
        full = urljoin(f"{self.reg.url}/v2/{repo}/", url)
        headers = kwargs.pop("headers", {})
        if self.reg.auth == "token":
            scopes = (f"repository:{repo}:pull,push",)
            if mount_from:  # distribution demands pull on the source of a mount
                scopes += (f"repository:{mount_from}:pull",)
            headers["Authorization"] = f"Bearer {self._token(scopes)}"
        return self.http.request(method, full, headers=headers, timeout=30, **kwargs)

    def ensure_blob(self, repo: str, blob: Blob, *, mount_from: str | None = None) -> None:
        if mount_from is None:
            if self.request("HEAD", repo, f"blobs/{blob.digest}").status_code == 200:
                return
            resp = self.request("POST", repo, "blobs/uploads/")
        else:
            # Cross-repo mount: 201 when linked, 202 (plain upload session) otherwise.
            resp = self.request(
                "POST",
                repo,
                "blobs/uploads/",
                params={"mount": blob.digest, "from": mount_from},
                mount_from=mount_from,
            )
            if resp.status_code == 201:
                return
        _expect(resp, 202)
        # Location may be relative and already carries a query (_state=...).
        location = urljoin(resp.url, resp.headers["Location"])
        resp = self.request(
            "PUT",
            repo,
            location,
            params={"digest": blob.digest},
            data=blob.data,
            headers={"Content-Type": "application/octet-stream"},
        )
        _expect(resp, 201)

    def put_manifest(self, repo: str, reference: str, data: bytes, media_type: str) -> str:
        resp = self.request(
            "PUT", repo, f"manifests/{reference}", data=data, headers={"Content-Type": media_type}
        )
        _expect(resp, 201)
        digest = sha256_digest(data)
        assert resp.headers.get("Docker-Content-Digest") == digest, resp.headers
        return digest


def _expect(resp: requests.Response, status: int) -> None:
    if resp.status_code != status:
        raise AssertionError(
            f"{resp.request.method} {resp.url} -> {resp.status_code}, expected {status}: "
            f"{resp.text[:500]}"
        )


def client_for(reg: RunningRegistry) -> PushClient:
    if reg.push_client is None:
        reg.push_client = PushClient(reg)
    return reg.push_client


# --- building blobs ---------------------------------------------------------------------


def make_layer(seed: str, index: int, *, size: int = 2048) -> tuple[bytes, bytes]:
    """(uncompressed tar, gzip) with content fixed by seed; mtimes pinned for determinism."""
    rng = random.Random(f"{seed}/{index}")  # test data, not crypto
    files = {
        f"opt/regfront/layer-{index}/": None,
        f"opt/regfront/layer-{index}/README.txt": f"layer {index} of {seed}\n".encode(),
        f"opt/regfront/layer-{index}/data.bin": rng.randbytes(size),
    }
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, content in files.items():
            info = tarfile.TarInfo(name.rstrip("/"))
            info.mtime = 1_700_000_000
            info.uname = info.gname = "root"
            if content is None:
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)
            else:
                info.size, info.mode = len(content), 0o644
                tar.addfile(info, io.BytesIO(content))
    tar_bytes = raw.getvalue()
    return tar_bytes, gzip.compress(tar_bytes, compresslevel=6, mtime=0)


def make_config(
    *,
    platform: Platform,
    created: str,
    diff_ids: list[str],
    labels: dict[str, str],
    env: list[str],
    cmd: list[str] | None,
    entrypoint: list[str] | None,
    workdir: str,
    user: str,
    exposed_ports: list[str],
    volumes: list[str],
) -> dict[str, Any]:
    os_name, arch, variant = platform
    history = []
    for i in range(len(diff_ids)):
        by = (
            "/bin/sh -c #(nop) ADD file:rootfs in / "
            if i == 0
            else f"RUN /bin/sh -c install-step-{i} # buildkit"
        )
        history.append({"created": created, "created_by": by})
        if i == 0:  # the one metadata-only step, as Dockerfile ENV/LABEL lines produce
            history.append(
                {"created": created, "created_by": "ENV APP_ENV=test", "empty_layer": True}
            )
    if not diff_ids:
        history.append({"created": created, "created_by": "ENV APP_ENV=test", "empty_layer": True})
    config: dict[str, Any] = {"architecture": arch, "os": os_name}
    if variant:
        config["variant"] = variant
    config |= {
        "created": created,
        "author": "regfront tests <tests@example.com>",
        "config": {
            "User": user,
            "ExposedPorts": {p: {} for p in exposed_ports},
            "Env": env,
            "Entrypoint": entrypoint,
            "Cmd": cmd,
            "Volumes": {v: {} for v in volumes},
            "WorkingDir": workdir,
            "Labels": labels,
        },
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": history,
    }
    return config


# --- pushing ----------------------------------------------------------------------------


def push_image(
    reg: RunningRegistry,
    repo: str,
    tag: str | None,
    *,
    kind: Kind = "docker",
    platform: Platform = ("linux", "amd64", None),
    labels: dict[str, str] | None = None,
    layers: int = 2,
    seed: str | None = None,
    created: str | None = None,
    env: list[str] | None = None,
    cmd: list[str] | None = None,
    entrypoint: list[str] | None = None,
    workdir: str = "/app",
    user: str = "app",
    exposed_ports: list[str] | None = None,
    volumes: list[str] | None = None,
    annotations: dict[str, str] | None = None,
    layer_size: int = 2048,
    layer_seed: str | None = None,
    mount_from: str | None = None,
) -> PushedImage:
    """Push one image (blobs, then manifest by tag, or by digest when `tag` is None).

    `layer_seed` lets many images share layer blobs (fast datasets); `mount_from` names a
    repository that already has them, so they are mounted instead of uploaded.
    """
    manifest_type, config_type, layer_type, _ = MEDIA[kind]
    seed = seed if seed is not None else f"{repo}:{tag}:{kind}:{platform}"
    layer_seed = layer_seed if layer_seed is not None else seed
    created = created or DEFAULT_CREATED
    client = client_for(reg)
    built = [make_layer(layer_seed, i, size=layer_size) for i in range(layers)]
    layer_blobs = [Blob(gz, layer_type) for _, gz in built]
    config = make_config(
        platform=platform,
        created=created,
        diff_ids=[sha256_digest(raw) for raw, _ in built],
        labels=dict(labels or {}) | {"org.regfront.test.seed": seed},
        env=env if env is not None else ["PATH=/usr/local/bin:/usr/bin:/bin", "APP_ENV=test"],
        cmd=cmd if cmd is not None else ["serve", "--port", "8080"],
        entrypoint=entrypoint if entrypoint is not None else ["/usr/local/bin/app"],
        workdir=workdir,
        user=user,
        exposed_ports=exposed_ports if exposed_ports is not None else ["8080/tcp"],
        volumes=volumes if volumes is not None else ["/data"],
    )
    config_blob = Blob(canonical_json(config), config_type)
    for blob in layer_blobs:
        client.ensure_blob(repo, blob, mount_from=mount_from)
    client.ensure_blob(repo, config_blob)
    manifest: dict[str, Any] = {
        "schemaVersion": 2,
        "mediaType": manifest_type,
        "config": config_blob.descriptor(),
        "layers": [b.descriptor() for b in layer_blobs],
    }
    if annotations:
        manifest["annotations"] = annotations
    data = canonical_json(manifest)
    digest = client.put_manifest(repo, tag or sha256_digest(data), data, manifest_type)
    return PushedImage(
        digest=digest,
        media_type=manifest_type,
        config_digest=config_blob.digest,
        layer_digests=[b.digest for b in layer_blobs],
        size=len(config_blob.data) + sum(len(b.data) for b in layer_blobs),
        manifest_bytes=data,
        config=config,
        platform=platform,
        layer_sizes=[len(b.data) for b in layer_blobs],
        config_size=len(config_blob.data),
    )


def push_index(
    reg: RunningRegistry,
    repo: str,
    tag: str | None,
    *,
    kind: Kind = "oci",
    platforms: list[Platform] | None = None,
    seed: str | None = None,
    annotations: dict[str, str] | None = None,
    **image_kwargs: Any,
) -> PushedIndex:
    """Push one image per platform by digest, then the OCI index / Docker list by tag."""
    seed = seed if seed is not None else f"{repo}:{tag}:index"
    children = [
        push_image(
            reg,
            repo,
            None,
            kind=kind,
            platform=p,
            seed=f"{seed}/{'/'.join(filter(None, p))}",
            **image_kwargs,
        )
        for p in (platforms or DEFAULT_PLATFORMS)
    ]
    index_type = MEDIA[kind][3]
    entries = []
    for child in children:
        os_name, arch, variant = child.platform
        plat = {"architecture": arch, "os": os_name} | ({"variant": variant} if variant else {})
        entries.append(
            {
                "mediaType": child.media_type,
                "size": len(child.manifest_bytes),
                "digest": child.digest,
                "platform": plat,
            }
        )
    index: dict[str, Any] = {"schemaVersion": 2, "mediaType": index_type, "manifests": entries}
    if annotations:
        index["annotations"] = annotations
    data = canonical_json(index)
    digest = client_for(reg).put_manifest(repo, tag or sha256_digest(data), data, index_type)
    return PushedIndex(digest=digest, media_type=index_type, children=children, manifest_bytes=data)


def tag_existing(
    reg: RunningRegistry, repo: str, tag: str, manifest_bytes: bytes, media_type: str
) -> str:
    """Put an already pushed manifest under another tag (tags sharing one digest)."""
    return client_for(reg).put_manifest(repo, tag, manifest_bytes, media_type)


def push_artifact_with_subject(
    reg: RunningRegistry,
    repo: str,
    subject: PushedImage | PushedIndex,
    *,
    artifact_type: str = "application/vnd.example.sbom",
    payload: bytes = b'{"spdxVersion": "SPDX-2.3", "name": "regfront-test"}',
    payload_type: str = "application/spdx+json",
) -> PushedImage:
    """An OCI 1.1 artifact (empty config, `subject`) pushed by digest.

    distribution 2.8 stores it but has no referrers API (GET /v2/<name>/referrers/ is 404).
    """
    client = client_for(reg)
    config_blob = Blob(b"{}", OCI_EMPTY)
    layer = Blob(payload, payload_type)
    for blob in (config_blob, layer):
        client.ensure_blob(repo, blob)
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "artifactType": artifact_type,
        "config": config_blob.descriptor(),
        "layers": [layer.descriptor()],
        "subject": {
            "mediaType": subject.media_type,
            "size": len(subject.manifest_bytes),
            "digest": subject.digest,
        },
        "annotations": {"org.opencontainers.image.created": DEFAULT_CREATED},
    }
    data = canonical_json(manifest)
    digest = client.put_manifest(repo, sha256_digest(data), data, OCI_MANIFEST)
    return PushedImage(
        digest=digest,
        media_type=OCI_MANIFEST,
        config_digest=config_blob.digest,
        layer_digests=[layer.digest],
        size=len(config_blob.data) + len(layer.data),
        manifest_bytes=data,
        layer_sizes=[len(layer.data)],
        config_size=len(config_blob.data),
    )


# --- the standard dataset ---------------------------------------------------------------

APP = "app"
APP_TAGS = ("1.2.0", "1.9.3", "1.10.0", "latest")  # 1.10.0 and latest share a digest
HOSTILE = "oci/hostile"
HOSTILE_LABELS = {
    "evil": "<script>alert(1)</script>",
    "link": "javascript:alert(1)",
    "homepage": "https://example.com/",
}
HOSTILE_ANNOTATIONS = {
    "org.opencontainers.image.description": "<img src=x onerror=alert(1)>",
    "org.opencontainers.image.url": "javascript:alert(1)",
}
MULTI_ARCH = "multi/arch"
LEGACY_LIST = "legacy/list"
LEGACY_PLATFORMS: list[Platform] = [("linux", "amd64", None), ("linux", "arm64", "v8")]
DEEP = "a/b/c/d"
TEAM_SERVICE = "team/service"
MANY_REPOS = [f"many/repo-{i:03d}" for i in range(120)]
MANY_TAGS = "many-tags"
MANY_TAG_NAMES = [f"t{i:03d}" for i in range(130)]
APP_SOURCE = "https://example.com/app"


@dataclass
class Dataset:
    """What `push_standard_dataset` pushed: repo -> tag -> image or index, plus shortcuts."""

    manifests: dict[str, dict[str, PushedImage | PushedIndex]]
    seconds: float = 0.0  # how long the push took
    sbom: PushedImage | None = None  # OCI artifact whose subject is app:1.2.0 (untagged)

    @property
    def repositories(self) -> list[str]:
        return sorted(self.manifests)

    def tags(self, repo: str) -> list[str]:
        return sorted(self.manifests[repo])

    def digest(self, repo: str, tag: str) -> str:
        return self.manifests[repo][tag].digest

    def image(self, repo: str, tag: str) -> PushedImage:
        found = self.manifests[repo][tag]
        assert isinstance(found, PushedImage), f"{repo}:{tag} is an index"
        return found

    def index(self, repo: str, tag: str) -> PushedIndex:
        found = self.manifests[repo][tag]
        assert isinstance(found, PushedIndex), f"{repo}:{tag} is a single image"
        return found

    @property
    def app(self) -> dict[str, PushedImage | PushedIndex]:
        return self.manifests[APP]


def _push_app(reg: RunningRegistry) -> dict[str, PushedImage | PushedIndex]:
    labels = {
        "org.opencontainers.image.source": APP_SOURCE,
        "org.opencontainers.image.title": "app",
        "org.opencontainers.image.licenses": "Apache-2.0",
    }
    releases = {
        "1.2.0": "2023-03-01T10:00:00Z",
        "1.9.3": "2023-09-15T12:30:00Z",
        "1.10.0": "2024-02-20T08:15:00Z",
    }
    app: dict[str, PushedImage | PushedIndex] = {}
    for version, created in releases.items():
        app[version] = push_image(
            reg,
            APP,
            version,
            kind="docker",
            created=created,
            layers=3,
            layer_size=8192,
            labels=labels | {"org.opencontainers.image.version": version},
            seed=f"app-{version}",
            layer_seed="app-base",
        )
    latest = app["1.10.0"]
    tag_existing(reg, APP, "latest", latest.manifest_bytes, latest.media_type)
    app["latest"] = latest
    return app


def push_standard_dataset(reg: RunningRegistry, *, small: bool = False) -> Dataset:
    """Push the one deterministic dataset the test suite asserts against.

    `small` pushes only `app` (for the deletion-off registry).
    """
    started = time.monotonic()
    out: dict[str, dict[str, PushedImage | PushedIndex]] = {APP: _push_app(reg)}
    if small:
        return Dataset(manifests=out, seconds=time.monotonic() - started)
    sbom = push_artifact_with_subject(reg, APP, out[APP]["1.2.0"])
    out[HOSTILE] = {
        "v1": push_image(
            reg, HOSTILE, "v1", kind="oci", labels=HOSTILE_LABELS, annotations=HOSTILE_ANNOTATIONS
        )
    }
    out[MULTI_ARCH] = {"v1": push_index(reg, MULTI_ARCH, "v1", kind="oci")}
    out[LEGACY_LIST] = {
        "v1": push_index(reg, LEGACY_LIST, "v1", kind="docker", platforms=LEGACY_PLATFORMS)
    }
    out[DEEP] = {"v1": push_image(reg, DEEP, "v1", kind="oci", layers=1)}
    out[TEAM_SERVICE] = {"2.0": push_image(reg, TEAM_SERVICE, "2.0", kind="docker")}

    def push_many(repo: str) -> PushedImage:
        # One shared layer blob, mounted from the first repo; the config differs per repo.
        return push_image(
            reg,
            repo,
            "v1",
            kind="docker",
            layers=1,
            layer_size=256,
            layer_seed="many",
            mount_from=MANY_REPOS[0] if repo != MANY_REPOS[0] else None,
        )

    out[MANY_REPOS[0]] = {"v1": push_many(MANY_REPOS[0])}
    # The registry waits on disk, not CPU: a few threads halve this part.
    with ThreadPoolExecutor(max_workers=4) as pool:
        for repo, image in zip(MANY_REPOS[1:], pool.map(push_many, MANY_REPOS[1:]), strict=True):
            out[repo] = {"v1": image}
    many: dict[str, PushedImage | PushedIndex] = {}
    for i, tag in enumerate(MANY_TAG_NAMES):
        if i % 10 == 0:  # a new config (so a new digest) every 10 tags
            image = push_image(
                reg,
                MANY_TAGS,
                tag,
                kind="docker",
                layers=1,
                layer_size=256,
                layer_seed="many",
                seed=f"many-tags-{i // 10}",
                created=f"2024-03-{i // 10 + 1:02d}T00:00:00Z",
            )
        else:
            tag_existing(reg, MANY_TAGS, tag, image.manifest_bytes, image.media_type)
        many[tag] = image
    out[MANY_TAGS] = many
    return Dataset(manifests=out, seconds=time.monotonic() - started, sbom=sbom)
