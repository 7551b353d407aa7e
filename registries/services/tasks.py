"""The background refresh of stale cache entries as a django.tasks task (db_worker runs it);
what it does is registries/services/refresh.py."""

from typing import Any

from django.tasks import task

import registries.services  # noqa: F401  (imports every module that registers a refresh job)
from registries.models import Registry
from registries.services.refresh import revalidation_run


@task()
def refresh_entries(
    *, registry_id: int, job: str, entries: dict[str, Any], arguments: dict[str, Any]
) -> dict[str, Any]:
    """Recompute the stale entries a page served (idempotent; a removed registry: nothing)."""
    registry = Registry.objects.filter(pk=registry_id).first()
    if registry is None:
        return {"job": job, "skipped": len(entries)}
    return revalidation_run(registry=registry, job=job, entries=entries, arguments=arguments)
