"""One attempt at one delivery, and what follows it: delivered, another attempt after a
backoff, or failed for good after REGFRONT_NOTIFY_MAX_ATTEMPTS. Called by the task only."""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from registries.events import messages, sending
from registries.events.models import NotificationDelivery, NotificationEndpoint

logger = logging.getLogger("regfront.notifications")

State = NotificationDelivery.State
# Seconds to wait after failed attempt n (1-based); the last value repeats.
BACKOFF = (30, 120, 600, 3600)
EXCERPT_CHARS = 500  # what the log keeps of an answer


@dataclass(frozen=True)
class Outcome:
    state: str
    retry_at: datetime | None = None


def backoff(attempt: int) -> timedelta:
    return timedelta(seconds=BACKOFF[min(attempt, len(BACKOFF)) - 1])


def _request(endpoint: NotificationEndpoint, delivery: NotificationDelivery) -> tuple[bytes, dict]:
    if endpoint.kind == NotificationEndpoint.Kind.SLACK:
        return messages.slack_body(payload=delivery.payload), {}
    body = messages.webhook_body(delivery_id=delivery.pk, payload=delivery.payload)
    headers = {messages.EVENT_HEADER: delivery.event, messages.DELIVERY_HEADER: str(delivery.pk)}
    if endpoint.secret:
        headers[messages.SIGNATURE_HEADER] = messages.signature(endpoint.secret, body)
    return body, headers


def _claim(delivery_id: int, attempt: int) -> NotificationDelivery | None:
    """This attempt, once: a task delivered twice (or superseded) finds nothing to claim.
    `next_attempt_at` becomes the claim's time, so an attempt in flight is not stale."""
    now = timezone.now()
    claimed = NotificationDelivery.objects.filter(
        pk=delivery_id, state=State.PENDING, attempts=attempt - 1
    ).update(attempts=attempt, next_attempt_at=now, updated_at=now)
    if not claimed:
        return None
    return NotificationDelivery.objects.select_related("endpoint__registry").get(pk=delivery_id)


def delivery_attempt(*, delivery_id: int, attempt: int) -> Outcome | None:
    """Send attempt `attempt` of the delivery; None when it is not this attempt's turn."""
    delivery = _claim(delivery_id, attempt)
    if delivery is None:
        return None
    endpoint = delivery.endpoint
    status: int | None = None
    retry = True
    if not endpoint.enabled and delivery.event != NotificationDelivery.Event.TEST:
        excerpt, retry = "The endpoint was disabled before this was sent.", False
    else:
        body, headers = _request(endpoint, delivery)
        try:
            answer = sending.post(
                endpoint.url, body=body, headers=headers,
                deny_private=settings.REGFRONT_DENY_PRIVATE_NETWORKS,
                timeout=settings.REGFRONT_NOTIFY_TIMEOUT,
            )  # fmt: skip
        except sending.SendFailed as exc:
            excerpt, retry = str(exc), exc.retry
        else:
            status, excerpt = answer.status, answer.excerpt.strip()
            if answer.ok:
                return _record(delivery, State.DELIVERED, status, excerpt)
            if 300 <= status < 400:
                excerpt = f"Redirected (not followed). {excerpt}"
    if retry and attempt < settings.REGFRONT_NOTIFY_MAX_ATTEMPTS:
        return _record(
            delivery, State.PENDING, status, excerpt, retry_at=timezone.now() + backoff(attempt)
        )
    logger.warning(
        "notification delivery=%s endpoint=%s registry=%s failed after %d attempt(s) "
        "status=%s: %s",
        delivery.pk, endpoint.name, endpoint.registry.name, attempt, status, excerpt[:200],
    )  # fmt: skip
    return _record(delivery, State.FAILED, status, excerpt)


def _record(
    delivery: NotificationDelivery,
    state: str,
    status: int | None,
    excerpt: str,
    *,
    retry_at: datetime | None = None,
) -> Outcome:
    delivery.state, delivery.last_status = state, status
    delivery.last_response = excerpt[:EXCERPT_CHARS]
    delivery.next_attempt_at = retry_at
    delivery.save(update_fields=["state", "last_status", "last_response", "next_attempt_at",
                                 "updated_at"])  # fmt: skip
    if state == State.PENDING:
        logger.info(
            "notification delivery=%s endpoint=%s attempt %d failed status=%s, retry at %s",
            delivery.pk, delivery.endpoint.name, delivery.attempts, status, retry_at.isoformat(),
        )  # fmt: skip
    return Outcome(state, retry_at)
