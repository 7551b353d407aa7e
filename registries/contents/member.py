"""One file read out of a layer blob as a stream: the tar is read header by header up to
the member, whose data is then handed out in chunks; nothing is extracted or kept. Plain
Python, on the same stream readers and limits as the listing (registries/contents/layers.py).

The read stops once the member's data is out, so the blob's digest (which covers the whole
blob) is not checked here: the member's header is checked against the stored listing, which
was read whole and verified.
"""

from __future__ import annotations

import tarfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import zstandard

from registries.contents.layers import (
    MAX_HEADER_BYTES,
    READ_SIZE,
    LayerError,
    LayerLimit,
    Limits,
    Readable,
    safe_path,
    unpacked_tar,
    unreadable_message,
)

if TYPE_CHECKING:
    from registries.contents.layers import _Counted

FILE_TYPES = (tarfile.REGTYPE, tarfile.AREGTYPE, tarfile.CONTTYPE)
READ_ERRORS = (tarfile.TarError, EOFError, OSError, zlib.error, zstandard.ZstdError)
CHANGED = "The layer no longer matches its listing."


class MemberStream:
    """The member's data: ``size`` bytes, read in chunks of at most ``READ_SIZE``."""

    def __init__(self, data: Readable, size: int, compression: str) -> None:
        self._data = data
        self.size = size
        self._compression = compression

    def chunks(self, limit: int | None = None) -> Iterator[bytes]:
        """The data, or its first ``limit`` bytes."""
        left = self.size if limit is None else min(limit, self.size)
        while left > 0:
            try:
                chunk = self._data.read(min(left, READ_SIZE))
            except READ_ERRORS as exc:
                raise LayerError(unreadable_message(exc, self._compression)) from exc
            if not chunk:
                raise LayerError(CHANGED)  # tarfile ended the member before its size
            left -= len(chunk)
            yield chunk

    def head(self, limit: int) -> bytes:
        return b"".join(self.chunks(limit))


@contextmanager
def open_member(
    source: Readable, *, path: str, occurrence: int, size: int, limits: Limits
) -> Iterator[MemberStream]:
    """The data of the regular file ``path`` in the layer, its ``occurrence``-th copy (a tar
    may hold a name twice; the last one counts). ``size`` is what the listing says it holds:
    another size means another blob, refused."""
    compression, unpacked = unpacked_tar(source, limits)
    try:
        with tarfile.open(fileobj=unpacked, mode="r|") as tar:
            info = _find(tar, unpacked, path=path, occurrence=occurrence, limits=limits)
            if info.type not in FILE_TYPES or info.size != size:
                raise LayerError(CHANGED)
            data = tar.extractfile(info)
            assert data is not None  # a regular file always has data
            yield MemberStream(data, info.size, compression)
    except READ_ERRORS as exc:
        raise LayerError(unreadable_message(exc, compression)) from exc


def _find(
    tar: tarfile.TarFile, unpacked: _Counted, *, path: str, occurrence: int, limits: Limits
) -> tarfile.TarInfo:
    unpacked.window = MAX_HEADER_BYTES
    seen = entries = 0
    while (info := tar.next()) is not None:
        tar.members.clear()  # stream mode keeps every header otherwise
        entries += 1
        if entries > limits.max_entries:
            raise LayerLimit(
                f"The layer has more than {limits.max_entries:,} entries.",
                setting="REGFRONT_MAX_LAYER_ENTRIES",
            )
        # As in the listing: this member's data, then at most one more header.
        unpacked.window = unpacked.count + info.size + tarfile.RECORDSIZE + MAX_HEADER_BYTES
        if safe_path(info.name) == path:
            if seen == occurrence:
                return info
            seen += 1
    raise LayerError(CHANGED)
