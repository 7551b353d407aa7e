"""Reading the JSON documents artifacts carry (statements, SBOMs, provenance): hostile input
from whoever pushed them, so every reader returns plain values or raises Unreadable with a
sentence for the page, never a KeyError, TypeError or RecursionError."""

from __future__ import annotations

import json
from typing import Any

TEXT_MAX = 1000  # characters kept of any one string shown in a table cell


class Unreadable(ValueError):
    """The document cannot be shown; the message says why, for people."""


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # NaN and Infinity (RFC 8259 section 6)


def load_json(raw: bytes, *, what: str) -> Any:
    try:
        return json.loads(raw, parse_constant=_refuse_constant)
    except (ValueError, RecursionError, TypeError) as exc:  # UnicodeDecodeError is a ValueError
        raise Unreadable(f"The {what} is not valid JSON.") from exc


def obj(value: Any) -> dict[str, Any]:
    """An object, or an empty one for anything else (absent fields read as empty)."""
    return value if isinstance(value, dict) else {}


def items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def text(value: Any, *, limit: int = TEXT_MAX) -> str:
    """A string field cut to `limit`; numbers as written; anything else empty."""
    if isinstance(value, str):
        return value[:limit]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)[:limit]
    return ""


def digest_text(value: Any) -> str:
    """An in-toto DigestSet (`{"sha256": "<hex>"}`) as `sha256:<hex>`, several joined."""
    found = [f"{algorithm}:{text(hex_)}" for algorithm, hex_ in obj(value).items() if text(hex_)]
    return ", ".join(sorted(found))[:TEXT_MAX]
