"""Reading a layer as a stream: gzip, zstd and plain tar told apart by their magic bytes,
every kind of entry, and hostile layers stopped with a message that names the limit."""

import gzip
import io
import tarfile
import time

import pytest

from registries.contents.codec import entries_pack, entries_unpack
from registries.contents.layers import Entry, LayerError, LayerLimit, Limits, list_layer, safe_path
from tests.contents.build import Member, d, f, gz, hard, sym, tar_bytes, whiteout, zst

MEMBERS = [
    d("etc"),
    f("etc/hosts", b"127.0.0.1 localhost\n", uid=0),
    f("./usr/bin/tool", b"#!/bin/sh\n", mode=0o4755, uid=1000, gid=1000, uname="app", gname="app"),
    sym("usr/bin/link", "/usr/bin/tool"),
    hard("usr/bin/again", "usr/bin/tool"),
    Member("dev/pipe", "fifo"),
    whiteout("var/old"),
]
EXPECTED = [
    Entry("etc", "dir", 0, 0o755, 0, 0, "root", "root", ""),
    Entry("etc/hosts", "file", 20, 0o644, 0, 0, "root", "root", ""),
    Entry("usr/bin/tool", "file", 10, 0o4755, 1000, 1000, "app", "app", ""),
    Entry("usr/bin/link", "symlink", 0, 0o777, 0, 0, "root", "root", "/usr/bin/tool"),
    Entry("usr/bin/again", "hardlink", 0, 0o644, 0, 0, "root", "root", "usr/bin/tool"),
    Entry("dev/pipe", "other", 0, 0o644, 0, 0, "root", "root", ""),
    Entry("var/.wh.old", "file", 0, 0o644, 0, 0, "root", "root", ""),
]


def limits(*, unpacked: int = 1 << 30, entries: int = 10_000, seconds: float = 30) -> Limits:
    return Limits(
        max_unpacked_bytes=unpacked, max_entries=entries, deadline=time.monotonic() + seconds
    )


class Source:
    """A blob arriving in small pieces, as from the network; counts what was read."""

    def __init__(self, data: bytes, piece: int = 4096) -> None:
        self._data, self._piece, self.read_bytes = data, piece, 0

    def read(self, size: int = -1) -> bytes:
        size = self._piece if size < 0 else min(size, self._piece)
        chunk = self._data[self.read_bytes : self.read_bytes + size]
        self.read_bytes += len(chunk)
        return chunk


@pytest.mark.parametrize(("compress", "name"), [(gz, "gzip"), (zst, "zstd"), (lambda b: b, "none")])
def test_it_lists_every_kind_of_entry_whatever_the_compression(compress, name):
    blob = compress(tar_bytes(MEMBERS))
    source = Source(blob)
    listing = list_layer(source, limits())
    assert listing.compression == name
    assert listing.entries == EXPECTED
    assert listing.refused == []
    assert source.read_bytes == len(blob)  # read to the end: the digest covers it all


def test_it_reads_old_ustar_and_gnu_tars_too():
    for fmt in (tarfile.USTAR_FORMAT, tarfile.GNU_FORMAT):
        listing = list_layer(Source(gz(tar_bytes(MEMBERS, fmt=fmt))), limits())
        assert [e.path for e in listing.entries] == [e.path for e in EXPECTED]


def test_concatenated_gzip_members_and_zstd_frames_are_one_layer():
    tar = tar_bytes(MEMBERS)
    half = len(tar) // 2
    for blob in (gz(tar[:half]) + gz(tar[half:]), zst(tar[:half]) + zst(tar[half:])):
        assert list_layer(Source(blob), limits()).entries == EXPECTED


def test_names_that_leave_the_image_are_refused_and_never_used():
    members = [
        f("../../etc/passwd", b"x"),
        f("/etc/shadow", b"x"),
        f("a/../../b", b"x"),
        f("ok/file", b"x"),
        hard("ok/link", "../../outside"),
        sym("ok/sym", "../../anything"),  # a symlink's target is only shown
    ]
    listing = list_layer(Source(gz(tar_bytes(members))), limits())
    assert [e.path for e in listing.entries] == ["ok/file", "ok/sym"]
    assert listing.entries[1].link == "../../anything"
    assert listing.refused == ["../../etc/passwd", "/etc/shadow", "a/../../b", "ok/link"]
    assert listing.refused_count == 4


def test_safe_path_normalises_without_resolving():
    assert safe_path("./usr//bin/./sh") == "usr/bin/sh"
    assert safe_path("usr/bin/") == "usr/bin"
    assert safe_path(".") == ""
    assert safe_path("a/../b") is None
    assert safe_path("/abs") is None


def test_a_gzip_bomb_stops_at_the_unpacked_cap_without_inflating_it():
    bomb = gzip.compress(b"\0" * (256 * 1024 * 1024), compresslevel=9)
    assert len(bomb) < 300_000  # small blob, huge output
    started = time.monotonic()
    with pytest.raises(LayerLimit) as caught:
        list_layer(Source(bomb, piece=65536), limits(unpacked=8 * 1024 * 1024))
    assert caught.value.setting == "REGFRONT_MAX_LAYER_UNPACKED_BYTES"
    assert "unpacks to more than 8,388,608 bytes" in str(caught.value)
    assert time.monotonic() - started < 2


def test_a_file_too_big_to_unpack_is_the_same_limit():
    blob = gz(tar_bytes([f("big", b"\0" * 2_000_000)]))
    with pytest.raises(LayerLimit, match="unpacks to more than"):
        list_layer(Source(blob), limits(unpacked=1_000_000))


def test_too_many_entries_stop_at_the_entry_limit():
    blob = gz(tar_bytes([f(f"f{i}") for i in range(101)]))
    with pytest.raises(LayerLimit) as caught:
        list_layer(Source(blob), limits(entries=100))
    assert caught.value.setting == "REGFRONT_MAX_LAYER_ENTRIES"
    assert str(caught.value) == "The layer has more than 100 entries."
    assert len(list_layer(Source(blob), limits(entries=101)).entries) == 101


def test_it_stops_at_the_deadline():
    blob = gz(tar_bytes(MEMBERS))
    with pytest.raises(LayerLimit) as caught:
        list_layer(Source(blob), limits(seconds=-1))
    assert caught.value.setting == "REGFRONT_LAYER_READ_SECONDS"


def test_a_header_larger_than_a_mebibyte_is_refused_before_it_is_held():
    blob = gz(tar_bytes([f("x" * 3_000_000, b"data")]))  # a PAX path of 3 MB
    with pytest.raises(LayerError, match="tar header in the layer is larger than 1,048,576"):
        list_layer(Source(blob), limits())


@pytest.mark.parametrize("compress", [gz, zst, lambda b: b])
def test_a_truncated_layer_says_so(compress):
    whole = compress(tar_bytes([f("a", b"x" * 5000), f("b", b"y" * 5000)]))
    with pytest.raises(LayerError, match="truncated"):
        list_layer(Source(whole[: len(whole) // 2]), limits())


def test_a_tar_without_its_end_marker_is_truncated():
    tar = tar_bytes([f("a", b"x" * 600)])
    cut = tarfile.BLOCKSIZE * 3  # header and data of `a`, no zero blocks after
    with pytest.raises(LayerError, match="truncated"):
        list_layer(Source(tar[:cut]), limits())


@pytest.mark.parametrize(
    ("blob", "message"),
    [
        (b"BZh91AY&SY" + b"\0" * 100, "bzip2-compressed"),
        (b"\xfd7zXZ\x00" + b"\0" * 100, "xz-compressed"),
        (b"<html>not a layer</html>" * 40, "not a readable tar archive"),
        (b"", "ends too soon"),
        (b"\x1f\x8b" + b"garbage" * 20, "not a readable gzip-compressed tar archive"),
    ],
)
def test_what_is_not_a_layer_says_what_it_is(blob, message):
    with pytest.raises(LayerError, match=message):
        list_layer(io.BytesIO(blob), limits())


def test_stored_entries_come_back_the_same_and_compact():
    entries = [
        Entry(f"usr/share/doc/pkg-{i}/copyright", "file", i, 0o644, 0, 0, "root", "root", "")
        for i in range(200_000)
    ]
    packed = entries_pack(entries)
    assert len(packed) < 4 * 1024 * 1024
    assert entries_unpack(packed) == entries
