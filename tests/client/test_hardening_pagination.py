"""Listings that never end: the client stops at the page budget or the listing deadline.

Against tests/support/endless_registry.py, whose every page links to one more: what no real
registry does, so the suite's own hostile server stands in for it.
"""

import time

import pytest

from registries.client import errors
from registries.client.api import RegistryClient
from registries.client.pagination import ListingTooLong
from registries.client.transport import Limits
from tests.support.endless_registry import NAMES_PER_PAGE, endless_registry

DIGEST = "sha256:" + "ab" * 32


@pytest.fixture
def endless():
    with endless_registry() as server:
        yield server


@pytest.fixture
def endless_slow():
    with endless_registry(delay=0.05) as server:
        yield server


def client(url: str, **limits) -> RegistryClient:
    return RegistryClient(url, name="endless", limits=Limits(**limits))


def test_it_stops_following_an_endless_catalog_at_the_page_budget(endless):
    with pytest.raises(ListingTooLong) as raised:
        client(endless.url, max_listing_pages=5).catalog()

    assert endless.pages["catalog"] == 5
    message = raised.value.user_message
    assert "catalog did not end within 5 pages" in message
    assert f"{5 * NAMES_PER_PAGE} names so far" in message
    assert isinstance(raised.value, errors.Timeout)  # a 504 page, like any deadline


def test_it_stops_following_an_endless_tag_list_at_the_listing_deadline(endless_slow):
    started = time.monotonic()
    with pytest.raises(ListingTooLong) as raised:
        client(endless_slow.url, listing_deadline=0.5, max_listing_pages=100_000).tags("app")

    assert time.monotonic() - started < 3  # generous: 0.5 s, not 100,000 pages
    assert "tag list did not end within 0.5 seconds" in raised.value.user_message
    assert 1 < endless_slow.pages["tags"] < 100


def test_it_cuts_a_slow_page_short_at_the_listing_deadline():
    # Each page takes 10 s, far below the read timeout: only the listing's deadline ends it.
    with endless_registry(delay=10) as server:
        started = time.monotonic()
        with pytest.raises(ListingTooLong):
            client(server.url, listing_deadline=0.5, read_timeout=30, deadline=60).catalog()
        assert time.monotonic() - started < 5
        assert server.pages["catalog"] == 1


def test_it_yields_the_pages_it_got_before_the_budget_ran_out(endless):
    pages = client(endless.url, max_listing_pages=3).iter_catalog_pages()
    got = [next(pages) for _ in range(3)]

    assert [len(page) for page in got] == [NAMES_PER_PAGE] * 3
    with pytest.raises(ListingTooLong):
        next(pages)


def test_it_keeps_the_referrers_found_when_their_pages_never_end(endless):
    found = client(endless.url, max_listing_pages=4).referrers("app", DIGEST)

    assert endless.pages["referrers"] == 4
    assert [d.digest for d in found] == [f"sha256:{n:064x}" for n in range(1, 5)]
