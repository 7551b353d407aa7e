"""Notification deliveries in the background (django.tasks). One task per delivery and
attempt; a failed attempt enqueues the next one for after its backoff (`run_after`). The
delivery row's attempt count deduplicates: a task delivered twice does nothing the second
time."""

from typing import Any

from django.tasks import task

from registries.events.delivery import delivery_attempt


@task()
def deliver_notification(*, delivery_id: int, attempt: int) -> dict[str, Any]:
    outcome = delivery_attempt(delivery_id=delivery_id, attempt=attempt)
    if outcome is None:
        return {"skipped": True}
    if outcome.retry_at is not None:
        deliver_notification.using(run_after=outcome.retry_at).enqueue(
            delivery_id=delivery_id, attempt=attempt + 1
        )
        return {"state": outcome.state, "retry_at": outcome.retry_at.isoformat()}
    return {"state": outcome.state}
