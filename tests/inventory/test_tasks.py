"""Background syncs: deduplicated enqueues, the periodic chain, and the webhook's pushes and
deletes in the index after one run of django_tasks_db's real worker."""

import signal
from datetime import timedelta

import pytest
import requests
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from registries.inventory.models import IndexedRepository, SyncLease, SyncRequest
from registries.inventory.services import (
    inventory_enqueue_registry,
    inventory_enqueue_repository,
    inventory_ensure_fresh,
)
from registries.models import Registry
from tests.api_support import EVENTS_TYPE, WEBHOOK_SECRET, envelope, event
from tests.support.images import push_image

pytestmark = pytest.mark.django_db(transaction=True)


def run_worker(*options: str) -> None:
    """One real worker run, in-process: every task that is due (or as `options` say), then
    it exits. The worker installs its own Ctrl-C handlers; pytest gets its own back after."""
    signals = [signal.SIGINT, signal.SIGTERM, signal.SIGQUIT]
    saved = {number: signal.getsignal(number) for number in signals}
    try:
        call_command(
            "db_worker", "--batch", "--no-startup-delay", "--no-reload", *options, verbosity=0
        )
    finally:
        for number, handler in saved.items():
            signal.signal(number, handler)


def tags_of(row: Registry) -> dict[str, dict[str, str]]:
    return {
        repo.name: dict(repo.tags.values_list("name", "digest"))
        for repo in IndexedRepository.objects.filter(registry=row)
    }


def test_one_pending_sync_per_registry_and_repository(closed_port_url):
    row = Registry.objects.create(name="dedup", url=closed_port_url)
    first = inventory_enqueue_registry(registry=row)
    assert inventory_enqueue_registry(registry=row).key == first.key
    assert inventory_ensure_fresh(registry=row).key == first.key  # never synced: pending
    one = inventory_enqueue_repository(registry=row, repository="team/app")
    assert inventory_enqueue_repository(registry=row, repository="team/app").key == one.key
    assert SyncRequest.objects.count() == 2
    assert DBTaskResult.objects.count() == 2
    # A later periodic request does not replace one due now ...
    later = timezone.now() + timedelta(hours=1)
    assert inventory_enqueue_registry(registry=row, run_after=later).key == first.key


def test_a_sync_due_now_supersedes_a_later_one(closed_port_url):
    row = Registry.objects.create(name="dedup", url=closed_port_url)
    later = inventory_enqueue_registry(registry=row, run_after=timezone.now() + timedelta(hours=1))
    now = inventory_enqueue_registry(registry=row)
    assert now.key != later.key and SyncRequest.objects.count() == 1
    assert DBTaskResult.objects.count() == 2  # the later task runs, finds itself superseded


def test_the_full_sync_enqueues_its_successor_and_runs_once(registry_factory, registry_row):
    reg = registry_factory()
    image = push_image(reg, "team/app", "v1", seed="chain")
    row = registry_row(reg, name="chain")
    inventory_enqueue_registry(registry=row)
    inventory_enqueue_registry(registry=row)  # deduplicated
    run_worker()
    assert tags_of(row) == {"team/app": {"v1": image.digest}}
    successful = DBTaskResult.objects.filter(status="SUCCESSFUL")
    assert successful.count() == 1
    assert successful.get().return_value["repositories"] == 1
    successor = SyncRequest.objects.get(registry=row, repository="")
    assert successor.due > timezone.now() + timedelta(minutes=59)
    pending = DBTaskResult.objects.get(status="READY")
    assert str(pending.id) == successor.task_id and pending.run_after == successor.due


def post_events(client, *events) -> None:
    response = client.generic(
        "POST",
        "/hooks/registry/hooked/events",
        envelope(*events),
        content_type=EVENTS_TYPE,
        HTTP_AUTHORIZATION=f"Bearer {WEBHOOK_SECRET}",
    )
    assert response.status_code == 200, response.content


def test_a_push_and_a_delete_reported_by_webhook_are_indexed_after_one_worker_run(
    client, registry_factory
):
    reg = registry_factory()
    row = Registry.objects.create(name="hooked", url=reg.url, webhook_secret=WEBHOOK_SECRET)
    v1 = push_image(reg, "team/app", "v1", seed="hook-v1")
    v2 = push_image(reg, "team/app", "v2", seed="hook-v2")
    post_events(
        client,
        event("push", repository="team/app", tag="v1", digest=v1.digest, event_id="p1"),
        event("push", repository="team/app", tag="v2", digest=v2.digest, event_id="p2"),
    )
    assert SyncRequest.objects.filter(registry=row, repository="team/app").count() == 1
    run_worker()
    assert tags_of(row) == {"team/app": {"v1": v1.digest, "v2": v2.digest}}

    requests.delete(f"{reg.url}/v2/team/app/manifests/{v1.digest}", timeout=10).raise_for_status()
    post_events(client, event("delete", repository="team/app", tag=None, digest=v1.digest))
    run_worker()
    assert tags_of(row) == {"team/app": {"v2": v2.digest}}
    assert not SyncRequest.objects.exists()
    assert DBTaskResult.objects.filter(status="SUCCESSFUL").count() == 2


def test_a_repository_sync_found_held_runs_again_when_the_lease_ends(
    registry_factory, registry_row
):
    """A full sync may have read the tag list before the push that enqueued this sync: the
    push is indexed after the holder's lease ends, not lost."""
    reg = registry_factory()
    image = push_image(reg, "team/app", "v1", seed="held")
    row = registry_row(reg, name="held")
    expires = timezone.now() + timedelta(minutes=1)
    SyncLease.objects.create(registry=row, repository="team/app", holder="other", expires=expires)
    inventory_enqueue_repository(registry=row, repository="team/app")
    run_worker()
    assert tags_of(row) == {}
    assert DBTaskResult.objects.get(status="SUCCESSFUL").return_value == {
        "skipped": True,
        "held_until": expires.isoformat(),
    }
    retry = SyncRequest.objects.get(registry=row, repository="team/app")
    assert retry.due == expires
    assert DBTaskResult.objects.get(status="READY").run_after == expires

    SyncLease.objects.all().delete()  # the holder finished
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())  # time passes
    run_worker()
    assert tags_of(row) == {"team/app": {"v1": image.digest}}
    assert not SyncRequest.objects.exists()
