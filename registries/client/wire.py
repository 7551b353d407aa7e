"""What the transport and the auth flow share: a reply as read, and a URL's origin.

A leaf module (no imports from this package), so neither side imports the other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class Reply:
    status: int
    headers: Mapping[str, str]  # case-insensitive
    body: bytes
    url: str  # after redirects
    # The open response of a streamed 200 (Transport.send(stream=True)); its body is unread.
    stream: Any = field(default=None, repr=False, compare=False)


def origin(url: str) -> tuple[str, str, int | None]:
    """Scheme, lowercase host and port (default filled in): RFC 6454 section 4.
    https://www.rfc-editor.org/rfc/rfc6454#section-4
    """
    parts = urlsplit(url)
    return (
        parts.scheme,
        (parts.hostname or "").lower(),
        parts.port or DEFAULT_PORTS.get(parts.scheme),
    )
