"""Pages answer from the index where it has the repository, live where it does not, and say
which; an index that failed or aged says it may be stale. Counted against a real registry."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from registries.inventory.models import IndexedRepository, IndexedTag, SyncRequest, SyncState
from registries.inventory.services import registry_sync, repository_sync
from tests.support.images import push_image, tag_existing

pytestmark = pytest.mark.django_db

APP = "pages/app"
SHARED = [f"s{i:02d}" for i in range(30)]  # all point at the digest of 1.0
CREATED = {  # pushed out of date order: newest first is not push order
    "1.0": "2024-01-01T00:00:00Z",
    "0.9": "2023-01-01T00:00:00Z",
    "1.10": "2025-01-01T00:00:00Z",
    "2.0": "2024-06-01T00:00:00Z",
}
UPDATED_NOW = re.compile(r"From the index, updated <time [^>]+>just now</time>")


@pytest.fixture(scope="module")
def reg(registry_factory):
    """A registry of its own: `pages/app` (34 tags, 4 images) and `pages/other` (1 tag)."""
    running = registry_factory()
    images = {
        tag: push_image(running, APP, tag, seed=f"pages-{tag}", created=created, layers=1)
        for tag, created in CREATED.items()
    }
    for tag in SHARED:
        tag_existing(running, APP, tag, images["1.0"].manifest_bytes, images["1.0"].media_type)
    push_image(running, "pages/other", "v1", seed="pages-other", layers=1)
    running.images = images
    return running


@pytest.fixture
def row(reg, registry_row):
    return registry_row(reg, name="pages")


def get(client, path: str) -> str:
    response = client.get(f"/registry/pages/{path}")
    assert response.status_code == 200, response.content[:500]
    return response.content.decode()


def section(page: str, heading: str) -> str:
    start = page.index(f'id="{heading}"')
    return page[start : page.index("</section>", start)]


def tags_on(page: str) -> list[str]:
    return re.findall(r'class="tag-link" href="/registry/pages/[^"]+:([^"]+)"', page)


def requests_by_path(records) -> list[tuple[str, str]]:
    return sorted((r.method, r.path) for r in records if r.registry == "pages")


# --- the tag page -------------------------------------------------------------------------


def test_an_indexed_tag_page_lists_every_sibling_from_the_index_without_a_head_per_tag(
    client, reg, row, settings, registry_requests
):
    settings.REGFRONT_SIBLING_TAGS_MAX = 10  # live, 34 tags would be "too many to check"
    repository_sync(registry=row, repository=APP)
    registry_requests.clear()

    page = get(client, f"{APP}:s05")
    siblings = section(page, "siblings-heading")
    assert UPDATED_NOW.search(siblings)
    listed = re.findall(r">([^<>]+)</a></li>", siblings)
    assert listed == ["1.0"] + [t for t in SHARED if t != "s05"]
    image = reg.images["1.0"]
    # The manifest by tag and its config, and the referrers API (distribution 2.8 has none:
    # a 404); the index has no referrers tag `sha256-<hex>`, so that is not asked for. No
    # tag list, no HEAD at all.
    assert requests_by_path(registry_requests) == [
        ("GET", f"/v2/{APP}/blobs/{image.config_digest}"),
        ("GET", f"/v2/{APP}/manifests/s05"),
        ("GET", f"/v2/{APP}/referrers/{image.digest}"),
    ]
    # The registry's 404 is remembered: another image's page costs its manifest and config.
    registry_requests.clear()
    get(client, f"{APP}:2.0")
    assert requests_by_path(registry_requests) == [
        ("GET", f"/v2/{APP}/blobs/{reg.images['2.0'].config_digest}"),
        ("GET", f"/v2/{APP}/manifests/2.0"),
    ]


def test_a_referrers_tag_in_the_index_is_still_read(
    client, registry_factory, registry_row, registry_requests
):
    running = registry_factory()
    signed = push_image(running, "signed/app", "v1", seed="pages-signed", layers=1)
    hex_ = signed.digest.split(":")[1]
    push_image(running, "signed/app", f"sha256-{hex_}", seed="pages-referrers", layers=1)
    row = registry_row(running, name="signed")
    repository_sync(registry=row, repository="signed/app")
    registry_requests.clear()
    response = client.get("/registry/signed/signed/app:v1")
    assert response.status_code == 200
    asked = sorted((r.method, r.path) for r in registry_requests if r.registry == "signed")
    assert ("GET", f"/v2/signed/app/manifests/sha256-{hex_}") in asked


def test_siblings_are_listed_in_full_for_5000_tags_in_one_query(client, reg, row, settings):
    """5,000 tags sharing a digest, as a sync would write them (pushing 5,000 tags to the
    real registry would only slow the suite); the manifest itself is fetched live."""
    repository_sync(registry=row, repository=APP)
    indexed = IndexedRepository.objects.get(registry=row, name=APP)
    now = timezone.now()
    digest = reg.images["1.0"].digest
    IndexedTag.objects.bulk_create(
        IndexedTag(
            repository=indexed, name=f"n{i:04d}", digest=digest, first_seen=now, last_seen=now
        )
        for i in range(5000)
    )
    with CaptureQueriesContext(connection) as queries:
        siblings = section(get(client, f"{APP}:1.0"), "siblings-heading")
    assert siblings.count("<li>") == 5000 + len(SHARED)
    assert "n4999</a>" in siblings and "s29</a>" in siblings
    # The supply-chain badge's look-up of cosign's helper tags (`sha256-<hex>.sig`) is its own.
    tag_reads = [
        q for q in queries if "indexedtag" in q["sql"].lower() and "sha256-" not in q["sql"]
    ]
    assert len(tag_reads) == 1


def test_an_unindexed_repository_answers_live_and_says_so(client, reg, row, registry_requests):
    repository_sync(registry=row, repository=APP)  # another repository is indexed
    registry_requests.clear()
    siblings = section(get(client, "pages/other:v1"), "siblings-heading")
    assert "Live from the registry" in siblings
    assert "No other tag points at this digest." in siblings
    assert ("GET", "/v2/pages/other/tags/list") in requests_by_path(registry_requests)


def test_the_tag_page_shows_the_live_manifest_when_the_index_is_behind(client, reg, row):
    repository_sync(registry=row, repository="pages/other")
    moved = push_image(reg, "pages/other", "v1", seed="pages-other-moved", layers=1)
    try:
        page = get(client, "pages/other:v1")
        assert moved.digest in page  # live, not the digest the index still holds
        assert "From the index, updated" in section(page, "siblings-heading")
    finally:
        push_image(reg, "pages/other", "v1", seed="pages-other", layers=1)


# --- the repository page ------------------------------------------------------------------


def test_newest_first_is_served_from_the_index_past_the_live_limit(
    client, reg, row, settings, registry_requests
):
    settings.REGFRONT_SORT_BY_DATE_MAX = 3
    live = get(client, f"{APP}/?sort=newest")
    assert "Sorting by date is offered for up to 3 tags" in live
    assert "Live from the registry" in live

    repository_sync(registry=row, repository=APP)
    registry_requests.clear()
    page = get(client, f"{APP}/?sort=newest")
    assert "Sorting by date is offered" not in page
    assert UPDATED_NOW.search(page)
    # 2025, 2024-06, then 1.0 and its 30 siblings (2024-01, by version among themselves), 2023.
    assert tags_on(page) == ["1.10", "2.0", "1.0", *SHARED, "0.9"]
    by_version = get(client, f"{APP}/")
    assert tags_on(by_version) == ["0.9", "1.0", "1.10", "2.0", *SHARED]
    assert registry_requests == []  # list, digests, sizes, created: all from the index
    newest = reg.images["1.10"]
    assert newest.digest.split(":")[1][:12] in page
    assert f'title="{newest.size:,} bytes"' in page


def test_refresh_answers_live_and_queues_a_sync_of_the_repository(client, row):
    repository_sync(registry=row, repository=APP)
    page = get(client, f"{APP}/?refresh=1")
    assert "Live from the registry" in page
    assert SyncRequest.objects.filter(registry=row, repository=APP).exists()


def test_an_index_past_its_max_age_says_it_may_be_stale_and_queues_a_sync(client, row, settings):
    repository_sync(registry=row, repository=APP)
    old = timezone.now() - timedelta(seconds=settings.REGFRONT_INDEX_MAX_AGE + 60)
    IndexedRepository.objects.filter(registry=row, name=APP).update(last_synced=old)
    page = get(client, f"{APP}/")
    assert "<strong>the index may be stale</strong>: a sync is queued" in page
    assert len(tags_on(page)) == len(CREATED) + len(SHARED)  # still served, from the index
    assert SyncRequest.objects.filter(registry=row, repository=APP).count() == 1


def test_a_failed_sync_keeps_the_pages_on_the_index_and_says_why(client, row):
    repository_sync(registry=row, repository=APP)
    SyncState.objects.create(
        registry=row,
        state=SyncState.State.FAILED,
        finished=timezone.now(),
        last_error="The registry could not be reached.",
    )
    page = get(client, f"{APP}/")
    assert (
        "the index may be stale</strong>: its last sync failed "
        "(The registry could not be reached.)" in page
    )
    assert "From the index" in section(get(client, f"{APP}:2.0"), "siblings-heading")


def test_an_indexed_group_limited_registry_stays_hidden(client, row):
    repository_sync(registry=row, repository=APP)
    row.groups.add(Group.objects.create(name="insiders"))
    for path in (f"{APP}/", f"{APP}:1.0", ""):
        assert client.get(f"/registry/pages/{path}").status_code == 404


# --- the catalog --------------------------------------------------------------------------


def test_the_catalog_shows_tag_counts_and_newest_build_time_in_one_query(client, row):
    registry_sync(registry=row)
    row.pinned_repositories = "pages/other"
    row.save()
    with CaptureQueriesContext(connection) as queries:
        page = get(client, "?ns=pages")
    # Read before the next request: Django empties the query log when a request starts.
    assert len([q for q in queries if "indexedtag" in q["sql"].lower()]) == 1
    apps = page[page.index(f">{APP}</a>") :].split("</li>")[0]
    assert '34 tags · newest image built <time datetime="2025-01-01T00:00:00+00:00"' in apps
    assert "1 tag · newest image built" in page.split(">pages/other</a>")[1].split("</li>")[0]
    assert "newest image's build time (its config's <code>created</code>)" in page
    pinned = section(get(client, ""), "pinned-heading")
    assert 'pinned</span> <span class="muted repo-stats">1 tag · newest image built' in pinned


def test_a_catalog_never_indexed_shows_names_only(client, row):
    page = get(client, "?ns=pages")
    assert f">{APP}</a>" in page
    assert "repo-stats" not in page and "come from the index" not in page
