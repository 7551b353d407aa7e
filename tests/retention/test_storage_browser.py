"""The storage pages in a real browser on a phone (390 px), light and dark: both charts
drawn, axe-core clean, no sideways scrolling, nothing fetched from another host."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from registries.inventory.models import IndexedTag
from tests.browser import PHONE, check_page, guard_third_party
from tests.retention.support import indexed
from tests.support.images import push_image, push_index

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_storage_pages_charts_on_a_phone(
    browser, live_server, registry_factory, registry_row, unique_repo_name, scheme
):
    reg = registry_factory()
    long = unique_repo_name("browser/storage/with-a-rather-long-repository-name-for-a-phone")
    short = unique_repo_name("web")
    push_image(reg, long, "1.0", seed=f"{long}-1", layer_seed="shared", layers=3)
    push_image(reg, long, "2.0", seed=f"{long}-2", layer_seed=f"{long}-own", layers=2)
    push_image(reg, short, "1.0", seed=f"{short}-1", layer_seed="shared", layers=2)
    push_index(reg, short, "multi", seed=f"{short}-multi")
    row = indexed(registry_row(reg, name="sizes"), long, short)
    # A history: the index saw these tags on earlier days (as syncs on those days would).
    for days, tag in enumerate(IndexedTag.objects.filter(repository__registry=row)):
        tag.first_seen -= timedelta(days=3 * days)
        tag.save(update_fields=["first_seen"])
    offenders: list[str] = []
    page = browser.new_context(viewport=PHONE, color_scheme=scheme).new_page()
    guard_third_party(page, offenders)
    assert page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches") == (scheme == "dark")
    page.goto(f"{live_server.url}/registry/sizes/")
    page.get_by_role("link", name="Storage").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Storage of sizes")
    bars = page.get_by_role("img", name="The 2 largest repositories of sizes")
    growth = page.get_by_role("img", name="Growth of sizes, by day")
    expect(bars).to_be_visible()
    expect(growth).to_be_visible()
    # The charts fit the phone and are drawn (their boxes have a size), in the theme's colours.
    for chart in (bars, growth):
        box = chart.bounding_box()
        assert 300 < box["width"] <= PHONE["width"] and box["height"] > 50
    fill = page.locator(".chart-own").first.evaluate("e => getComputedStyle(e).fill")
    accent = "rgb(108, 182, 255)" if scheme == "dark" else "rgb(11, 92, 173)"
    assert fill == accent
    text = page.locator(".chart-label").first.evaluate("e => getComputedStyle(e).fill")
    assert text == ("rgb(230, 237, 243)" if scheme == "dark" else "rgb(27, 31, 36)")
    assert page.locator(".chart-growth .chart-line").get_attribute("d").count("L") >= 3
    check_page(page, f"storage-{scheme}-phone")
    page.get_by_text("The growth as a table").click()
    table = page.get_by_role("table", name="Tags, images and stored bytes at the end of each day")
    expect(table).to_be_visible()
    check_page(page, f"storage-table-{scheme}-phone")
    page.get_by_role("link", name=long).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Storage of")
    expect(page.get_by_role("img", name=f"Growth of {long}, by day")).to_be_visible()
    check_page(page, f"storage-repository-{scheme}-phone")
    assert offenders == []
