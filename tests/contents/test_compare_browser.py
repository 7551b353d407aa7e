"""Compare in a real browser on a phone: the repository page's form leads to the compare,
the files filter is a plain GET form, the platform question is a list of links; every page
passes axe, fits 390 px and asks nothing of a third-party host."""

import pytest
from playwright.sync_api import expect

from tests.browser import PHONE, check_page, guard_third_party
from tests.contents.compare_data import push_multi, push_pair

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def reg(registry_factory):
    reg = registry_factory()
    push_pair(reg)
    push_multi(reg)
    return reg


@pytest.fixture
def row(reg, registry_row):
    return registry_row(reg, name="one")


def test_on_a_phone_two_tags_are_compared_and_the_files_filtered(browser, live_server, row):
    offenders: list[str] = []
    page = browser.new_context(viewport=PHONE).new_page()
    guard_third_party(page, offenders)
    page.goto(f"{live_server.url}/registry/one/compare/app/")
    page.get_by_label("Compare", exact=True).select_option(label="1.4")
    page.get_by_label("with").select_option(label="1.5")
    page.get_by_role("button", name="Compare").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Compare two images")
    expect(page.get_by_text("1 added, 4 removed, 4 changed.")).to_be_visible()
    expect(page.get_by_role("rowheader", name="Env FEATURE")).to_be_visible()
    check_page(page, "compare-tags")
    page.get_by_label("Path contains").fill("app/")
    page.get_by_label("Change", exact=True).select_option("changed")
    page.get_by_role("button", name="Filter").click()
    changes = page.get_by_role("table", name="Files b added, removed or changed against a")
    expect(changes.get_by_role("row")).to_have_count(4)  # the header and three app files
    expect(page.get_by_text("3 matches.")).to_be_visible()
    check_page(page, "compare-filtered")
    page.goto(f"{live_server.url}/registry/one/compare/app:1.5")
    page.get_by_role("link", name="Compare with previous version").click()
    expect(page.get_by_role("link", name="one/compare/app:1.4")).to_be_visible()
    assert offenders == []


def test_on_a_phone_the_platform_question_is_links(browser, live_server, row):
    page = browser.new_context(viewport=PHONE).new_page()
    page.goto(
        f"{live_server.url}/compare/?a=one/compare/multi:2.0&b=one/compare/multi:2.0"
        "&platform=windows/amd64"
    )
    expect(page.get_by_role("heading", name="Which platform?")).to_be_visible()
    check_page(page, "compare-platform")
    page.get_by_role("link", name="linux/arm64").click()
    expect(page.get_by_role("term").filter(has_text="Platform")).to_be_visible()
    expect(page.get_by_text("The two filesystems are the same.")).to_be_visible()
    check_page(page, "compare-arm64")
