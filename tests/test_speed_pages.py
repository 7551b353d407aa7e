"""What pages cost in registry requests, counted against real registries (never timed).

Cold, a repository page asks for the tag list once, then per visible tag one manifest GET
(by tag: it gives the digest and the body) and per distinct image one config GET, so at most
2 x visible tags + 1. Warm (within REGFRONT_CACHE_TTL) it asks nothing. After the TTL the
page still asks nothing (it shows what it had); its background refresh costs one conditional
GET per visible tag (304 when unchanged); a tag that moved costs the same one request plus
its new config.
"""

import time
from collections import Counter

import pytest

from tests.inventory.test_tasks import run_worker
from tests.support.images import MANY_TAG_NAMES, MANY_TAGS, push_image

pytestmark = pytest.mark.django_db

VISIBLE = 50  # REGFRONT_TAGS_PER_PAGE


def kinds(records, *, registry: str) -> Counter:
    """Count requests by what they ask for: tags, catalog, manifest, blob, referrers."""
    counted = Counter()
    for record in records:
        if record.registry != registry:
            continue
        path = record.path
        if path.endswith("/tags/list") or "/tags/list?" in path:
            what = "tags"
        elif "/_catalog" in path:
            what = "catalog"
        elif "/manifests/" in path:
            what = "manifest"
        elif "/blobs/" in path:
            what = "blob"
        elif "/referrers/" in path:
            what = "referrers"
        else:
            what = "other"
        counted[f"{record.method} {what}"] += 1
        if record.outcome == "not_modified":
            counted["304"] += 1
    return counted


@pytest.fixture
def open_registry(client, registry_open, registry_row):
    registry_row(registry_open, name="open")
    return lambda path: client.get(f"/registry/open/{path}")


def test_it_fetches_manifest_and_config_per_visible_digest_cold_and_nothing_warm(
    open_registry, registry_open, registry_requests
):
    dataset = registry_open.dataset
    visible = MANY_TAG_NAMES[:VISIBLE]
    distinct = {dataset.digest(MANY_TAGS, tag) for tag in visible}
    assert len(MANY_TAG_NAMES) > VISIBLE and 1 < len(distinct) < VISIBLE

    assert open_registry(f"{MANY_TAGS}/").status_code == 200
    cold = kinds(registry_requests, registry="open")
    # One tag list; one GET per visible tag (tag -> digest + body); one config per image.
    assert cold == {"GET tags": 1, "GET manifest": VISIBLE, "GET blob": len(distinct)}
    assert sum(cold.values()) <= 2 * VISIBLE + 1

    registry_requests.clear()
    assert open_registry(f"{MANY_TAGS}/").status_code == 200
    assert open_registry(f"{MANY_TAGS}/?page=1").status_code == 200
    assert registry_requests == []


def test_it_costs_what_the_next_page_shows_not_what_exists(open_registry, registry_requests):
    open_registry(f"{MANY_TAGS}/")
    registry_requests.clear()
    open_registry(f"{MANY_TAGS}/?page=3")  # 30 tags, the tag list is already cached
    counted = kinds(registry_requests, registry="open")
    assert counted["GET tags"] == 0
    assert counted["GET manifest"] == len(MANY_TAG_NAMES) - 2 * VISIBLE


@pytest.mark.django_db(transaction=True)
def test_it_revalidates_with_conditional_gets_and_refetches_only_a_moved_tag(
    client, registry_factory, registry_row, registry_requests, settings
):
    running = registry_factory(dataset=None)
    registry_row(running, name="mutable")
    for tag in ("a", "b", "c"):
        push_image(running, "reval/app", tag, seed=f"reval-{tag}", layers=1)
    settings.REGFRONT_CACHE_TTL = 1  # seconds; the only way to let entries age for real
    settings.REGFRONT_REFRESH_IN = "worker"  # the in-process worker below shares the cache

    def page():
        assert client.get("/registry/mutable/reval/app/").status_code == 200

    page()
    assert kinds(registry_requests, registry="mutable") == {
        "GET tags": 1,
        "GET manifest": 3,
        "GET blob": 3,
    }

    registry_requests.clear()
    time.sleep(1.2)
    page()  # stale: served as it was; the background refresh revalidates
    assert registry_requests == []
    run_worker()  # one conditional GET per tag, every one a 304, no body, no config
    assert kinds(registry_requests, registry="mutable") == {
        "GET tags": 1,
        "GET manifest": 3,
        "304": 3,
    }

    push_image(running, "reval/app", "b", seed="reval-b-moved", layers=1)
    registry_requests.clear()
    time.sleep(1.2)
    page()
    assert registry_requests == []
    run_worker()  # only b changed: its conditional GET answers 200, then its new config
    assert kinds(registry_requests, registry="mutable") == {
        "GET tags": 1,
        "GET manifest": 3,
        "304": 2,
        "GET blob": 1,
    }
    assert "reval-b-moved" not in client.get("/registry/mutable/reval/app/").content.decode()
    assert client.get("/registry/mutable/reval/app:b").status_code == 200


def test_it_refreshes_listings_and_tags_on_request_with_one_conditional_get_each(
    open_registry, registry_requests
):
    open_registry("app/")
    registry_requests.clear()
    assert open_registry("app/?refresh=1").status_code == 200
    # The tag list is read again; each tag is revalidated (304), bodies come from the cache.
    assert kinds(registry_requests, registry="open") == {
        "GET tags": 1,
        "GET manifest": 4,
        "304": 4,
    }


def test_it_lists_the_catalog_in_pages_of_1000_and_then_not_at_all(
    client, registry_open, registry_row, registry_requests
):
    registry_row(registry_open, name="open")
    assert client.get("/registry/open/").status_code == 200
    # distribution answers 100 repositories per page unless asked for more: one request for
    # all of them shows regfront asks for 1000 (the query is not in the record).
    assert len(registry_open.dataset.repositories) > 100
    assert kinds(registry_requests, registry="open")["GET catalog"] == 1
    registry_requests.clear()
    # Namespace levels, paging, filtering and the home page's count: all from the one listing.
    for path in ("", "?ns=many", "?ns=many&page=2", "?q=repo-01", "?q=app", "?refresh=0"):
        assert client.get(f"/registry/open/{path}").status_code == 200
    assert "many/repo-119" in client.get("/registry/open/?ns=many&page=2").content.decode()
    assert [r for r in registry_requests if r.path != "/v2/"] == []


def test_it_refreshes_the_catalog_on_request(
    client, registry_open, registry_row, registry_requests
):
    registry_row(registry_open, name="open")
    client.get("/registry/open/")
    registry_requests.clear()
    client.get("/registry/open/?refresh=1")
    assert kinds(registry_requests, registry="open") == {"GET catalog": 1}


def test_a_tag_page_costs_nothing_warm(open_registry, registry_open, registry_requests):
    assert open_registry("app:1.2.0").status_code == 200
    cold = kinds(registry_requests, registry="open")
    tags = len(registry_open.dataset.tags("app"))
    # The manifest by tag, its config, the tag list, and one HEAD per other tag to list the
    # tags sharing its digest; referrers (or the referrers-tag fallback) at most twice.
    assert cold["GET manifest"] >= 1 and cold["GET blob"] == 1 and cold["GET tags"] == 1
    assert cold["HEAD manifest"] == tags - 1
    assert sum(cold.values()) <= tags + 5

    registry_requests.clear()
    assert open_registry("app:1.2.0").status_code == 200
    assert registry_requests == []


def test_a_repository_page_after_it_leaves_every_tag_page_warm(open_registry, registry_requests):
    open_registry("app/")
    open_registry("app:1.2.0")
    registry_requests.clear()
    for tag in ("1.2.0", "1.9.3", "1.10.0", "latest"):
        assert open_registry(f"app:{tag}").status_code == 200
    counted = kinds(registry_requests, registry="open")
    assert counted["HEAD manifest"] == 0 and counted["GET tags"] == 0 and counted["GET blob"] == 0
