"""A closed catalog in a real browser: the notice and the pinned repositories, accessible."""

import pytest
from playwright.sync_api import expect

from tests.api_support import refuse_catalog
from tests.browser import PHONE, check_page, guard_third_party

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def closed_registry(registry_factory):
    return registry_factory(auth="token", grants=refuse_catalog, dataset="small")


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 900}, PHONE], ids=["wide", "phone"])
def test_it_offers_pinned_repositories_of_a_closed_catalog(
    browser, live_server, closed_registry, registry_row, viewport
):
    row = registry_row(closed_registry, name="closed")
    row.pinned_repositories = "app\nteam/not-pushed-yet/with-a-rather-long-name"
    row.save()
    offenders: list[str] = []
    page = browser.new_context(viewport=viewport).new_page()
    guard_third_party(page, offenders)
    page.goto(f"{live_server.url}/registry/closed/")
    expect(page.get_by_role("status")).to_contain_text("does not list its repositories")
    expect(page.get_by_role("heading", name="Pinned")).to_be_visible()
    check_page(page, f"catalog-closed-{'phone' if viewport is PHONE else 'wide'}")
    page.get_by_role("link", name="app", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("app")
    assert offenders == []
