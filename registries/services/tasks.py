"""The background refresh of stale cache entries as a django.tasks task (db_worker runs it);
what it does is registries/services/refresh.py."""

from typing import Any

from django.tasks import task

import registries.services  # noqa: F401  (imports every module that registers a refresh job)
from registries.models import Registry
from registries.services.refresh import revalidations_run

# Before syncs and cleanups queued earlier: a refresh is for a page someone is looking at.
REFRESH_PRIORITY = 50


@task(priority=REFRESH_PRIORITY)
def refresh_many(*, registry_id: int, works: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Recompute the stale entries a page served (idempotent; a removed registry: nothing):
    each work a job, its entries and their arguments."""
    registry = Registry.objects.filter(pk=registry_id).first()
    if registry is None:
        return [{"job": work["job"], "skipped": len(work["entries"])} for work in works]
    return revalidations_run(registry=registry, works=works)


@task(priority=REFRESH_PRIORITY)
def refresh_entries(
    *, registry_id: int, job: str, entries: dict[str, Any], arguments: dict[str, Any]
) -> list[dict[str, Any]]:
    """One work, as queued before refresh_many: kept for rows still in the queue."""
    work = {"job": job, "entries": entries, "arguments": arguments}
    return refresh_many.call(registry_id=registry_id, works=[work])
