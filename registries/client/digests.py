"""Content digests: compute and verify.

https://github.com/opencontainers/image-spec/blob/main/descriptor.md#digests
"""

from __future__ import annotations

import base64
import binascii
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

    The JWS ``protected`` header holds ``formatLength`` and ``formatTail``:
    https://distribution.github.io/distribution/spec/deprecated-schema-v1/#signed-manifests
    Unsigned or malformed manifests are returned unchanged.
    """
    try:
        signatures = json.loads(raw).get("signatures") or []
        protected = signatures[0]["protected"]
        header = json.loads(_b64url(protected))
        length = int(header["formatLength"])
        tail = _b64url(header["formatTail"])
    except (ValueError, KeyError, IndexError, TypeError, AttributeError, binascii.Error):
        return raw
    return raw[:length] + tail


def _b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
