"""Stale-while-revalidate, counted against a real registry and run by the real worker
(django_tasks_db's db_worker, in this process so that it shares the local-memory cache; on
Redis every process shares it anyway): a page that finds its entries past the TTL asks the
registry nothing and queues one refresh per entry, however many requests find them; the
worker's refresh is what the next page shows. Never timed: entries age for real (TTL 1 s).
"""

import threading
import time

import pytest
from django.core.cache import cache
from django.db import connections
from django.test import Client
from django_tasks_db.models import DBTaskResult

from registries import services
from registries.models import Registry
from registries.services.cache import pages_stamp_key
from registries.services.refresh import revalidations_run
from tests.inventory.test_tasks import run_worker
from tests.support.images import push_image
from tests.test_speed_pages import kinds

pytestmark = pytest.mark.django_db(transaction=True)

REPO = "swr/app"
TASK = "registries.services.tasks.refresh_many"


@pytest.fixture
def aging(settings):
    settings.REGFRONT_CACHE_TTL = 1  # seconds; the only way to let entries age for real
    settings.REGFRONT_REFRESH_IN = "worker"  # the worker shares this process's memory


def let_ttl_pass() -> None:
    time.sleep(1.2)


def refreshes() -> list[dict]:
    """The works (job, entries, arguments) of the queued refresh tasks, oldest first."""
    rows = DBTaskResult.objects.filter(task_path=TASK).order_by("enqueued_at")
    return [work for row in rows for work in row.args_kwargs["kwargs"]["works"]]


def queued() -> int:
    return DBTaskResult.objects.filter(task_path=TASK).count()


def reports(rows) -> list[dict]:
    """What each work of these finished tasks reported."""
    return [report for row in rows for report in row.return_value]


def entries_of(tasks: list[dict]) -> list[str]:
    return [key for task in tasks for key in task["entries"]]


def tag_links(html: str) -> list[str]:
    return [tag for tag in ("old-1", "old-2", "new-3") if f">{tag}</a>" in html]


@pytest.fixture
def swr_registry(registry_factory, registry_row, client):
    running = registry_factory(dataset=None)
    row = registry_row(running, name="swr")
    images = {
        tag: push_image(running, REPO, tag, seed=f"swr-{tag}", layers=1)
        for tag in ("old-1", "old-2")
    }

    def page(path: str = "") -> str:
        response = client.get(f"/registry/swr/{REPO}{path}")
        assert response.status_code == 200
        return response.content.decode()

    return running, row, images, page


def test_a_page_finding_its_entries_stale_asks_nothing_and_queues_one_refresh_each(
    aging, swr_registry, registry_requests
):
    _, _, _, page = swr_registry
    page("/")
    let_ttl_pass()
    registry_requests.clear()

    stale = page("/")
    assert tag_links(stale) == ["old-1", "old-2"]
    assert registry_requests == []  # served as it was: the tag list and both tags are stale
    assert "Live from the registry, read <time" in stale and "being refreshed" in stale
    tasks = refreshes()
    assert sorted(task["job"] for task in tasks) == ["tags", "tags-resolve"]
    resolve = next(task for task in tasks if task["job"] == "tags-resolve")
    assert sorted(resolve["entries"].values()) == ["old-1", "old-2"]
    assert len(entries_of(tasks)) == len(set(entries_of(tasks))) == 3
    assert queued() == 1  # one task for the page: its refreshes land together

    page("/")  # found stale again while the refresh waits in the queue: nothing more
    assert registry_requests == [] and len(refreshes()) == 2

    run_worker()
    # The refresh, not a page: the list once, each tag with a conditional GET (unchanged).
    assert kinds(registry_requests, registry="swr") == {
        "GET tags": 1,
        "GET manifest": 2,
        "304": 2,
    }
    finished = DBTaskResult.objects.filter(task_path=TASK)
    assert {row.status for row in finished} == {"SUCCESSFUL"}
    assert sorted(report["refreshed"] for report in reports(finished)) == [1, 2]

    registry_requests.clear()
    fresh = page("/")
    assert registry_requests == [] and len(refreshes()) == 2  # fresh again: nothing queued
    assert "Live from the registry, read <time" in fresh and "being refreshed" not in fresh


def test_the_catalog_says_how_old_its_listing_is_and_refreshes_it_once(
    aging, swr_registry, client, registry_requests
):
    def catalog() -> str:
        response = client.get("/registry/swr/")
        assert response.status_code == 200
        return response.content.decode()

    assert "(being refreshed)" not in catalog()
    let_ttl_pass()
    registry_requests.clear()
    first, second = catalog(), catalog()
    assert (
        "· listed <time" in first and "(being refreshed)" in first and "(being refreshed)" in second
    )
    assert [r for r in registry_requests if r.path != "/v2/"] == []
    assert [task["job"] for task in refreshes()] == ["catalog"]
    # The catalog page also queued the index's first sync, earlier: the refresh goes first.
    sync = DBTaskResult.objects.get(task_path="registries.inventory.tasks.sync_registry")
    assert sync.status == "READY"
    run_worker("--max-tasks", "1")
    done = DBTaskResult.objects.get(task_path=TASK)
    assert done.status == "SUCCESSFUL" and done.return_value == [
        {"job": "catalog", "refreshed": 1, "skipped": 0}
    ]
    sync.refresh_from_db()
    assert sync.status == "READY"
    assert "(being refreshed)" not in catalog()


def test_concurrent_requests_finding_an_entry_stale_queue_one_refresh_of_it(
    aging, swr_registry, registry_requests
):
    _, _, images, page = swr_registry
    page(":old-1")  # the tag page: the tag, its referrers, the tag list, the sibling groups
    let_ttl_pass()
    registry_requests.clear()

    count = 8
    barrier = threading.Barrier(count)
    statuses: list[int] = []

    def visit() -> None:
        barrier.wait()
        try:
            statuses.append(Client().get(f"/registry/swr/{REPO}:old-1").status_code)
        finally:
            connections.close_all()  # this thread's connections, before the test database goes

    threads = [threading.Thread(target=visit) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert statuses == [200] * count
    assert registry_requests == []
    tasks = refreshes()
    assert sorted(task["job"] for task in tasks) == [
        "referrers",
        "tag-groups",
        "tags",
        "tags-resolve",
    ]
    assert len(entries_of(tasks)) == len(set(entries_of(tasks))) == 4
    assert queued() == 1
    resolve = next(task for task in tasks if task["job"] == "tags-resolve")
    assert list(resolve["entries"].values()) == ["old-1"]
    assert images["old-1"].digest in page(":old-1")


def test_the_refreshed_entry_is_served_next(aging, swr_registry, registry_requests):
    running, _, images, page = swr_registry
    page("/")
    page(":old-2")
    let_ttl_pass()
    moved = push_image(running, REPO, "old-2", seed="swr-old-2-moved", layers=1)
    new = push_image(running, REPO, "new-3", seed="swr-new-3", layers=1)
    registry_requests.clear()

    first = page("/")
    assert tag_links(first) == ["old-1", "old-2"]  # what the page had: the old list
    assert images["old-2"].digest[7:19] in first and moved.digest[7:19] not in first
    tag_page = page(":old-2")
    assert images["old-2"].digest in tag_page and moved.digest not in tag_page
    assert registry_requests == []

    run_worker()
    registry_requests.clear()
    second = page("/")
    assert tag_links(second) == ["old-1", "old-2", "new-3"]
    assert moved.digest[7:19] in second and images["old-2"].digest[7:19] not in second
    # Only what no page had seen is fetched now: the new tag's manifest and config (the
    # refresh already read old-2's new manifest and config).
    assert kinds(registry_requests, registry="swr") == {"GET manifest": 1, "GET blob": 1}
    assert new.digest[7:19] in second
    tag_page = page(":old-2")
    assert moved.digest in tag_page and images["old-2"].digest not in tag_page


def test_a_delete_through_regfront_is_never_hidden_by_a_stale_entry(
    aging, swr_registry, registry_requests
):
    _, row, images, page = swr_registry
    page("/")
    let_ttl_pass()
    services.manifest_delete(registry=row, repository=REPO, digest=images["old-2"].digest)
    registry_requests.clear()
    assert tag_links(page("/")) == ["old-1"]
    assert kinds(registry_requests, registry="swr")["GET tags"] == 1  # asked, not served stale
    assert refreshes() == []


def test_refresh_asks_the_registry_while_the_page_waits(aging, swr_registry, registry_requests):
    _, _, _, page = swr_registry
    page("/")
    let_ttl_pass()
    registry_requests.clear()
    page("/?refresh=1")
    assert kinds(registry_requests, registry="swr") == {"GET tags": 1, "GET manifest": 2, "304": 2}
    assert refreshes() == []


def test_a_refresh_keeps_the_stale_entries_when_the_registry_is_down(
    aging, registry_factory, registry_row, client, registry_requests, caplog
):
    running = registry_factory(auth="basic", dataset=None)
    push_image(running, REPO, "old-1", seed="swr-down", layers=1)
    registry_row(running, name="swr")
    assert client.get(f"/registry/swr/{REPO}/").status_code == 200
    let_ttl_pass()
    running.stop()
    registry_requests.clear()

    assert tag_links(client.get(f"/registry/swr/{REPO}/").content.decode()) == ["old-1"]
    assert registry_requests == [] and len(refreshes()) == 2
    run_worker()  # never raises: each task reports what it could not refresh
    finished = DBTaskResult.objects.filter(task_path=TASK)
    assert {row.status for row in finished} == {"SUCCESSFUL"}
    assert all(report["failed"] >= 1 for report in reports(finished))
    assert "kept" in caplog.text and running.password not in caplog.text

    # Still served; the claims outlive the failure, so no page queues the same refresh again.
    assert tag_links(client.get(f"/registry/swr/{REPO}/").content.decode()) == ["old-1"]
    assert len(refreshes()) == 2
    task = DBTaskResult.objects.get(task_path=TASK).args_kwargs["kwargs"]
    row = Registry.objects.get(pk=task["registry_id"])
    again = revalidations_run(registry=row, works=task["works"])
    assert all(report["failed"] >= 1 for report in again)  # run twice: still no exception


def test_with_no_stale_window_a_page_revalidates_as_before(
    aging, settings, swr_registry, registry_requests
):
    settings.REGFRONT_STALE_SECONDS = 0
    _, _, _, page = swr_registry
    page("/")
    let_ttl_pass()
    registry_requests.clear()
    page("/")
    assert kinds(registry_requests, registry="swr") == {"GET tags": 1, "GET manifest": 2, "304": 2}
    assert refreshes() == []


def test_in_process_a_thread_refreshes_what_the_page_served_stale(
    aging, settings, swr_registry, registry_requests
):
    settings.REGFRONT_REFRESH_IN = "process"  # `auto` with the local-memory cache
    running, row, _, page = swr_registry
    page("/")
    let_ttl_pass()
    push_image(running, REPO, "new-3", seed="swr-thread-new-3", layers=1)
    registry_requests.clear()

    stamp = cache.get(pages_stamp_key(row.pk, REPO))
    assert tag_links(page("/")) == ["old-1", "old-2"]
    # The run has landed when it moves the pages stamp, after the last entry it replaced
    # (the tag list is fresh a little earlier, while its manifests are still asked).
    deadline = time.monotonic() + 20
    while cache.get(pages_stamp_key(row.pk, REPO)) == stamp:
        assert time.monotonic() < deadline, "the refresh thread did not finish"
        time.sleep(0.05)
    assert not services.tag_list_age(registry=row, repository=REPO).refreshing
    assert refreshes() == []  # no task: the thread did it
    assert kinds(registry_requests, registry="swr")["GET tags"] == 1
    assert tag_links(page("/")) == ["old-1", "old-2", "new-3"]
