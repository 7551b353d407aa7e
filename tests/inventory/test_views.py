"""The catalog page shows the index's state and asks for a sync when it is stale; *Sync now*
queues one for people who may change the registry."""

import pytest

from registries.client import errors
from registries.inventory.models import SyncRequest, SyncState
from registries.inventory.services import registry_sync
from tests.inventory.test_tasks import run_worker
from tests.support.images import push_image

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def small(registry_factory):
    reg = registry_factory()
    push_image(reg, "team/app", "v1", seed="views-v1")
    return reg


def test_a_catalog_visit_queues_one_sync_of_a_registry_never_indexed(client, small, registry_row):
    row = registry_row(small, name="small")
    for _ in range(3):
        page = client.get("/registry/small/").content.decode()
        assert "Not indexed yet" in page
    assert SyncRequest.objects.filter(registry=row, repository="").count() == 1

    run_worker()  # the queued sync runs in the real worker
    page = client.get("/registry/small/").content.decode()
    assert "Indexed <time" in page
    assert SyncState.objects.get(registry=row).state == "idle"


def test_a_fresh_index_queues_nothing(client, small, registry_row):
    row = registry_row(small, name="small")
    registry_sync(registry=row)
    SyncRequest.objects.filter(registry=row).delete()  # the chain's successor, for this test
    assert "Indexed <time" in client.get("/registry/small/").content.decode()
    assert not SyncRequest.objects.filter(registry=row).exists()


def test_it_shows_a_failed_sync_with_the_registrys_error(
    client, small, closed_port_url, registry_row
):
    row = registry_row(small, name="small")
    live_url, row.url = row.url, closed_port_url
    row.save()
    with pytest.raises(errors.Unreachable):
        registry_sync(registry=row)
    row.url = live_url  # back: the catalog answers, the index says what went wrong
    row.save()
    page = client.get("/registry/small/").content.decode()
    assert "Indexing failed" in page
    assert "The registry could not be reached." in page


def test_sync_now_needs_the_change_permission_and_a_post(client, persona, small, registry_row):
    row = registry_row(small, name="small")
    persona("pat")
    assert client.post("/manage/registries/small/sync/").status_code == 403
    assert not SyncRequest.objects.filter(registry=row).exists()
    assert "Sync now" not in client.get("/registry/small/").content.decode()


def test_sync_now_queues_a_sync(client, persona, small, registry_row):
    row = registry_row(small, name="small")
    persona("chris")
    assert "Sync now" in client.get("/registry/small/").content.decode()
    assert client.get("/manage/registries/small/sync/").status_code == 405
    response = client.post("/manage/registries/small/sync/", follow=True)
    assert "A sync of small is queued" in response.content.decode()
    assert SyncRequest.objects.filter(registry=row, repository="").count() == 1
