"""The registry event webhook: one endpoint per registry.

Envelope and event format: https://distribution.github.io/distribution/about/notifications/
The registry POSTs `{"events": [...]}` as `application/vnd.docker.distribution.events.v1+json`
with the headers configured for the endpoint; regfront expects the registry row's webhook token
as `Authorization: Bearer <token>`. Distribution retries every delivery that does not get a
2xx answer, so a repeated event is acknowledged (and ignored), never refused, and whatever an
event holds is either stored in a form the database takes or the event is ignored: a 500
would make distribution resend the whole batch forever.
"""

import hmac
import logging
import secrets

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from registries.events.envelope import EnvelopeError, parse_envelope
from registries.events.services import events_apply, events_prune, events_store
from registries.http import bearer_token
from registries.models import Registry
from registries.views.errors import json_error_response as error_response

logger = logging.getLogger("regfront.webhook")

EVENTS_MEDIA_TYPE = "application/vnd.docker.distribution.events.v1+json"
ACCEPTED_CONTENT_TYPES = frozenset({EVENTS_MEDIA_TYPE, "application/json"})
MAX_BODY_BYTES = 1024 * 1024  # distribution sends small batches; nothing legitimate is larger
# Same answer for an unknown registry, one without a webhook token, and a wrong token:
# an unauthenticated caller learns nothing about which registries exist.
REFUSED = (401, "unauthenticated", "Wrong or missing webhook token.")


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
