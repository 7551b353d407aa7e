"""What a file is, from its first bytes: text (UTF-8) or a binary type by magic numbers.

A small table instead of libmagic: the types people meet in images. Plain Python.
"""

from __future__ import annotations

import codecs
import re
import struct
from dataclasses import dataclass

# (magic, offset, description); the first match wins, so longer magics come first.
MAGIC: list[tuple[bytes, int, str]] = [
    (b"\x89PNG\r\n\x1a\n", 0, "PNG image"),
    (b"\xff\xd8\xff", 0, "JPEG image"),
    (b"GIF87a", 0, "GIF image"),
    (b"GIF89a", 0, "GIF image"),
    (b"RIFF", 0, "RIFF data (WebP, WAV or AVI)"),
    (b"%PDF-", 0, "PDF document"),
    (b"\x1f\x8b", 0, "gzip-compressed data"),
    (b"\x28\xb5\x2f\xfd", 0, "zstd-compressed data"),
    (b"\xfd7zXZ\x00", 0, "xz-compressed data"),
    (b"BZh", 0, "bzip2-compressed data"),
    (b"7z\xbc\xaf\x27\x1c", 0, "7-zip archive"),
    (b"PK\x03\x04", 0, "zip archive (also jar, wheel, apk)"),
    (b"PK\x05\x06", 0, "zip archive (empty)"),
    (b"ustar", 257, "tar archive"),
    (b"!<arch>\n", 0, "ar archive (static library or .deb)"),
    (b"\xed\xab\xee\xdb", 0, "RPM package"),
    (b"\xca\xfe\xba\xbe", 0, "Java class file or Mach-O universal binary"),
    (b"\xcf\xfa\xed\xfe", 0, "Mach-O 64-bit executable"),
    (b"MZ", 0, "Windows (PE/DOS) executable"),
    (b"\x00asm", 0, "WebAssembly module"),
    (b"SQLite format 3\x00", 0, "SQLite database"),
    (b"wOFF", 0, "WOFF font"),
    (b"wOF2", 0, "WOFF2 font"),
    (b"\x00\x01\x00\x00\x00", 0, "TrueType font"),
    (b"OTTO", 0, "OpenType font"),
]
# https://refspecs.linuxfoundation.org/elf/gabi4+/ch4.eheader.html
ELF_MAGIC = b"\x7fELF"
ELF_TYPES = {1: "relocatable", 2: "executable", 3: "shared object", 4: "core file"}
ELF_MACHINES = {
    3: "x86",
    8: "MIPS",
    20: "PowerPC",
    21: "PowerPC64",
    22: "s390x",
    40: "ARM",
    62: "x86-64",
    183: "AArch64",
    243: "RISC-V",
    258: "LoongArch",
}
# Controls text never holds (it may hold tab, newlines, form feed and escape): binary.
NOT_TEXT = re.compile(r"[\x00-\x08\x0e-\x1a\x1c-\x1f]")


@dataclass(frozen=True)
class Kind:
    text: str | None  # the decoded text, when it is UTF-8 text
    description: str  # "UTF-8 text", "ELF 64-bit LSB executable, x86-64", "binary data"


def file_kind(head: bytes, *, complete: bool) -> Kind:
    """Read ``head`` (a file's first bytes; ``complete`` when it is the whole file)."""
    if not head:
        return Kind("", "empty")
    binary = _binary_type(head)
    if binary:
        return Kind(None, binary)
    text = _utf8(head, complete=complete)
    if text is None or NOT_TEXT.search(text):
        return Kind(None, "binary data (not UTF-8 text)")
    if text.startswith("#!"):
        interpreter = text[2:].split("\n", 1)[0].strip()[:100]
        return Kind(text, f"script ({interpreter})" if interpreter else "script")
    return Kind(text, "UTF-8 text")


def _binary_type(head: bytes) -> str | None:
    if head.startswith(ELF_MAGIC):
        return _elf(head)
    for magic, offset, description in MAGIC:
        if head[offset : offset + len(magic)] == magic:
            return description
    return None


def _elf(head: bytes) -> str:
    if len(head) < 20 or head[4] not in (1, 2) or head[5] not in (1, 2):
        return "ELF file"
    bits = "32-bit" if head[4] == 1 else "64-bit"
    order = "<" if head[5] == 1 else ">"
    kind, machine = struct.unpack_from(f"{order}HH", head, 16)
    parts = [f"ELF {bits} {'LSB' if order == '<' else 'MSB'} {ELF_TYPES.get(kind, 'file')}"]
    if machine in ELF_MACHINES:
        parts.append(ELF_MACHINES[machine])
    return ", ".join(parts)


def _utf8(head: bytes, *, complete: bool) -> str | None:
    """The text, or None when it is not UTF-8; a cut-off last character is dropped."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
    try:
        return decoder.decode(head, final=complete)
    except UnicodeDecodeError:
        return None
