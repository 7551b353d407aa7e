"""The registry event webhook: distribution's notification envelopes, one endpoint per registry.

Envelope and event format: https://distribution.github.io/distribution/about/notifications/
The registry POSTs `{"events": [...]}` as `application/vnd.docker.distribution.events.v1+json`
with the headers configured for the endpoint; regfront expects the registry row's webhook token
as `Authorization: Bearer <token>`. Distribution retries every delivery that does not get a
2xx answer, so a repeated event is acknowledged (and ignored), never refused.
"""

import hmac
import json
import logging
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from registries import services
from registries.api.auth import bearer_token
from registries.client import media_types as mt
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


def _text(value: object, limit: int = TEXT_MAX) -> str:
    return value[:limit] if isinstance(value, str) else ""


def _dict(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def _timestamp(value: object) -> datetime:
    """RFC 3339 (nanoseconds allowed); the time of receipt when missing or unreadable."""
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return timezone.now()


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
    size = target.get("size")
    source = _dict(data.get("source"))
    return ParsedEvent(
        event_id=event_id,
        action=action,
        repository=repository,
        tag=tag,
        digest=digest,
        media_type=media_type,
        size=size if isinstance(size, int) and not isinstance(size, bool) and size >= 0 else None,
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


@csrf_exempt  # machine to machine, authenticated by the registry's own token
def registry_events(request: HttpRequest, name: str) -> JsonResponse:
    if request.method != "POST":
        response = error_response(405, "method_not_allowed", "POST notification envelopes here.")
        response["Allow"] = "POST"
        return response
    registry = Registry.objects.filter(name=name).first()
    if registry is None:
        return error_response(404, "not_found", "No registry has this name.")
    secret = registry.webhook_secret
    if not secret:
        return error_response(403, "webhook_off", "The event webhook is off for this registry.")
    token = bearer_token(request.headers.get("Authorization", "")) or ""
    if not hmac.compare_digest(token.encode(), secret.encode()):
        return error_response(401, "unauthenticated", "Wrong or missing webhook token.")
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
