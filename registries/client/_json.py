"""Small type checks for JSON from registries: wrong shapes become BadResponse."""

from __future__ import annotations

from typing import Any

from .errors import BadResponse

_MISSING: Any = object()


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
