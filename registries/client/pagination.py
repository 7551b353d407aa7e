"""``Link`` header pagination (RFC 8288), as used by ``_catalog``, ``tags/list`` and referrers.

https://distribution.github.io/distribution/spec/api/#pagination
The next URL is opaque (Quay uses cursors): follow it, never build ``last=`` ourselves.
A registry decides how many pages there are, so every listing runs under a ListingBudget:
a page count and a total deadline (transport.Limits), whatever the registry keeps sending.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from urllib.parse import urljoin

from . import errors

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


class ListingTooLong(errors.Timeout):
    """A listing did not end within its page budget or its deadline (a 504, like a timeout)."""

    default_message = "The registry's list did not end in time; regfront stopped following it."


@dataclass
class ListingBudget:
    """How far one listing may go. ``check`` each page's URL before asking for it."""

    what: str  # "catalog", "tag list": for the message people read
    max_pages: int
    seconds: float
    started: float = field(default_factory=time.monotonic)
    pages: int = 0
    names: int = 0  # what the pages so far listed, for the message
    _seen: set[str] = field(default_factory=set, repr=False)

    @property
    def deadline(self) -> float:
        """The time.monotonic() by which the whole listing must end."""
        return self.started + self.seconds

    def expired(self) -> bool:
        return time.monotonic() >= self.deadline

    def check(self, url: str) -> None:
        """Count one more page, or raise: a link back to a page already seen is broken, more
        pages than the budget or time past the deadline is too long to follow."""
        if url in self._seen:
            raise errors.BadResponse("The registry's pagination never ends.")
        if self.pages >= self.max_pages:
            raise ListingTooLong(
                f"The registry's {self.what} did not end within {self.max_pages:,} pages "
                f"({self.names:,} names so far); regfront stopped following it."
            )
        if self.expired():
            raise self.too_slow()
        self._seen.add(url)
        self.pages += 1

    def too_slow(self) -> ListingTooLong:
        return ListingTooLong(
            f"The registry's {self.what} did not end within {self.seconds:g} seconds "
            f"({self.pages:,} pages, {self.names:,} names so far); regfront stopped following it."
        )
