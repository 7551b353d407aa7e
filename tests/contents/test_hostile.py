"""Hostile layers on a real registry get a clear page, never a 500, and nothing is written
anywhere: names leaving the image, a gzip bomb, too many entries, a cut-off stream, a blob
that does not match its digest (faked with `responses`: a real registry refuses to store
one), media types that lie, and a registry failing mid-way."""

import gzip
import time
from pathlib import Path

import pytest
import responses

from registries.contents.models import LayerListing
from tests.contents.build import (
    OCI_LAYER_GZIP,
    OCI_LAYER_TAR,
    OCI_LAYER_ZSTD,
    d,
    f,
    gz,
    many_entries_layer,
    push_layers,
    tar_bytes,
    zst,
)

pytestmark = pytest.mark.django_db

ESCAPE = Path("/tmp/rf-contents-escape-test")
NORMAL = tar_bytes([d("app"), f("app/main.py", b"print('hi')\n")])
MANY = 20_000


@pytest.fixture(scope="module")
def reg(registry_factory):
    reg = registry_factory()
    climbing = tar_bytes(
        [f(f"../../../..{ESCAPE}", b"x"), f(str(ESCAPE), b"x"), f("app/../../up", b"x"), f("ok")]
    )
    bomb = gzip.compress(tar_bytes([f("zeros", b"\0" * (64 * 1024 * 1024))]), compresslevel=9)
    reg.images = {
        "climb": push_layers(reg, "hostile/climb", "v1", [(gz(climbing), OCI_LAYER_GZIP)]),
        "bomb": push_layers(reg, "hostile/bomb", "v1", [(bomb, OCI_LAYER_GZIP)]),
        "many": push_layers(
            reg, "hostile/many", "v1", [(many_entries_layer(MANY), OCI_LAYER_GZIP)]
        ),
        "normal": push_layers(reg, "hostile/normal", "v1", [(gz(NORMAL), OCI_LAYER_GZIP)]),
        "lies": push_layers(
            reg,
            "hostile/lies",
            "v1",
            [(gz(NORMAL), OCI_LAYER_ZSTD), (zst(tar_bytes([f("z", b"zz")])), OCI_LAYER_TAR)],
        ),
        "garbage": push_layers(
            reg, "hostile/garbage", "v1", [(b'{"not": "a layer"}' * 50, OCI_LAYER_GZIP)]
        ),
    }
    return reg


@pytest.fixture
def row(reg, registry_row):
    return registry_row(reg, name="hostile")


def files_page(client, repository: str, path: str = "") -> str:
    response = client.get(f"/registry/hostile/{repository}:v1/files/{path}")
    assert response.status_code == 200, response.content[:3000]
    return response.content.decode()


def test_names_leaving_the_image_are_refused_and_listed_as_such(client, row):
    html = files_page(client, "hostile/climb")
    assert "3 entries whose name points outside the image; they are left out" in html
    assert f"../../../..{ESCAPE}" in html and "app/../../up" in html
    assert ">ok</a>" in html
    assert ">tmp/</a>" not in html  # the absolute name is not put under the root either
    assert not ESCAPE.exists()


def test_a_gzip_bomb_stops_at_the_unpacked_cap(client, row, settings, reg):
    settings.REGFRONT_MAX_LAYER_UNPACKED_BYTES = 4 * 1024 * 1024
    assert reg.images["bomb"].layer_sizes[0] < 200_000  # small blob, 64 MiB inside
    started = time.monotonic()
    html = files_page(client, "hostile/bomb")
    assert time.monotonic() - started < 5
    assert "Layer 1 cannot be listed: The layer unpacks to more than 4,194,304 bytes." in html
    assert "<code>REGFRONT_MAX_LAYER_UNPACKED_BYTES</code>" in html
    listing = LayerListing.objects.get()
    assert (listing.state, listing.entries) == ("failed", None)


def test_too_many_entries_say_which_limit(client, row, settings):
    settings.REGFRONT_MAX_LAYER_ENTRIES = 10_000  # the 200,000 are listed in test_tasks.py
    html = files_page(client, "hostile/many")
    assert "The layer has more than 10,000 entries." in html
    assert "<code>REGFRONT_MAX_LAYER_ENTRIES</code>" in html


def test_a_stream_cut_off_before_its_length_says_so(client, row, reg):
    layer = reg.images["normal"].layer_digests[0]
    whole = gz(NORMAL)
    with responses.RequestsMock() as fake:
        fake.get(
            f"{reg.url}/v2/hostile/normal/blobs/{layer}",
            body=whole[:40],
            headers={"Content-Length": str(len(whole))},
            auto_calculate_content_length=False,
        )
        fake.add_passthru(reg.url)
        html = files_page(client, "hostile/normal")
    assert "Layer 1 cannot be listed: The registry&#x27;s response was cut off or corrupt." in html
    assert "It is tried again on the next visit." in html
    assert LayerListing.objects.get().entries is None


def test_a_blob_that_does_not_match_its_digest_is_not_stored(client, row, reg):
    layer = reg.images["normal"].layer_digests[0]
    other = gz(tar_bytes([f("app/evil.py", b"import os\n")]))  # a fine layer, another digest
    with responses.RequestsMock() as fake:
        fake.get(f"{reg.url}/v2/hostile/normal/blobs/{layer}", body=other)
        fake.add_passthru(reg.url)
        html = files_page(client, "hostile/normal")
    assert "Layer 1 cannot be listed: The blob does not match its digest." in html
    assert "evil.py" not in html
    listing = LayerListing.objects.get()
    assert (listing.state, listing.entry_count, listing.entries) == ("failed", 0, None)


def test_a_registry_failing_mid_way_is_tried_again(client, row, reg):
    layer = reg.images["normal"].layer_digests[0]
    with responses.RequestsMock() as fake:
        fake.get(f"{reg.url}/v2/hostile/normal/blobs/{layer}", status=503)
        fake.add_passthru(reg.url)
        html = files_page(client, "hostile/normal")
    assert "The registry failed with HTTP 503." in html
    assert "It is tried again on the next visit." in html
    assert ">main.py</a>" in files_page(client, "hostile/normal", "app")


def test_media_types_that_lie_do_not_matter(client, row):
    html = files_page(client, "hostile/lies")
    assert ">app/</a>" in html and ">z</a>" in html
    assert sorted(LayerListing.objects.values_list("compression", flat=True)) == ["gzip", "zstd"]


def test_a_blob_that_is_no_layer_says_so(client, row):
    html = files_page(client, "hostile/garbage")
    assert "Layer 1 cannot be listed: The layer is not a readable tar archive." in html
