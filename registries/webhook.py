"""The registry event webhook: distribution's notification envelopes, one endpoint per registry.

Envelope and event format: https://distribution.github.io/distribution/about/notifications/
The registry POSTs `{"events": [...]}` as `application/vnd.docker.distribution.events.v1+json`
with the headers configured for the endpoint; regfront expects the registry row's webhook token
as `Authorization: Bearer <token>`. Distribution retries every delivery that does not get a
2xx answer, so a repeated event is acknowledged (and ignored), never refused, and whatever an
event holds is either stored in a form the database takes or the event is ignored: a 500
would make distribution resend the whole batch forever.
"""

import hmac
import json
import logging
import secrets
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from registries import services
from registries.api.auth import bearer_token
from registries.client import media_types as mt
from registries.client._json import as_time
from registries.client.reference import (
    InvalidReference,
    is_valid_repository,
    is_valid_tag,
    parse_digest,
)
from registries.errorpages import json_error_response as error_response
from registries.models import Registry, RegistryEvent

logger = logging.getLogger("regfront.webhook")

EVENTS_MEDIA_TYPE = "application/vnd.docker.distribution.events.v1+json"
ACCEPTED_CONTENT_TYPES = frozenset({EVENTS_MEDIA_TYPE, "application/json"})
MAX_BODY_BYTES = 1024 * 1024  # distribution sends small batches; nothing legitimate is larger
EVENT_ID_MAX = RegistryEvent._meta.get_field("event_id").max_length
TEXT_MAX = 255
SIZE_MAX = 2**63 - 1  # the BigIntegerField (and the image spec's int64)
# A registry's clock may run a little ahead; an event from further in the future would sit
# on top of every list of pushes, so it gets the time it was received instead.
CLOCK_SKEW_MAX = timedelta(days=1)
# Same answer for an unknown registry, one without a webhook token, and a wrong token:
# an unauthenticated caller learns nothing about which registries exist.
REFUSED = (401, "unauthenticated", "Wrong or missing webhook token.")
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
    """A push of a manifest or a delete; None for everything else (pulls, mounts, blob pushes,
    events with invalid names)."""
    data = _dict(data)
    event_id, action = data.get("id"), data.get("action")
    if not isinstance(event_id, str) or not 0 < len(event_id) <= EVENT_ID_MAX:
        return None
    if _storable(event_id) != event_id:
        return None  # not storable as it came, and it must stay exact to catch retries
    if action not in (Action.PUSH, Action.DELETE):
        return None
    target = _dict(data.get("target"))
    repository, tag = target.get("repository"), target.get("tag") or ""
    digest = _digest(target.get("digest"))
    if not isinstance(repository, str) or not is_valid_repository(repository):
        return None
    if digest is None or not isinstance(tag, str) or (tag and not is_valid_tag(tag)):
        return None
    media_type = _text(target.get("mediaType"))
    if action == Action.PUSH and (media_type not in MANIFEST_TYPES or not digest):
        return None
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
        client_addr=_text(_dict(data.get("request")).get("addr")),
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


def events_store(*, registry: Registry, events: Iterable[ParsedEvent]) -> list[ParsedEvent]:
    """Store events not seen before; returns the new ones (idempotent on the event id)."""
    by_id: dict[str, ParsedEvent] = {}
    for event in events:
        by_id.setdefault(event.event_id, event)
    with transaction.atomic():
        seen = set(
            RegistryEvent.objects.filter(registry=registry, event_id__in=by_id).values_list(
                "event_id", flat=True
            )
        )
        new = [event for event_id, event in by_id.items() if event_id not in seen]
        # A concurrent delivery of the same envelope loses on the unique constraint.
        RegistryEvent.objects.bulk_create(
            [RegistryEvent(registry=registry, **asdict(event)) for event in new],
            ignore_conflicts=True,
        )
    return new


def events_prune() -> int:
    """Forget events received more than REGFRONT_EVENT_RETENTION_DAYS ago (0: never)."""
    days = settings.REGFRONT_EVENT_RETENTION_DAYS
    if days <= 0:
        return 0
    cutoff = timezone.now() - timedelta(days=days)
    deleted, _ = RegistryEvent.objects.filter(received_at__lt=cutoff).delete()
    return deleted


def events_apply(*, registry: Registry, events: Iterable[ParsedEvent]) -> None:
    """Make the cached pages of every repository the events touched stale at once."""
    changed: dict[str, bool] = {}
    for event in events:
        changed[event.repository] = changed.get(event.repository, False) or (
            event.action == Action.PUSH
        )
    for repository, pushed in changed.items():
        services.repository_changed(registry=registry, repository=repository, pushed=pushed)


def latest_pushes(*, registry: Registry, repository: str, limit: int = 5) -> list[RegistryEvent]:
    """The repository's newest pushes; `deleted` marks digests the registry deleted since."""
    events = RegistryEvent.objects.filter(registry=registry, repository=repository)
    pushes = list(events.filter(action=Action.PUSH)[:limit])
    deletes = events.filter(action=Action.DELETE, digest__in={p.digest for p in pushes})
    deleted_at: dict[str, datetime] = {}
    for digest, when in deletes.values_list("digest", "occurred_at"):
        deleted_at[digest] = max(when, deleted_at.get(digest, when))
    for push in pushes:
        push.deleted = push.digest in deleted_at and deleted_at[push.digest] >= push.occurred_at
    return pushes


# --- the endpoint --------------------------------------------------------------------------


def _read_bounded(request: HttpRequest) -> bytes | JsonResponse:
    """The body, refused by its declared length before any of it is read."""
    declared = request.META.get("CONTENT_LENGTH") or ""
    if not declared:
        return error_response(411, "length_required", "Send the envelope with a Content-Length.")
    try:
        length = int(declared)
    except ValueError:
        return error_response(400, "bad_request", "Invalid Content-Length.")
    # Refused by its declared length unread; a body longer than declared is cut and refused.
    body = b"" if length > MAX_BODY_BYTES else request.read(MAX_BODY_BYTES + 1)
    if length > MAX_BODY_BYTES or len(body) > MAX_BODY_BYTES:
        return error_response(
            413, "too_large", f"The envelope is larger than {MAX_BODY_BYTES} bytes."
        )
    return body


def _authenticated_registry(request: HttpRequest, name: str) -> Registry | None:
    """The registry whose webhook token the request carries; None for a wrong or missing
    token, a registry without one, and an unknown name alike (all compared the same way)."""
    registry = Registry.objects.filter(name=name).first()
    secret = (registry.webhook_secret if registry is not None else "") or ""
    token = bearer_token(request.headers.get("Authorization", "")) or ""
    # Compared even when there is nothing to match, so the timing says no more than the body.
    matches = hmac.compare_digest(token.encode(), (secret or secrets.token_hex(16)).encode())
    return registry if secret and matches else None


@csrf_exempt  # machine to machine, authenticated by the registry's own token
def registry_events(request: HttpRequest, name: str) -> JsonResponse:
    if request.method != "POST":
        response = error_response(405, "method_not_allowed", "POST notification envelopes here.")
        response["Allow"] = "POST"
        return response
    registry = _authenticated_registry(request, name)
    if registry is None:
        return error_response(*REFUSED)
    content_type = (request.content_type or "").lower()
    if content_type not in ACCEPTED_CONTENT_TYPES:
        return error_response(415, "unsupported_media_type", f"Send {EVENTS_MEDIA_TYPE}.")
    body = _read_bounded(request)
    if isinstance(body, JsonResponse):
        return body
    try:
        events, ignored = parse_envelope(body)
    except EnvelopeError as exc:
        return error_response(400, "bad_request", str(exc))
    new = events_store(registry=registry, events=events)
    events_apply(registry=registry, events=new)
    if new:
        logger.info("registry %s reported %d new event(s)", registry.name, len(new))
        events_prune()
    return JsonResponse(
        {"accepted": len(new), "duplicates": len(events) - len(new), "ignored": ignored}
    )
