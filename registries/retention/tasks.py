"""Retention runs in the background (django.tasks): a run enqueued by *Run now*, and each
policy's schedule, which re-enqueues itself `interval` seconds later (no scheduler). The
stored `schedule_key` deduplicates: a superseded schedule task does nothing."""

import uuid
from datetime import timedelta
from typing import Any

from django.tasks import task
from django.utils import timezone

from registries.retention.lease import RunHeld
from registries.retention.models import RetentionPolicy, RetentionRun
from registries.retention.rules import Rules
from registries.retention.run import run_create, run_execute


def _summary(run: RetentionRun) -> dict[str, Any]:
    return {"run": run.pk, "state": run.state, "deleted": run.deleted, "skipped": run.skipped,
            "errors": run.errors, "message": run.message}  # fmt: skip


@task()
def retention_run(*, run_id: int) -> dict[str, Any]:
    if not RetentionRun.objects.filter(pk=run_id).exists():
        return {"skipped": True}
    try:
        return _summary(run_execute(run_id=run_id))
    except RunHeld as held:
        # Another run of the policy is deleting: this one goes on once its lease ends.
        retention_run.using(run_after=held.expires).enqueue(run_id=run_id)
        return {"held_until": held.expires.isoformat()}


def retention_enqueue_run(*, run: RetentionRun) -> None:
    retention_run.enqueue(run_id=run.pk)


def retention_schedule_policy(*, policy: RetentionPolicy) -> None:
    """(Re)start the policy's schedule: its next run `interval` seconds from now; earlier
    schedule tasks of the policy become no-ops. No interval: the schedule stops."""
    key = uuid.uuid4().hex if policy.interval else ""
    RetentionPolicy.objects.filter(pk=policy.pk).update(schedule_key=key)
    policy.schedule_key = key
    if key:
        later = timezone.now() + timedelta(seconds=policy.interval)
        retention_scheduled.using(run_after=later).enqueue(policy_id=policy.pk, key=key)


@task()
def retention_scheduled(*, policy_id: int, key: str) -> dict[str, Any]:
    policy = RetentionPolicy.objects.select_related("registry").filter(pk=policy_id).first()
    if policy is None or not key or policy.schedule_key != key:
        return {"skipped": True}  # removed, or superseded by a newer schedule
    try:
        if policy.paused:
            return {"skipped": True, "paused": True}
        run = run_create(registry=policy.registry, rules=Rules.from_policy(policy),
                         trigger=RetentionRun.Trigger.SCHEDULE, policy=policy)  # fmt: skip
        try:
            return _summary(run_execute(run_id=run.pk))
        except RunHeld as held:
            retention_run.using(run_after=held.expires).enqueue(run_id=run.pk)
            return {"held_until": held.expires.isoformat()}
    finally:
        retention_schedule_policy(policy=policy)
