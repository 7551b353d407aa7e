"""One file of an image: which layer holds its data, a preview of its first bytes, and a
download that streams it out of that layer.

The data of a path is in the topmost layer that wrote it (the merged tree says which); a
hard link's is its target's, normally earlier in the same layer's tar, else in the topmost
lower layer holding the target. Previews are cached by the layers' digests and the path:
content addressed, so a kept one is never stale. Typed keyword-only services.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

from django.conf import settings

from registries.client import errors
from registries.contents.layers import Entry, LayerError, LayerLimit, Limits
from registries.contents.magic import Kind, file_kind
from registries.contents.member import CHANGED, MemberStream, open_member
from registries.contents.services import ImageFiles, LayerRow, layer_entries
from registries.models import Registry
from registries.services.cache import get_or_compute, make_key
from registries.services.clients import client_for

READ_SECONDS = "REGFRONT_LAYER_READ_SECONDS"
MAX_LINK_HOPS = 8  # a hard link to a hard link: tar writers never chain, hostile tars may


@dataclass(frozen=True)
class FileSource:
    layer: LayerRow
    path: str  # the member holding the data: a hard link's target
    occurrence: int  # which copy of that name in the layer's tar (0: the first)
    size: int


@dataclass(frozen=True)
class Preview:
    size: int
    kind: Kind | None  # None when it could not be read
    read: int = 0  # bytes looked at: all of a small file, the first ones of a big one
    error: str = ""
    limit: str = ""  # the setting that stopped the read

    @property
    def cut(self) -> bool:
        return self.read < self.size


class FileUnreadable(Exception):
    """The file cannot be read out of its layer; the message is safe to show."""

    def __init__(self, message: str, *, limit: str = "") -> None:
        super().__init__(message)
        self.limit = limit


def file_source(*, files: ImageFiles, path: str) -> FileSource | None:
    """Where the data of ``path`` is; None unless it is a regular file or a hard link."""
    assert files.tree is not None
    node = files.tree.nodes.get(path)
    if node is None or node.entry is None or node.kind not in ("file", "hardlink"):
        return None
    index = node.layer
    entries = layer_entries(listing=files.layers[index].listing)
    position = _last(entries, path, len(entries))
    for _hop in range(MAX_LINK_HOPS + 1):
        if position is None:
            return None
        entry = entries[position]
        if entry.kind == "file":
            occurrence = sum(1 for e in entries[:position] if e.path == entry.path)
            return FileSource(files.layers[index], entry.path, occurrence, entry.size)
        if entry.kind != "hardlink":
            return None
        target = entry.link
        position = _last(entries, target, position)
        while position is None and index > 0:  # the target is in a lower layer
            index -= 1
            entries = layer_entries(listing=files.layers[index].listing)
            position = _last(entries, target, len(entries))
    return None


def file_preview(*, registry: Registry, repository: str, files: ImageFiles, path: str) -> Preview:
    """The first REGFRONT_FILE_PREVIEW_BYTES of the file, described; why not, when not."""
    assert files.tree is not None
    node = files.tree.nodes[path]
    below = tuple(row.listing.digest for row in files.layers[: node.layer + 1])
    cap = settings.REGFRONT_FILE_PREVIEW_BYTES
    key = make_key("file-preview", registry.pk, below, path, cap)
    try:
        return get_or_compute(key, lambda: _preview(registry, repository, files, path, cap))
    except FileUnreadable as exc:
        return Preview(files.tree.size_of(node), None, error=str(exc), limit=exc.limit)


def _preview(registry: Registry, repository: str, files: ImageFiles, path: str, cap: int):
    seconds = min(settings.REGFRONT_LAYER_READ_SECONDS, settings.REGFRONT_PAGE_DEADLINE)
    shorter = seconds < settings.REGFRONT_LAYER_READ_SECONDS
    source = _source(files, path)
    with _member_of(
        registry,
        repository,
        source,
        seconds=seconds,
        time_limit="REGFRONT_PAGE_DEADLINE" if shorter else READ_SECONDS,
    ) as member:
        head = member.head(cap)
    return Preview(source.size, file_kind(head, complete=len(head) == source.size), len(head))


@dataclass(frozen=True)
class Download:
    """The file's bytes as an iterable for a streaming response; close() ends the read (the
    response calls it, also when the client leaves early)."""

    size: int
    member: MemberStream
    stack: ExitStack

    def __iter__(self) -> Iterator[bytes]:
        try:
            yield from self.member.chunks()
        finally:
            self.close()

    def close(self) -> None:
        self.stack.close()


def file_download(*, registry: Registry, repository: str, files: ImageFiles, path: str) -> Download:
    """The file's data, read up to its start: what fails before the first byte raises here
    (a registry error, FileUnreadable); what fails later cuts the stream short."""
    source = _source(files, path)
    stack = ExitStack()
    member = stack.enter_context(
        _member_of(registry, repository, source, seconds=settings.REGFRONT_LAYER_READ_SECONDS)
    )
    return Download(source.size, member, stack)


def _source(files: ImageFiles, path: str) -> FileSource:
    source = file_source(files=files, path=path)
    if source is None:
        raise FileUnreadable(CHANGED)
    return source


@contextmanager
def _member_of(
    registry: Registry,
    repository: str,
    source: FileSource,
    *,
    seconds: float,
    time_limit: str = READ_SECONDS,
) -> Iterator[MemberStream]:
    """The source's layer blob, read up to the member's data; failures while it is open
    become FileUnreadable, or stay registry errors (a 502 or 504 naming the registry)."""
    deadline = time.monotonic() + seconds
    limits = Limits(
        max_unpacked_bytes=settings.REGFRONT_MAX_LAYER_UNPACKED_BYTES,
        max_entries=settings.REGFRONT_MAX_LAYER_ENTRIES,
        deadline=deadline,
    )
    try:
        with (
            client_for(registry).blob_stream(
                repository,
                source.layer.descriptor.digest,
                max_bytes=settings.REGFRONT_MAX_LAYER_BYTES,
                seconds=seconds,
            ) as blob,
            open_member(
                blob,
                path=source.path,
                occurrence=source.occurrence,
                size=source.size,
                limits=limits,
            ) as member,
        ):
            yield member
    except (LayerError, errors.RegistryError) as exc:
        unreadable = _unreadable(exc, deadline=deadline, time_limit=time_limit)
        if unreadable is None:
            raise
        raise unreadable from exc


def _unreadable(exc: Exception, *, deadline: float, time_limit: str) -> FileUnreadable | None:
    if isinstance(exc, LayerLimit):
        return FileUnreadable(str(exc), limit=_named(exc, time_limit))
    if isinstance(exc, LayerError):
        return FileUnreadable(str(exc))
    if isinstance(exc, errors.TooLarge):
        return FileUnreadable(
            "The layer blob is larger than allowed.", limit="REGFRONT_MAX_LAYER_BYTES"
        )
    if isinstance(exc, errors.DigestMismatch):
        return FileUnreadable(exc.user_message)
    if isinstance(exc, errors.Timeout) and time.monotonic() >= deadline:
        return FileUnreadable("Reading the layer took longer than allowed.", limit=time_limit)
    return None


def _named(exc: LayerLimit, time_limit: str) -> str:
    """The setting to name: a page's read is bounded by the page's deadline when shorter."""
    return time_limit if exc.setting == READ_SECONDS else exc.setting


def _last(entries: list[Entry], path: str, before: int) -> int | None:
    """The position of the last entry named ``path`` before ``before``."""
    for position in range(before - 1, -1, -1):
        if entries[position].path == path:
            return position
    return None
