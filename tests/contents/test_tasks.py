"""Big layers are listed by the worker (django_tasks_db's real db_worker, in-process): the
page says so, queues one task however often it is visited, and shows the tree after; a read
out of time goes from the page to the worker, and past REGFRONT_LAYER_READ_SECONDS says so."""

import io
import re
import time

import pytest
from django_tasks_db.models import DBTaskResult

from registries.contents.models import LayerListing
from registries.contents.services import ProgressReader
from registries.contents.tasks import list_layer
from tests.contents.build import OCI_LAYER_GZIP, many_entries_layer, push_layers
from tests.inventory.test_tasks import run_worker

pytestmark = pytest.mark.django_db(transaction=True)

MANY = 200_000


@pytest.fixture(scope="module")
def reg(registry_factory):
    reg = registry_factory()
    push_layers(reg, "big/many", "v1", [(many_entries_layer(MANY), OCI_LAYER_GZIP)])
    return reg


@pytest.fixture
def row(reg, registry_row):
    return registry_row(reg, name="big")


def files_page(client, path: str = "") -> str:
    response = client.get(f"/registry/big/big/many:v1/files/{path}")
    assert response.status_code == 200, response.content[:3000]
    return response.content.decode()


def test_200000_entries_are_listed_by_the_worker(client, row, settings):
    settings.REGFRONT_LAYER_INLINE_BYTES = 1024  # the layer is ~2 MB: the worker's
    for _ in range(3):
        assert "Listing 1 of 1 layer… the worker reads big layers" in files_page(client)
    assert DBTaskResult.objects.count() == 1  # queued once
    started = time.monotonic()
    run_worker()
    seconds = time.monotonic() - started
    listing = LayerListing.objects.get()
    assert (listing.state, listing.entry_count) == ("ready", MANY)
    assert len(listing.entries) < 1024 * 1024  # ~0.6 MB for 200,000 entries
    html = files_page(client, "many/d399")
    assert html.count('<th scope="row">') == 500
    assert ">f499</a>" in html
    print(f"worker listed {MANY:,} entries in {seconds:.1f} s")


def test_a_task_that_runs_twice_does_nothing_the_second_time(client, row, settings):
    settings.REGFRONT_LAYER_INLINE_BYTES = 1024
    files_page(client)
    listing = LayerListing.objects.get()
    assert list_layer.call(listing_id=listing.pk, repository="big/many") == {"read": True}
    assert list_layer.call(listing_id=listing.pk, repository="big/many") == {"read": False}
    assert LayerListing.objects.get().state == "ready"


def test_a_read_out_of_time_goes_to_the_worker_then_says_which_limit(client, row, settings):
    settings.REGFRONT_LAYER_READ_SECONDS = 0.5  # far less than 200,000 entries take
    html = files_page(client)  # listed in the request first (small enough), out of time
    assert "Listing 1 of 1 layer" in html
    assert "Layer 1 (" in html and "waiting for the worker" in html
    assert LayerListing.objects.get().compressed_size is None  # the cut-off read counts nothing
    assert DBTaskResult.objects.count() == 1
    run_worker()
    html = files_page(client)
    assert "Layer 1 cannot be listed: Reading the layer took longer than allowed." in html
    assert "<code>REGFRONT_LAYER_READ_SECONDS</code>" in html
    assert DBTaskResult.objects.count() == 1  # a layer past its limit is not retried


def test_a_layer_being_read_shows_how_far_it_got(client, row, settings):
    settings.REGFRONT_LAYER_INLINE_BYTES = 1024
    files_page(client)
    listing = LayerListing.objects.get()
    # What a worker's read in progress leaves in the row (ProgressReader's reports, below).
    LayerListing.objects.filter(pk=listing.pk).update(state="listing", compressed_size=1000)
    html = files_page(client)
    size = re.search(r'<progress max="(\d+)" value="1000"', html)
    assert size, html
    listing_size = int(size.group(1))
    assert listing_size > 1_000_000  # the layer's size from its manifest
    assert f"{1000 * 100 // listing_size} %</progress>" in html


def test_progress_is_reported_while_reading_and_at_most_once_per_interval():
    reports = []
    source = io.BytesIO(b"x" * 10_000)
    reader = ProgressReader(source, reports.append, seconds=0)
    while reader.read(1000):
        pass
    assert reports == [*range(1000, 10_001, 1000), 10_000]  # the final empty read too
    assert reader.done == 10_000
    quiet = ProgressReader(io.BytesIO(b"x" * 10_000), reports.append, seconds=3600)
    while quiet.read(1000):
        pass
    assert len(reports) == 11  # nothing from the reader that reports hourly
