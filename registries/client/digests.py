"""Content digests: compute and verify.

https://github.com/opencontainers/image-spec/blob/main/descriptor.md#digests
"""

from __future__ import annotations

import base64
import hashlib
import json

from .errors import DigestMismatch
from .reference import InvalidReference, is_digest, parse_digest

__all__ = ["compute", "is_digest", "schema1_payload", "verify"]

SUPPORTED_ALGORITHMS = ("sha256", "sha384", "sha512")
DEFAULT_ALGORITHM = "sha256"


def compute(data: bytes, algorithm: str = DEFAULT_ALGORITHM) -> str:
    if algorithm not in SUPPORTED_ALGORITHMS:
        raise InvalidReference(f"Unsupported digest algorithm {algorithm!r}.")
    return f"{algorithm}:{hashlib.new(algorithm, data).hexdigest()}"


def verify(expected: str, data: bytes, *, what: str = "content") -> str:
    """Return ``expected`` if ``data`` hashes to it, else raise DigestMismatch."""
    algorithm = parse_digest(expected).split(":", 1)[0]
    if compute(data, algorithm) != expected:
        raise DigestMismatch(f"The {what} does not match its digest.")
    return expected


def schema1_payload(raw: bytes) -> bytes:
    """The bytes a signed schema 1 manifest's digest covers (signatures removed).

    The JWS ``protected`` header says where that payload ends (``formatLength``) and how it
    closes (``formatTail``):
    https://distribution.github.io/distribution/spec/deprecated-schema-v1/#signed-manifests
    The header is the sender's word, so it is checked: the payload must read as exactly the
    manifest without its ``signatures`` (same keys, same values, same JSON types), and no
    object may hold a key twice. So a payload that hashes to some digest shows what that
    digest names, never content of the sender's choosing. Otherwise (and for unsigned or
    malformed manifests) the raw bytes are returned, which another manifest's digest does
    not match.
    """
    try:
        manifest = json.loads(raw, object_pairs_hook=_unique_keys)
        protected = manifest["signatures"][0]["protected"]
        header = json.loads(_b64url(protected))
        length = int(header["formatLength"])
        tail = _b64url(header["formatTail"])
    except (ValueError, KeyError, IndexError, TypeError, AttributeError, RecursionError):
        return raw  # binascii.Error and UnicodeDecodeError are ValueErrors
    if not 0 < length <= len(raw) or not raw.endswith(tail):
        return raw
    payload = raw[:length] + tail
    try:
        unsigned = json.loads(payload, object_pairs_hook=_unique_keys)
    except (ValueError, RecursionError):
        return raw
    expected = {key: value for key, value in manifest.items() if key != "signatures"}
    return payload if _same_json(unsigned, expected) else raw


def _same_json(left: object, right: object) -> bool:
    # Not ==: Python holds true == 1 == 1.0, JSON does not. NaN never matches anything.
    try:
        return _canonical(left) == _canonical(right)
    except (ValueError, RecursionError):
        return False


def _canonical(value: object) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, allow_nan=False)


def _unique_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    # With a key given twice, what is hashed and what is shown could differ.
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ValueError("a key appears twice")
    return result


def _b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
