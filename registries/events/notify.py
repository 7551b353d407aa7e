"""Outgoing notifications: what producers call. Each call stores one delivery per endpoint
that wants the event and enqueues its task; nothing is sent here, so no page or webhook
answer ever waits on a receiver (registries/events/tasks.py sends).

Producers: registry events (pushes of a tag, deletes) from events_apply, retention runs
when they end (retention/run.py), and promotions through :func:`notify_promotion`.
"""

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from registries.events.envelope import ParsedEvent
from registries.events.models import NotificationDelivery, NotificationEndpoint
from registries.models import Registry, RegistryEvent

Event = NotificationDelivery.Event
State = NotificationDelivery.State
# A pending delivery this long past its attempt's time has lost its task (longer than any
# attempt takes: REGFRONT_NOTIFY_TIMEOUT bounds them).
STALE_AFTER = timedelta(minutes=15)
# Which endpoint switch each event kind needs (a test goes to the endpoint it names).
WANTS = {
    Event.PUSH: "on_push",
    Event.DELETE: "on_delete",
    Event.RETENTION: "on_retention",
    Event.PROMOTION: "on_promotion",
}


def notify(*, registry: Registry, event: str, data: dict[str, Any]) -> list[NotificationDelivery]:
    """Queue `event` (a NotificationDelivery.Event) with `data` for every enabled endpoint of
    the registry that wants it; returns the deliveries made."""
    endpoints = NotificationEndpoint.objects.filter(
        registry=registry, enabled=True, **{WANTS[event]: True}
    )
    return [_queue(endpoint, event, data) for endpoint in endpoints]


def notify_test(*, endpoint: NotificationEndpoint, user_name: str) -> NotificationDelivery:
    """*Send test*: one delivery to this endpoint, enabled or not."""
    return _queue(endpoint, Event.TEST, {"requested_by": user_name})


def _queue(
    endpoint: NotificationEndpoint, event: str, data: dict[str, Any]
) -> NotificationDelivery:
    from registries.events.tasks import deliver_notification  # tasks import this module

    now = timezone.now()
    payload = {"event": event, "registry": endpoint.registry.name, "occurred_at": now.isoformat(),
               "data": data}  # fmt: skip
    delivery = NotificationDelivery.objects.create(
        endpoint=endpoint, event=event, payload=payload, next_attempt_at=now
    )
    deliver_notification.enqueue(delivery_id=delivery.pk, attempt=1)
    _requeue_stale(endpoint, deliver_notification)
    _prune(endpoint)
    return delivery


def _requeue_stale(endpoint: NotificationEndpoint, deliver) -> None:
    """A worker killed during an attempt leaves its delivery pending with no task to go on:
    the endpoint's next event queues the next attempt (the lost one counts). A delivery whose
    task is only late gets a second task, which finds nothing to claim."""
    stale = NotificationDelivery.objects.filter(
        endpoint=endpoint, state=State.PENDING, next_attempt_at__lt=timezone.now() - STALE_AFTER
    )
    for pk, attempts in stale.values_list("pk", "attempts"):
        if attempts >= settings.REGFRONT_NOTIFY_MAX_ATTEMPTS:
            stale.filter(pk=pk, attempts=attempts).update(
                state=State.FAILED, next_attempt_at=None,
                last_response="The worker stopped during the last attempt.",
            )  # fmt: skip
        else:
            deliver.enqueue(delivery_id=pk, attempt=attempts + 1)


def _prune(endpoint: NotificationEndpoint) -> None:
    """The log keeps REGFRONT_EVENT_RETENTION_DAYS, like the events (0: forever)."""
    days = settings.REGFRONT_EVENT_RETENTION_DAYS
    if days > 0:
        cutoff = timezone.now() - timedelta(days=days)
        NotificationDelivery.objects.filter(endpoint=endpoint, created_at__lt=cutoff).delete()


def notify_registry_events(*, registry: Registry, events: Iterable[ParsedEvent]) -> None:
    """New registry events: a push of a tag, and any delete. Pushes without a tag (an index's
    platform manifests, pushed by digest before it) would only repeat the tag's push."""
    for parsed in events:
        if parsed.action == RegistryEvent.Action.PUSH and parsed.tag:
            kind = Event.PUSH
        elif parsed.action == RegistryEvent.Action.DELETE:
            kind = Event.DELETE
        else:
            continue
        data = {"repository": parsed.repository, "tag": parsed.tag, "digest": parsed.digest,
                "media_type": parsed.media_type, "size": parsed.size, "actor": parsed.actor,
                "at": parsed.occurred_at.isoformat()}  # fmt: skip
        notify(registry=registry, event=kind, data=data)


def notify_retention_run(*, run) -> None:
    """A retention run ended (done, paused, stopped or failed): its counts and state."""
    data = {"run": run.pk, "policy": run.policy_name, "trigger": run.trigger, "state": run.state,
            "deleted": run.deleted, "skipped": run.skipped, "errors": run.errors,
            "reclaimable_bytes": run.reclaimable_bytes, "message": run.message}  # fmt: skip
    notify(registry=run.registry, event=Event.RETENTION, data=data)


def notify_promotion(
    *,
    registry: Registry,
    repository: str,
    tag: str,
    digest: str,
    source_registry: str,
    source_repository: str,
    source_tag: str = "",
    actor: str = "",
) -> list[NotificationDelivery]:
    """An image was promoted (copied along a configured route) *to* `registry`; call it once
    the copy is complete. The target registry's endpoints that want promotions hear of it."""
    data = {"repository": repository, "tag": tag, "digest": digest, "actor": actor,
            "source": {"registry": source_registry, "repository": source_repository,
                       "tag": source_tag}}  # fmt: skip
    return notify(registry=registry, event=Event.PROMOTION, data=data)
