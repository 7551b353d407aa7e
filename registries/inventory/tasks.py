"""Background syncs on Django's tasks framework (any backend; the project runs
django_tasks_db's `db_worker`). Enqueue them through the inventory_enqueue_* services, which
deduplicate; a task that runs twice or was superseded does nothing the second time."""

from dataclasses import asdict
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.tasks import task
from django.utils import timezone

from registries.inventory.leases import LeaseHeld
from registries.inventory.services import (
    SyncReport,
    inventory_claim,
    inventory_enqueue_registry,
    inventory_enqueue_repository,
    registry_sync,
    repository_sync,
)
from registries.models import Registry


def _result(report: SyncReport) -> dict[str, Any]:
    return asdict(report) | {"duration": report.duration.total_seconds()}


@task()
def sync_registry(*, registry_id: int, key: str) -> dict[str, Any]:
    """A full sync, then its successor REGFRONT_SYNC_INTERVAL later (unless one is pending):
    the periodic resync is this chain, no scheduler."""
    registry = Registry.objects.filter(pk=registry_id).first()
    if registry is None or not inventory_claim(registry_id=registry_id, repository="", key=key):
        return {"skipped": True}
    try:
        return _result(registry_sync(registry=registry))
    except LeaseHeld:
        return {"skipped": True, "held": True}  # the full sync running now covers this one
    finally:  # a failed sync is retried by the next one too
        later = timezone.now() + timedelta(seconds=settings.REGFRONT_SYNC_INTERVAL)
        inventory_enqueue_registry(registry=registry, run_after=later)


@task()
def sync_repository(*, registry_id: int, repository: str, key: str) -> dict[str, Any]:
    """One repository, e.g. after the registry reported a push or delete."""
    registry = Registry.objects.filter(pk=registry_id).first()
    if registry is None or not inventory_claim(
        registry_id=registry_id, repository=repository, key=key
    ):
        return {"skipped": True}
    try:
        return _result(repository_sync(registry=registry, repository=repository))
    except LeaseHeld as held:
        # The holder may have read the tag list before the change that enqueued this sync:
        # run again when its lease ends, so that change is never lost.
        inventory_enqueue_repository(
            registry=registry, repository=repository, run_after=held.expires
        )
        return {"skipped": True, "held_until": held.expires.isoformat()}
