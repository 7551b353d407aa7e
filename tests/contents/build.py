"""Layers built in the test: tars with files, directories, links and whiteouts, compressed
with gzip or zstd, pushed as real images."""

from __future__ import annotations

import gzip
import io
import tarfile
from dataclasses import dataclass

import zstandard

from tests.support.images import (
    OCI_CONFIG,
    OCI_MANIFEST,
    Blob,
    PushedImage,
    canonical_json,
    client_for,
    make_config,
)
from tests.support.registry_server import RunningRegistry

OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
OCI_LAYER_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd"
OCI_LAYER_TAR = "application/vnd.oci.image.layer.v1.tar"


@dataclass(frozen=True)
class Member:
    name: str
    kind: str = "file"  # file, dir, symlink, hardlink, fifo
    data: bytes = b""
    mode: int = 0o644
    link: str = ""
    uid: int = 0
    gid: int = 0
    uname: str = "root"
    gname: str = "root"


def f(name: str, data: bytes = b"", **kw) -> Member:
    return Member(name, "file", data, **kw)


def d(name: str, **kw) -> Member:
    return Member(name, "dir", mode=kw.pop("mode", 0o755), **kw)


def sym(name: str, target: str, **kw) -> Member:
    return Member(name, "symlink", link=target, mode=kw.pop("mode", 0o777), **kw)


def hard(name: str, target: str, **kw) -> Member:
    return Member(name, "hardlink", link=target, **kw)


def whiteout(path: str) -> Member:
    parent, _, name = path.rpartition("/")
    return f(f"{parent}/.wh.{name}" if parent else f".wh.{name}")


def opaque(directory: str) -> Member:
    return f(f"{directory}/.wh..wh..opq")


TYPES = {
    "file": tarfile.REGTYPE,
    "dir": tarfile.DIRTYPE,
    "symlink": tarfile.SYMTYPE,
    "hardlink": tarfile.LNKTYPE,
    "fifo": tarfile.FIFOTYPE,
}


def tar_bytes(members: list[Member], *, fmt: int = tarfile.PAX_FORMAT) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=fmt) as tar:
        for m in members:
            info = tarfile.TarInfo(m.name)
            info.type = TYPES[m.kind]
            info.mode, info.uid, info.gid = m.mode, m.uid, m.gid
            info.uname, info.gname = m.uname, m.gname
            info.linkname = m.link
            info.mtime = 1_700_000_000
            if m.kind == "file":
                info.size = len(m.data)
                tar.addfile(info, io.BytesIO(m.data))
            else:
                tar.addfile(info)
    return out.getvalue()


def gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def zst(data: bytes) -> bytes:
    return zstandard.ZstdCompressor().compress(data)


def push_layers(
    reg: RunningRegistry, repo: str, tag: str, layers: list[tuple[bytes, str]]
) -> PushedImage:
    """An OCI image of these (blob, media type) layers; the diff_ids are made up."""
    client = client_for(reg)
    blobs = [Blob(data, media_type) for data, media_type in layers]
    config = make_config(
        platform=("linux", "amd64", None),
        created="2024-01-02T03:04:05Z",
        diff_ids=[b.digest for b in blobs],
        labels={},
        env=[],
        cmd=["sh"],
        entrypoint=None,
        workdir="/",
        user="",
        exposed_ports=[],
        volumes=[],
    )
    config_blob = Blob(canonical_json(config), OCI_CONFIG)
    for blob in [*blobs, config_blob]:
        client.ensure_blob(repo, blob)
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": config_blob.descriptor(),
        "layers": [b.descriptor() for b in blobs],
    }
    data = canonical_json(manifest)
    digest = client.put_manifest(repo, tag, data, OCI_MANIFEST)
    return PushedImage(
        digest=digest,
        media_type=OCI_MANIFEST,
        config_digest=config_blob.digest,
        layer_digests=[b.digest for b in blobs],
        size=len(config_blob.data) + sum(len(b.data) for b in blobs),
        manifest_bytes=data,
        config=config,
        layer_sizes=[len(b.data) for b in blobs],
        config_size=len(config_blob.data),
    )


def empty_files_tar(names: list[str]) -> bytes:
    """A tar of empty files, fast enough for 200,000 of them: one ustar header per name from
    a template (tarfile takes ~100 µs per header, this a few)."""
    template = bytearray(tarfile.TarInfo("").tobuf(format=tarfile.USTAR_FORMAT))
    template[148:156] = b" " * 8  # the checksum counts its own field as spaces
    base = sum(template)
    blocks = []
    for name in names:
        encoded = name.encode()
        assert len(encoded) < 100, name
        header = bytearray(template)
        header[: len(encoded)] = encoded
        header[148:156] = b"%06o\0 " % (base + sum(encoded))
        blocks.append(bytes(header))
    return b"".join(blocks) + b"\0" * (2 * tarfile.BLOCKSIZE)


def many_entries_layer(count: int) -> bytes:
    """Directories of 500 empty files each: a big layer with small directory pages."""
    names = [f"many/d{i // 500:03d}/f{i % 500:03d}" for i in range(count)]
    return gzip.compress(empty_files_tar(names), compresslevel=1, mtime=0)
