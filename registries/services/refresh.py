"""Background refreshes of stale cache entries: stale-while-revalidate.

A page that finds a changeable entry past its TTL serves it and schedules a Revalidation
(registries/services/cache.py). Each entry is refreshed once at a time across every process
and instance: a claim in the cache (`cache.add`, SET NX on Redis) decides who queues it. The
cache rather than a stored row, because the claim describes cache entries: it is shared by
every instance exactly where the entries are, goes when they go (a flush), expires on its
own when a worker dies mid-refresh, and costs one round trip only when an entry is found
stale, never a database write per page.

The refresh runs as a task for `db_worker` (registries/services/tasks.py) when the cache is
shared; with local memory (`make run`'s default) a worker process could not write this
process's cache, so a thread here runs it (REGFRONT_REFRESH_IN). A refresh recomputes only
entries still stale, with the registry limits pages have; when the registry fails it keeps
the stale entries and its claims (retried when they expire), logs, and never raises.
"""

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.db import DatabaseError, connections

from registries.client import errors
from registries.models import Registry
from registries.services.cache import (
    claim_refresh,
    current_reading,
    forget,
    is_stale,
    pages_outdate,
    release_refresh,
)
from registries.services.cache import repository_generation as _generation

logger = logging.getLogger(__name__)

# A job recomputes the entries it is given (one item each) and returns how many it could not.
Job = Callable[[Registry, dict[str, Any], list[Any]], int]
JOBS: dict[str, Job] = {}

_threads = ThreadPoolExecutor(max_workers=2, thread_name_prefix="regfront-refresh")


def refresh_job(name: str) -> Callable[[Job], Job]:
    """Register the function that refreshes one kind of entry (in the module that owns it)."""

    def register(job: Job) -> Job:
        JOBS[name] = job
        return job

    return register


@dataclass(frozen=True)
class Revalidation:
    """How to refresh some entries later: a job, its registry, each entry's cache key with
    the item the job needs for it, and arguments shared by them (JSON values: a task's)."""

    job: str
    registry: Registry
    entries: dict[str, Any]
    arguments: dict[str, Any] = field(default_factory=dict)

    def schedule(self) -> None:
        revalidation_schedule(revalidation=self)


def refresh_in_process() -> bool:
    where = settings.REGFRONT_REFRESH_IN
    return where == "process" or (where == "auto" and isinstance(caches["default"], LocMemCache))


def revalidation_schedule(*, revalidation: Revalidation) -> None:
    """Queue one refresh for the entries nobody is refreshing yet; the page goes on. While a
    stored page is rendered (cached_pages.py) it waits for the end of that page, so that the
    page's refreshes land together and the page is rendered again once, not once per kind."""
    claimed = {key: item for key, item in revalidation.entries.items() if claim_refresh(key)}
    if not claimed:
        return
    work = {
        "job": revalidation.job,
        "entries": claimed,
        "arguments": revalidation.arguments,
    }
    if (page := current_reading()) is not None:
        page.defer((revalidation.registry, work))
    else:
        refreshes_queue(revalidation.registry, [work])


def refreshes_queue_deferred(deferred: list[tuple[Registry, dict[str, Any]]]) -> None:
    """Queue what a page deferred: one refresh per registry."""
    by_registry: dict[int, tuple[Registry, list[dict[str, Any]]]] = {}
    for registry, work in deferred:
        by_registry.setdefault(registry.pk, (registry, []))[1].append(work)
    for registry, works in by_registry.values():
        refreshes_queue(registry, works)


def refreshes_queue(registry: Registry, works: list[dict[str, Any]]) -> None:
    """Run `works` (claimed) in the background: a task, or a thread here (REGFRONT_REFRESH_IN)."""
    if refresh_in_process():
        future = _threads.submit(_run_here, registry, works)
        future.add_done_callback(_log_crash)
        return
    from registries.services.tasks import refresh_many  # the task module imports this one

    try:
        refresh_many.enqueue(registry_id=registry.pk, works=works)
    except DatabaseError:
        # The page still has its stale answer; the next one to find it stale tries again.
        logger.warning("registry=%s refresh not queued", registry.name)
        for work in works:
            for key in work["entries"]:
                release_refresh(key)


def _run_here(registry: Registry, works: list[dict[str, Any]]) -> list[dict[str, Any]]:
    try:
        return revalidations_run(registry=registry, works=works)
    finally:
        connections.close_all()  # this pool thread's own: it keeps none open between runs


def _log_crash(future: Future) -> None:
    failure = future.exception()
    if failure is not None:
        logger.error("refresh crashed", exc_info=failure)


def revalidations_run(*, registry: Registry, works: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Run each work (a job, its entries and arguments), then make the stored pages of each
    repository they refreshed be rendered again: once, after the last of them."""
    reports = [revalidation_run(registry=registry, **work) for work in works]
    refreshed = {
        work["arguments"].get("repository")
        for work, report in zip(works, reports, strict=True)
        if report["refreshed"]
    }
    for repository in sorted(refreshed - {None}):
        pages_outdate(registry.pk, repository)  # stored pages show the replaced entries
    return reports


def revalidation_run(
    *, registry: Registry, job: str, entries: dict[str, Any], arguments: dict[str, Any]
) -> dict[str, Any]:
    """Recompute those of `entries` still stale; safe to run twice (fresh ones are skipped,
    and so is everything when the repository changed since: its old entries are unreachable)."""
    repository = arguments.get("repository")
    generation = arguments.get("generation")
    if generation is not None and _generation(registry.pk, repository) != generation:
        due = {}
    else:
        due = {key: item for key, item in entries.items() if is_stale(key)}
    report: dict[str, Any] = {"job": job, "refreshed": 0, "skipped": len(entries) - len(due)}
    try:
        failed = JOBS[job](registry, arguments, list(due.values())) if due else 0
    except errors.NotFound:
        # Gone from the registry (a repository, a catalog endpoint): serving what it was
        # would be wrong, so the next page asks and says so.
        for key in due:
            forget(key)
        failed = 0
    except errors.RegistryError as exc:
        failed, report["error"] = len(due), exc.user_message
    if failed:
        # Stale entries stay served; the claims stay until they expire, so a registry that
        # is down is asked again at that pace, not once per page view.
        logger.warning(
            "registry=%s refresh job=%s kept %d stale entries: %s",
            registry.name,
            job,
            failed,
            report.get("error", "the registry did not answer for every entry"),
        )
        return report | {"refreshed": len(due) - failed, "failed": failed}
    for key in entries:
        release_refresh(key)
    return report | {"refreshed": len(due)}
