"""A layer's entries as stored: one zlib-compressed JSON array of arrays per layer.

One column read and one json.loads bring back 200,000 entries; repeated owners and
directory prefixes compress well, so a big layer costs a few MB, not a row per file.
"""

import json
import zlib

from registries.contents.layers import Entry

LEVEL = 6


def entries_pack(entries: list[Entry]) -> bytes:
    return zlib.compress(json.dumps(entries, separators=(",", ":")).encode(), LEVEL)


def entries_unpack(data: bytes) -> list[Entry]:
    return [Entry(*row) for row in json.loads(zlib.decompress(data))]
