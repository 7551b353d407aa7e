"""Turn a registry's error response into a domain error from errors.py.

Error codes: https://github.com/opencontainers/distribution-spec/blob/main/spec.md#error-codes
and https://distribution.github.io/distribution/spec/api/#errors
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import requests
import urllib3

from . import errors
from ._json import loads
from .auth import parse_challenges
from .errors import NotFoundWhat

NOT_FOUND_CODES: dict[str, NotFoundWhat] = {
    "NAME_UNKNOWN": "repository",
    "MANIFEST_UNKNOWN": "manifest",
    "BLOB_UNKNOWN": "blob",
}
_CODE_RE = re.compile(r"[A-Z][A-Z0-9_]{0,63}")


def error_codes(body: bytes) -> list[str]:
    """Codes from ``{"errors": [{"code": "..."}]}``; [] when the body is anything else."""
    try:
        data = loads(body, what="an error body")
    except errors.BadResponse:
        return []
    items = data.get("errors") if isinstance(data, dict) else None
    if not isinstance(items, list):
        return []
    codes = (item.get("code") for item in items if isinstance(item, dict))
    return [c for c in codes if isinstance(c, str) and _CODE_RE.fullmatch(c)]


def retry_after_seconds(value: str | None) -> int | None:
    """``Retry-After`` as delay-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return int(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0, int((when - datetime.now(UTC)).total_seconds()))


_QUOTA_RE = re.compile(r"\s*(\d{1,12})\s*(?:;\s*w\s*=\s*(\d{1,12}))?")


def _quota(value: str | None) -> tuple[int, int | None] | None:
    """``100;w=21600`` (Docker Hub's RateLimit-Limit / -Remaining) → (100, 21600)."""
    match = _QUOTA_RE.match(value or "")
    if not match:
        return None
    return int(match[1]), int(match[2]) if match[2] else None


def _duration(seconds: int) -> str:
    for unit, size in (("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} seconds"


def rate_limit_message(headers: Mapping[str, str], retry_after: int | None) -> str:
    """Say what the registry said: Docker Hub's pull quota and when to try again.

    https://docs.docker.com/docker-hub/usage/pulls/ (RateLimit-Limit, RateLimit-Remaining)
    """
    facts = []
    limit = _quota(headers.get("RateLimit-Limit"))
    remaining = _quota(headers.get("RateLimit-Remaining"))
    if limit:
        window = f" per {_duration(limit[1])}" if limit[1] else ""
        facts.append(f"limit {limit[0]}{window}")
    if remaining:
        facts.append(f"{remaining[0]} left")
    text = "The registry is rate limiting requests"
    if facts:
        text += f" ({', '.join(facts)})"
    if retry_after:
        return f"{text}; try again in {_duration(retry_after)}."
    return f"{text}; try again later."


def error_for(
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    *,
    not_found: NotFoundWhat = "page",
) -> errors.RegistryError:
    codes = error_codes(body)
    code_note = f" ({codes[0]})" if codes else ""
    if status == 429 or "TOOMANYREQUESTS" in codes:
        retry_after = retry_after_seconds(headers.get("Retry-After"))
        return errors.TooManyRequests(
            rate_limit_message(headers, retry_after), retry_after=retry_after, status=status
        )
    if status == 403 or "DENIED" in codes:
        return errors.Denied(status=status)
    if status == 405 or "UNSUPPORTED" in codes:
        return errors.Unsupported(status=status)
    if status == 401 or "UNAUTHORIZED" in codes:
        return errors.Unauthorized(status=status)
    known = [NOT_FOUND_CODES[c] for c in codes if c in NOT_FOUND_CODES]
    if status == 404 or known:
        return errors.NotFound(what=known[0] if known else not_found, status=status)
    if status >= 500:
        return errors.BadResponse(
            f"The registry failed with HTTP {status}{code_note}.", status=status
        )
    return errors.BadResponse(f"The registry answered HTTP {status}{code_note}.", status=status)


def unauthorized_error(
    headers: Mapping[str, str], body: bytes, *, anonymous: bool
) -> errors.RegistryError:
    """A 401 that survived the auth retry: too little scope is Denied, else Unauthorized."""
    challenges = parse_challenges(headers.get("WWW-Authenticate", ""))
    if "DENIED" in error_codes(body) or any(c.error == "insufficient_scope" for c in challenges):
        return errors.Denied(status=401)
    if anonymous:
        return errors.Unauthorized("The registry requires a username and password.")
    return errors.Unauthorized(status=401)


def error_for_exception(
    exc: requests.RequestException | urllib3.exceptions.HTTPError,
) -> errors.RegistryError:
    """Map requests' errors (sending) and urllib3's (reading the body) to ours."""
    if isinstance(exc, requests.exceptions.SSLError | urllib3.exceptions.SSLError):
        return errors.TLSError()
    if isinstance(exc, requests.exceptions.Timeout | urllib3.exceptions.TimeoutError):
        return errors.Timeout()
    cut_off = (
        requests.exceptions.ChunkedEncodingError,
        requests.exceptions.ContentDecodingError,
        urllib3.exceptions.ProtocolError,
        urllib3.exceptions.DecodeError,
    )
    if isinstance(exc, cut_off):
        return errors.BadResponse("The registry's response was cut off or corrupt.")
    if isinstance(exc, requests.exceptions.InvalidURL | requests.exceptions.InvalidSchema):
        return errors.Unreachable("The registry URL could not be used.")
    return errors.Unreachable()
