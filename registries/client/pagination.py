"""``Link`` header pagination (RFC 8288), as used by ``_catalog``, ``tags/list`` and referrers.

https://distribution.github.io/distribution/spec/api/#pagination
The next URL is opaque (Quay uses cursors): follow it, never build ``last=`` ourselves.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin

MAX_PAGE_SIZE = 1000  # distribution answers 400 PAGINATION_NUMBER_INVALID above this

_LINK_RE = re.compile(r"<([^>]*)>((?:\s*;\s*[^;,]+(?:=(?:\"[^\"]*\"|[^;,]*))?)*)")
_REL_RE = re.compile(r";\s*rel\s*=\s*(?:\"([^\"]*)\"|([^;,\s]+))", re.IGNORECASE)


def next_link(header: str | None, request_url: str) -> str | None:
    """The absolute ``rel="next"`` URL, resolved against the URL that was requested."""
    if not header:
        return None
    for match in _LINK_RE.finditer(header):
        for rel in _REL_RE.finditer(match.group(2)):
            if "next" in (rel.group(1) or rel.group(2) or "").lower().split():
                return urljoin(request_url, match.group(1).strip())
    return None


def check_page_size(page_size: int) -> int:
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValueError(f"page_size must be between 1 and {MAX_PAGE_SIZE}")
    return page_size
