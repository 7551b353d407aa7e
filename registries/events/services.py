"""The events service: store what a registry reported, make its cached pages stale, prune
old events, and the repository page's latest pushes."""

from collections.abc import Iterable
from dataclasses import asdict
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from registries.client import errors
from registries.events.envelope import ParsedEvent
from registries.events.notify import notify_registry_events
from registries.history.pulls import pulls_record
from registries.history.services import history_record_pushes
from registries.inventory.services import inventory_enqueue_repository
from registries.models import Registry, RegistryEvent
from registries.services.cache import repository_touch
from registries.services.listings import catalog_forget, catalog_is_cached, catalog_list

Action = RegistryEvent.Action


def events_store(*, registry: Registry, events: Iterable[ParsedEvent]) -> list[ParsedEvent]:
    """Store events not seen before; returns the new ones (idempotent on the event id)."""
    by_id: dict[str, ParsedEvent] = {}
    for event in events:
        by_id.setdefault(event.event_id, event)
    with transaction.atomic():
        seen = set(
            RegistryEvent.objects.filter(registry=registry, event_id__in=by_id).values_list(
                "event_id", flat=True
            )
        )
        new = [event for event_id, event in by_id.items() if event_id not in seen]
        # A concurrent delivery of the same envelope loses on the unique constraint.
        RegistryEvent.objects.bulk_create(
            [RegistryEvent(registry=registry, **asdict(event)) for event in new],
            ignore_conflicts=True,
        )
    return new


def events_prune() -> int:
    """Forget events received more than REGFRONT_EVENT_RETENTION_DAYS ago (0: never)."""
    days = settings.REGFRONT_EVENT_RETENTION_DAYS
    if days <= 0:
        return 0
    cutoff = timezone.now() - timedelta(days=days)
    deleted, _ = RegistryEvent.objects.filter(received_at__lt=cutoff).delete()
    return deleted


def events_apply(*, registry: Registry, events: Iterable[ParsedEvent]) -> None:
    """Make the cached pages of every repository the events touched stale at once, and
    have the inventory re-read each of them in the background (one pending sync each).
    Pushes go into the tags' histories, pulls into the counts (and change nothing else)."""
    events = list(events)
    history_record_pushes(registry=registry, events=events)
    pulls_record(registry=registry, events=events)
    changed: dict[str, bool] = {}
    for event in events:
        if event.action == Action.PULL:
            continue
        changed[event.repository] = changed.get(event.repository, False) or (
            event.action == Action.PUSH
        )
    for repository, pushed in changed.items():
        repository_changed(registry=registry, repository=repository, pushed=pushed)
        inventory_enqueue_repository(registry=registry, repository=repository)
    notify_registry_events(registry=registry, events=events)  # queued, never sent here


def latest_pushes(*, registry: Registry, repository: str, limit: int = 5) -> list[RegistryEvent]:
    """The repository's newest pushes; `deleted` marks digests the registry deleted since."""
    events = RegistryEvent.objects.filter(registry=registry, repository=repository)
    pushes = list(events.filter(action=Action.PUSH)[:limit])
    deletes = events.filter(action=Action.DELETE, digest__in={p.digest for p in pushes})
    deleted_at: dict[str, datetime] = {}
    for digest, when in deletes.values_list("digest", "occurred_at"):
        deleted_at[digest] = max(when, deleted_at.get(digest, when))
    for push in pushes:
        push.deleted = push.digest in deleted_at and deleted_at[push.digest] >= push.occurred_at
    return pushes


def repository_changed(*, registry: Registry, repository: str, pushed: bool) -> None:
    """The registry reported a push or delete: every cached page of the repository is stale
    at once; a push to a repository the cached catalog lacks makes the catalog stale too."""
    repository_touch(registry.pk, repository)
    if not pushed:
        return
    if not catalog_is_cached(registry=registry):
        return  # nothing cached, nothing stale
    try:
        known = repository in catalog_list(registry=registry)
    except errors.RegistryError:
        known = False
    if not known:
        catalog_forget(registry=registry)
