"""Distribution's notification envelopes, parsed into the events regfront keeps.

Envelope and event format: https://distribution.github.io/distribution/about/notifications/
Whatever an event holds is either turned into a form the database takes or the event is
ignored: a 500 would make distribution resend the whole batch forever.
"""

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from registries.client import media_types as mt
from registries.client._json import as_time
from registries.client.reference import (
    InvalidReference,
    is_valid_repository,
    is_valid_tag,
    parse_digest,
)
from registries.history.pulls import counts_pull
from registries.models import RegistryEvent

EVENT_ID_MAX = RegistryEvent._meta.get_field("event_id").max_length
TEXT_MAX = 255
SIZE_MAX = 2**63 - 1  # the BigIntegerField (and the image spec's int64)
# A registry's clock may run a little ahead; an event from further in the future would sit
# on top of every list of pushes, so it gets the time it was received instead.
CLOCK_SKEW_MAX = timedelta(days=1)
# Pushes of these are manifests (tags and digests people see); blob pushes are ignored.
MANIFEST_TYPES = mt.INDEX_TYPES | mt.IMAGE_MANIFEST_TYPES | mt.SCHEMA1_TYPES
Action = RegistryEvent.Action


class EnvelopeError(ValueError):
    """The body is not a notification envelope."""


@dataclass(frozen=True)
class ParsedEvent:
    event_id: str
    action: str
    repository: str
    tag: str
    digest: str
    media_type: str
    size: int | None
    actor: str
    source: str
    client_addr: str
    occurred_at: datetime


def _storable(text: str) -> str:
    """Text every database takes: PostgreSQL refuses NUL, and lone surrogates (JSON allows
    "\\ud800") cannot be encoded as UTF-8."""
    return text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")


def _text(value: object, limit: int = TEXT_MAX) -> str:
    return _storable(value[:limit]) if isinstance(value, str) else ""


def _dict(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def _timestamp(value: object) -> datetime:
    """RFC 3339 (nanoseconds allowed) as UTC; the time of receipt when missing, unreadable,
    out of range in UTC, or more than CLOCK_SKEW_MAX ahead."""
    now = timezone.now()
    parsed = as_time(value)
    return parsed if parsed is not None and parsed <= now + CLOCK_SKEW_MAX else now


def _size(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 0 <= value <= SIZE_MAX else None


def _digest(value: object) -> str | None:
    """The digest; an empty string when absent, None when present but invalid."""
    if value in (None, ""):
        return ""
    try:
        return parse_digest(value) if isinstance(value, str) else None
    except InvalidReference:
        return None


def parse_event(data: object) -> ParsedEvent | None:
    """A push or pull of a manifest, or a delete; None for everything else (HEADs and
    regfront's own reads reported as pulls, mounts, blobs, events with invalid names)."""
    data = _dict(data)
    event_id, action = data.get("id"), data.get("action")
    if not isinstance(event_id, str) or not 0 < len(event_id) <= EVENT_ID_MAX:
        return None
    if _storable(event_id) != event_id:
        return None  # not storable as it came, and it must stay exact to catch retries
    if action not in (Action.PUSH, Action.DELETE, Action.PULL):
        return None
    request = _dict(data.get("request"))
    if action == Action.PULL and not counts_pull(
        _text(request.get("method")), _text(request.get("useragent"))
    ):
        return None
    target = _dict(data.get("target"))
    repository, tag = target.get("repository"), target.get("tag") or ""
    digest = _digest(target.get("digest"))
    if not isinstance(repository, str) or not is_valid_repository(repository):
        return None
    if digest is None or not isinstance(tag, str) or (tag and not is_valid_tag(tag)):
        return None
    media_type = _text(target.get("mediaType"))
    if action != Action.DELETE and (media_type not in MANIFEST_TYPES or not digest):
        return None  # a blob pushed or pulled
    source = _dict(data.get("source"))
    return ParsedEvent(
        event_id=event_id,
        action=action,
        repository=repository,
        tag=tag,
        digest=digest,
        media_type=media_type,
        size=_size(target.get("size")),
        actor=_text(_dict(data.get("actor")).get("name")),
        source=_text(source.get("addr")) or _text(source.get("instanceID")),
        client_addr=_text(request.get("addr")),
        occurred_at=_timestamp(data.get("timestamp")),
    )


def parse_envelope(body: bytes) -> tuple[list[ParsedEvent], int]:
    """The events worth keeping, and how many others the envelope carried."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise EnvelopeError("The body is not valid JSON.") from exc
    events = data.get("events") if isinstance(data, dict) else None
    if not isinstance(events, list):
        raise EnvelopeError('Expected a notification envelope: {"events": [...]}.')
    parsed = [parse_event(item) for item in events]
    kept = [event for event in parsed if event is not None]
    return kept, len(parsed) - len(kept)
