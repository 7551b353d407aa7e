"""Reading a layer blob as a stream: what its tar holds, never extracted. Plain Python.

Layer formats: https://github.com/opencontainers/image-spec/blob/main/layer.md
The compression is read from the magic bytes, never from the media type (which can lie);
tarfile reads in stream mode, so nothing is held whole, seeked or written to disk.
"""

from __future__ import annotations

import gzip
import tarfile
import time
import zlib
from dataclasses import dataclass
from typing import NamedTuple, Protocol

import zstandard

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
# Compressions layers never use: named so the message says what the blob is.
OTHER_MAGIC = {b"BZh": "bzip2", b"\xfd7zXZ\x00": "xz"}
SNIFF_BYTES = 8
READ_SIZE = 64 * 1024
# What a tar header may take beyond the entry's data: long names, PAX records. tarfile
# holds a header whole, so a layer claiming a 1 GiB name is refused here instead.
MAX_HEADER_BYTES = 1024 * 1024
MAX_REFUSED_KEPT = 100
TRUNCATED = "The layer ends too soon: the blob is truncated."

KINDS = {
    tarfile.REGTYPE: "file",
    tarfile.AREGTYPE: "file",
    tarfile.CONTTYPE: "file",
    tarfile.DIRTYPE: "dir",
    tarfile.SYMTYPE: "symlink",
    tarfile.LNKTYPE: "hardlink",
}


class Entry(NamedTuple):
    """One tar member. A tuple, so 200,000 of them stay cheap to hold and to store."""

    path: str  # normalised: relative, no `.` or empty parts; "" is never an entry
    kind: str  # file, dir, symlink, hardlink, other
    size: int
    mode: int  # permission bits (and setuid/setgid/sticky)
    uid: int
    gid: int
    uname: str
    gname: str
    link: str  # symlink target as written; hard link target normalised like a path


@dataclass(frozen=True)
class Limits:
    """What reading one layer may take. The compressed size and the network are the blob
    reader's to bound (registries/client/blobs.py); these bound what it unpacks to."""

    max_unpacked_bytes: int
    max_entries: int
    deadline: float  # time.monotonic()


class LayerError(Exception):
    """The layer cannot be listed; the message is safe to show."""


class LayerLimit(LayerError):
    """A limit was reached; ``setting`` names it, so the page can say which."""

    def __init__(self, message: str, *, setting: str) -> None:
        super().__init__(message)
        self.setting = setting


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


@dataclass
class Listing:
    compression: str  # gzip, zstd, none
    entries: list[Entry]
    refused: list[str]  # member names never used: absolute, or climbing out with `..`
    refused_count: int
    unpacked_bytes: int


def safe_path(name: str) -> str | None:
    """The member's path inside the image, or None when it points outside it."""
    if name.startswith("/"):
        return None
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts:
        return None  # even `a/../b`: a name that climbs is refused, never resolved
    return "/".join(parts)


def unpacked_tar(source: Readable, limits: Limits) -> tuple[str, _Counted]:
    """The layer's compression and its tar stream: decompressed by its magic bytes, counted
    against the limits (registries/contents/member.py reads one file out of it too)."""
    head = _read_exactly(source, SNIFF_BYTES)
    compression = _compression(head)
    unpacked = _Counted(
        _decompressor(compression, _Prefixed(head, source)),
        deadline=limits.deadline,
        cap=limits.max_unpacked_bytes,
    )
    return compression, unpacked


def list_layer(source: Readable, limits: Limits) -> Listing:
    """Every entry of the layer, read to the end of the blob (so its digest is checked)."""
    compression, unpacked = unpacked_tar(source, limits)
    listing = Listing(compression, [], [], 0, 0)
    try:
        end = _read_members(unpacked, listing, limits)
        unpacked.window = None
        while unpacked.read(READ_SIZE):  # the rest: padding, trailers; the digest covers it
            pass
    except (tarfile.TarError, EOFError, OSError, zlib.error, zstandard.ZstdError) as exc:
        raise LayerError(unreadable_message(exc, compression)) from exc
    # tarfile takes a stream that stops early for the archive's end; its end-of-archive
    # marker (two zero blocks after the last member) must have been there.
    if unpacked.count < end + 2 * tarfile.BLOCKSIZE:
        raise LayerError(TRUNCATED)
    listing.unpacked_bytes = unpacked.count
    return listing


def _read_members(unpacked: _Counted, listing: Listing, limits: Limits) -> int:
    """Read the headers into ``listing``; returns where the last member's data ends."""
    unpacked.window = MAX_HEADER_BYTES
    with tarfile.open(fileobj=unpacked, mode="r|") as tar:
        while (info := tar.next()) is not None:
            tar.members.clear()  # stream mode keeps every header otherwise
            if len(listing.entries) + listing.refused_count >= limits.max_entries:
                raise LayerLimit(
                    f"The layer has more than {limits.max_entries:,} entries.",
                    setting="REGFRONT_MAX_LAYER_ENTRIES",
                )
            # This entry's data (skipped by reading through it), then the next header.
            unpacked.window = unpacked.count + info.size + tarfile.RECORDSIZE + MAX_HEADER_BYTES
            entry = _entry(info)
            if entry is None:
                listing.refused_count += 1
                if len(listing.refused) < MAX_REFUSED_KEPT:
                    listing.refused.append(info.name)
            elif entry.path:
                listing.entries.append(entry)
        return tar.offset


def _entry(info: tarfile.TarInfo) -> Entry | None:
    path = safe_path(info.name)
    if path is None:
        return None
    kind = KINDS.get(info.type, "other")
    link = info.linkname
    if kind == "hardlink":
        link = safe_path(link) or ""
        if not link:
            return None  # a hard link to outside the image is as hostile as its name
    return Entry(
        path=path,
        kind=kind,
        size=info.size if kind == "file" else 0,
        mode=info.mode & 0o7777,
        uid=info.uid,
        gid=info.gid,
        uname=info.uname,
        gname=info.gname,
        link=link if kind in ("symlink", "hardlink") else "",
    )


def _compression(head: bytes) -> str:
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    if head.startswith(ZSTD_MAGIC):
        return "zstd"
    for magic, name in OTHER_MAGIC.items():
        if head.startswith(magic):
            raise LayerError(f"The layer is {name}-compressed; layers are tar, gzip or zstd.")
    return "none"  # plain tar; tarfile says so when it is not one


def _decompressor(compression: str, raw: Readable) -> Readable:
    if compression == "gzip":
        return gzip.GzipFile(fileobj=raw, mode="rb")
    if compression == "zstd":
        # read_across_frames: a layer may be several frames (chunked or seekable zstd).
        return zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True)
    return raw


def unreadable_message(exc: Exception, compression: str) -> str:
    # tarfile's words for a stream that stopped: nothing at all, or less than a header said.
    if isinstance(exc, EOFError) or str(exc) in ("empty file", "unexpected end of data"):
        return TRUNCATED
    what = {"gzip": "gzip-compressed tar", "zstd": "zstd-compressed tar"}.get(compression, "tar")
    return f"The layer is not a readable {what} archive."


def _read_exactly(source: Readable, size: int) -> bytes:
    data = b""
    while len(data) < size and (chunk := source.read(size - len(data))):
        data += chunk
    return data


class _Prefixed:
    """Gives back the sniffed bytes first, then the rest of the source."""

    def __init__(self, head: bytes, source: Readable) -> None:
        self._head = head
        self._source = source

    def read(self, size: int = -1) -> bytes:
        if self._head:
            take = len(self._head) if size < 0 else size
            out, self._head = self._head[:take], self._head[take:]
            return out
        return self._source.read(size)


class _Counted:
    """Counts the unpacked bytes; stops at the cap, at the header window, at the deadline.

    Reads never ask for more than the cap allows, so a gzip bomb never inflates past it in
    memory either. ``window``: where the bytes of the current header must have ended.
    """

    def __init__(self, source: Readable, *, deadline: float, cap: int) -> None:
        self._source = source
        self._deadline = deadline
        self._cap = cap
        self.window: int | None = None
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        if time.monotonic() > self._deadline:
            raise LayerLimit(
                "Reading the layer took longer than allowed.",
                setting="REGFRONT_LAYER_READ_SECONDS",
            )
        stop = self._cap if self.window is None else min(self._cap, self.window)
        room = stop - self.count + 1  # one byte more tells "at the limit" from "past it"
        size = READ_SIZE if size < 0 else size
        chunk = self._source.read(min(size, room, READ_SIZE)) if size > 0 else b""
        self.count += len(chunk)
        if self.count > self._cap:
            raise LayerLimit(
                f"The layer unpacks to more than {self._cap:,} bytes.",
                setting="REGFRONT_MAX_LAYER_UNPACKED_BYTES",
            )
        if self.count > stop:
            raise LayerError(
                f"A tar header in the layer is larger than {MAX_HEADER_BYTES:,} bytes."
            )
        return chunk
