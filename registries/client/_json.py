"""Reading JSON from registries and token servers: the one decoder, small type checks, and
timestamps. Whatever a registry sends, the result is a value or a BadResponse (a
RegistryError), never a ValueError or RecursionError for the caller to forget.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from .errors import BadResponse

_MISSING: Any = object()
# RFC 3339 with nanoseconds and an offset is 35 characters; longer is not a timestamp.
TIMESTAMP_MAX_LENGTH = 64


def _refuse_constant(name: str) -> Any:
    # NaN and Infinity are Python extensions, not JSON (RFC 8259 section 6).
    raise ValueError(f"{name} is not JSON")


def loads(body: bytes | str, *, what: str, source: str = "The registry") -> Any:
    """Decode strict JSON; unreadable bytes, bad syntax, numbers beyond Python's digit limit
    and nesting deeper than the recursion limit all become BadResponse."""
    try:
        return json.loads(body, parse_constant=_refuse_constant)
    except (ValueError, RecursionError, TypeError) as exc:  # UnicodeDecodeError is a ValueError
        raise BadResponse(f"{source} sent {what} that is not valid JSON.") from exc


def _bad(where: str, expected: str) -> BadResponse:
    return BadResponse(f"The registry sent malformed JSON ({where} is not {expected}).")


def as_dict(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _bad(where, "an object")
    return value


def as_list(value: Any, where: str = "list") -> list[Any]:
    """A list; ``null`` or absent is an empty list."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise _bad(where, "a list")
    return value


def as_str(value: Any, where: str, *, default: str = _MISSING) -> str:
    if value is None and default is not _MISSING:
        return default
    if not isinstance(value, str):
        raise _bad(where, "a string")
    return value


def opt_str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def as_int(value: Any, where: str, *, default: int = _MISSING) -> int:
    if value is None and default is not _MISSING:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad(where, "an integer")
    return value


def as_str_list(value: Any) -> list[str]:
    """Strings from a list; anything else (null, a string, numbers) is dropped."""
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list):
        return []
    return [v for v in value if isinstance(v, str)]


def as_str_dict(value: Any) -> dict[str, str]:
    """Annotations and labels: string keys to string values, anything else dropped."""
    if not isinstance(value, dict):
        return {}
    return {k: v for k, v in value.items() if isinstance(k, str) and isinstance(v, str)}


def aware_utc(value: datetime) -> datetime | None:
    """An aware UTC datetime (naive ones are taken as UTC); None for Go's zero time
    (0001-01-01, "unknown") and for times that leave datetime's range once in UTC, such as
    9999-12-31T23:59:59-23:59, which RFC 3339 allows and distribution stores."""
    if value.tzinfo is None or value.utcoffset() is None:
        value = value.replace(tzinfo=UTC)
    try:
        value = value.astimezone(UTC)
    except (OverflowError, ValueError):
        return None
    return None if value.year <= 1 else value


def as_time(value: Any) -> datetime | None:
    """An RFC 3339 timestamp (nanoseconds allowed) as aware UTC; None when absent, not a
    string, unparsable or out of range."""
    if not isinstance(value, str) or not value or len(value) > TIMESTAMP_MAX_LENGTH:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return aware_utc(parsed)
