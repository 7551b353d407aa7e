"""Keeping the index in step with a registry. Typed keyword-only services (HackSoft style).

Tag lists and tag digests are read fresh from the registry every time; manifests and configs
are content addressed, so each digest is fetched once and then only read from the index
(registries/inventory/crawl.py). Repositories are synced in batches, each written in one
transaction (store.py) while this sync holds their leases (leases.py): an interrupted full
sync resumes where it stopped, a failing registry leaves untouched what it did not reach, and
two workers never index one repository at once.
"""

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import batched

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone

from registries.client import errors
from registries.inventory.crawl import registry_crawl
from registries.inventory.leases import LeaseLost, Leases
from registries.inventory.models import IndexedRepository, SyncRequest, SyncState
from registries.inventory.store import index_known, index_write, repositories_remove
from registries.models import Registry
from registries.services.catalog import catalog_names

logger = logging.getLogger(__name__)
# Repositories crawled together and written in one transaction: enough to keep every fan-out
# slot busy, few enough that an interrupted run loses little.
BATCH = 100


@dataclass
class SyncReport:
    repositories: int = 0  # synced now
    skipped: int = 0  # already synced earlier in this (resumed) run
    held: int = 0  # being synced by another worker right then (it indexes them)
    removed_repositories: int = 0
    tags: int = 0
    removed_tags: int = 0
    manifests_fetched: int = 0
    duration: timedelta = timedelta(0)

    def add(self, other: "SyncReport") -> None:
        self.repositories += other.repositories
        self.removed_repositories += other.removed_repositories
        self.tags += other.tags
        self.removed_tags += other.removed_tags
        self.manifests_fetched += other.manifests_fetched


# -- repositories ---------------------------------------------------------------------------


def _sync_batch(*, registry: Registry, names: list[str], leases: Leases) -> SyncReport:
    """Crawl and write repositories whose leases this sync holds."""
    began, clock = time.time(), timezone.now()
    known = index_known(registry=registry, names=names)
    crawl = registry_crawl(registry=registry, names=names, known=known.tag_names(), leases=leases)
    leases.renew(now=True)  # still ours (LeaseLost otherwise), and for the whole write
    written = index_write(registry=registry, crawl=crawl, known=known)
    ended = time.time()
    for name in names:  # the record of who indexed what when (tests/inventory/test_workers.py)
        logger.debug(
            "repository indexed",
            extra={"registry": registry.name, "repository": name, "holder": leases.holder,
                   "began": began, "ended": ended},
        )  # fmt: skip
    return SyncReport(
        repositories=written.repositories,
        tags=written.tags,
        removed_repositories=written.removed_repositories,
        removed_tags=written.removed_tags,
        manifests_fetched=len(crawl.rows),
        duration=timezone.now() - clock,
    )


def repository_sync(*, registry: Registry, repository: str) -> SyncReport:
    """Bring one repository's tags (and the manifests they point at) into the index; a
    repository the registry no longer has leaves the index. LeaseHeld: another sync is
    indexing it right now."""
    leases = Leases(registry)
    leases.take_one(repository)
    try:
        return _sync_batch(registry=registry, names=[repository], leases=leases)
    finally:
        leases.release()


# -- registries -----------------------------------------------------------------------------


def _repository_names(registry: Registry) -> tuple[list[str], bool]:
    """Pinned names, then what the catalog lists, read fresh; and whether the catalog
    answered (only then may a repository missing from the list leave the index)."""
    catalog = catalog_names(registry=registry, refresh=True)
    return catalog.names, catalog.closed is None


def _resume_from(state: SyncState, now: datetime) -> datetime:
    """The start of the run to continue: an unfinished (running or failed) one that began
    within the sync interval, else a new run starting now."""
    recent = now - timedelta(seconds=settings.REGFRONT_SYNC_INTERVAL)
    if state.state != SyncState.State.IDLE and state.started and state.started > recent:
        return state.started
    return now


def _synced_since(registry: Registry, run_start: datetime) -> dict[str, int]:
    """Repositories this run already synced, with their indexed tag counts."""
    done = IndexedRepository.objects.filter(registry=registry, last_synced__gte=run_start)
    return dict(done.annotate(n=Count("tags")).values_list("name", "n"))


def registry_sync(*, registry: Registry) -> SyncReport:
    """A full sync: every repository on offer, skipping those this run already synced and
    those another sync holds. LeaseHeld: another full sync of the registry is running. On a
    registry error the state is failed (with the error's user_message) and it raises."""
    leases = Leases(registry)
    leases.take_one("")
    try:
        return _full_sync(registry, leases)
    finally:
        leases.release()


def _full_sync(registry: Registry, leases: Leases) -> SyncReport:
    now = timezone.now()
    state, _ = SyncState.objects.get_or_create(registry=registry)
    run_start = _resume_from(state, now)
    state.state, state.started, state.last_error = SyncState.State.RUNNING, run_start, ""
    state.repositories_done = state.tags_done = state.tags_total = 0
    state.save()
    report = SyncReport()
    clock = timezone.now()
    progress = ["repositories_done", "tags_done", "tags_total"]
    try:
        names, complete = _repository_names(registry)
        state.repositories_total = len(names)
        state.save(update_fields=["repositories_total"])
        synced = _synced_since(registry, run_start)
        skipped = [name for name in names if name in synced]
        report.skipped = len(skipped)
        skipped_tags = sum(synced[name] for name in skipped)  # counted, as if synced now
        state.repositories_done = len(skipped)
        state.tags_done = state.tags_total = skipped_tags
        state.save(update_fields=progress)
        for batch in batched([name for name in names if name not in synced], BATCH):
            mine = leases.take(batch)
            report.held += len(batch) - len(mine)
            if mine:
                todo = [name for name in batch if name in mine]
                report.add(_sync_batch(registry=registry, names=todo, leases=leases))
                leases.release(mine)
            state.repositories_done += len(batch)
            state.tags_done = state.tags_total = skipped_tags + report.tags
            state.save(update_fields=progress)
        if complete:
            indexed = IndexedRepository.objects.filter(registry=registry)
            gone = set(indexed.values_list("name", flat=True)) - set(names)
            report.removed_repositories += repositories_remove(registry=registry, names=gone)
    except (errors.RegistryError, LeaseLost) as exc:
        _finish(state, clock, error=exc.user_message)
        raise
    report.duration = _finish(state, clock, error="")
    return report


def _finish(state: SyncState, clock: datetime, *, error: str) -> timedelta:
    state.finished = timezone.now()
    state.duration = state.finished - clock
    state.state = SyncState.State.FAILED if error else SyncState.State.IDLE
    state.last_error = error
    state.save(update_fields=["finished", "duration", "state", "last_error"])
    return state.duration


def registry_by_name(*, name: str) -> Registry | None:
    return Registry.objects.filter(name=name).first()


# -- background syncs: one pending request per registry / repository -------------------------


def _enqueue(*, registry: Registry, repository: str, run_after: datetime | None) -> SyncRequest:
    """Enqueue a sync unless one is already pending that runs no later than wanted.

    The stored SyncRequest is the deduplication key: its `key` travels with the task, and a
    task whose key is no longer the stored one was superseded and does nothing. A request due
    more than REGFRONT_INDEX_MAX_AGE ago never ran (worker down, task lost): it is replaced.
    """
    from registries.inventory import tasks  # tasks import this module

    now = timezone.now()
    due = max(run_after, now) if run_after else now
    stale = now - timedelta(seconds=settings.REGFRONT_INDEX_MAX_AGE)
    mine = {"registry": registry, "repository": repository}
    with transaction.atomic():
        pending = SyncRequest.objects.select_for_update().filter(**mine).first()
        if pending is None:
            try:
                with transaction.atomic():  # another process may be creating the same row
                    pending = SyncRequest.objects.create(
                        **mine, key=uuid.uuid4().hex, due=due, enqueued_at=now
                    )
            except IntegrityError:
                return SyncRequest.objects.select_for_update().get(**mine)
        elif stale < pending.due <= due:
            return pending  # deduplicated: that one runs soon enough
        else:
            pending.key, pending.due, pending.enqueued_at = uuid.uuid4().hex, due, now
            pending.save(update_fields=["key", "due", "enqueued_at"])
        task = tasks.sync_repository if repository else tasks.sync_registry
        if due > now:
            task = task.using(run_after=due)
        kwargs = {"registry_id": registry.pk, "key": pending.key}
        result = task.enqueue(**kwargs, **({"repository": repository} if repository else {}))
        # An update, not save(): an immediate backend has already run (and claimed) it.
        SyncRequest.objects.filter(pk=pending.pk, key=pending.key).update(task_id=str(result.id))
        pending.task_id = str(result.id)
    return pending


def inventory_enqueue_registry(
    *, registry: Registry, run_after: datetime | None = None
) -> SyncRequest:
    """A full sync of the registry in the background (deduplicated)."""
    return _enqueue(registry=registry, repository="", run_after=run_after)


def inventory_enqueue_repository(
    *, registry: Registry, repository: str, run_after: datetime | None = None
) -> SyncRequest:
    """A sync of one repository in the background (deduplicated), e.g. after a push."""
    return _enqueue(registry=registry, repository=repository, run_after=run_after)


def inventory_status(*, registry: Registry) -> SyncState | None:
    """The registry's sync state for pages (None: never synced)."""
    return SyncState.objects.filter(registry=registry).first()


def index_is_fresh(state: SyncState | None) -> bool:
    """A sync is running, or the last one succeeded within REGFRONT_INDEX_MAX_AGE."""
    if state is None:
        return False
    if state.state == SyncState.State.RUNNING:
        return True
    old = timezone.now() - timedelta(seconds=settings.REGFRONT_INDEX_MAX_AGE)
    return state.state == SyncState.State.IDLE and bool(state.finished and state.finished > old)


def inventory_ensure_fresh(*, registry: Registry) -> SyncRequest | None:
    """Enqueue a full sync when the index is stale."""
    fresh = index_is_fresh(inventory_status(registry=registry))
    return None if fresh else inventory_enqueue_registry(registry=registry)


def inventory_claim(*, registry_id: int, repository: str, key: str) -> bool:
    """A starting task takes its request off the table; False: it was superseded (or already
    ran), so it does nothing. Changes reported from now on get a new request."""
    deleted, _ = SyncRequest.objects.filter(
        registry_id=registry_id, repository=repository, key=key
    ).delete()
    return deleted > 0
