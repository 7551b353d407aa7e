"""Browse a real registry in a real browser: click through, copy, filter, jump, dark mode."""

import pytest
from playwright.sync_api import expect

from tests.browser import PHONE, check_page, guard_third_party

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def site(live_server, registry_open, registry_row):
    registry_row(registry_open, name="local")
    return live_server.url


def new_page(browser, *, offenders, **context_options):
    context = browser.new_context(**context_options)
    page = context.new_page()
    guard_third_party(page, offenders)
    return page


def test_it_clicks_from_home_to_a_platform(browser, site):
    offenders: list[str] = []
    page = new_page(browser, offenders=offenders, viewport={"width": 1280, "height": 900})
    page.goto(site)
    expect(page.get_by_text("Online")).to_be_visible()
    check_page(page, "home")

    page.get_by_role("link", name="local").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("local")
    check_page(page, "catalog")

    page.get_by_role("link", name="app", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("app")
    check_page(page, "repository")

    page.get_by_role("link", name="1.2.0").click()
    expect(page.get_by_role("heading", name="Configuration")).to_be_visible()
    check_page(page, "tag")

    page.goto(f"{site}/registry/local/")
    page.get_by_role("link", name="multi/").click()
    page.get_by_role("link", name="multi/arch", exact=True).click()
    page.get_by_role("link", name="v1", exact=True).click()
    expect(page.get_by_role("heading", name="Platforms")).to_be_visible()
    check_page(page, "index")

    page.get_by_role("link", name="linux/arm64/v8").click()
    expect(page.locator("dd", has_text="linux/arm64/v8")).to_be_visible()
    check_page(page, "platform")
    assert offenders == []


def test_the_copy_button_copies_the_pull_command(browser, site, registry_open):
    offenders: list[str] = []
    page = new_page(browser, offenders=offenders, permissions=["clipboard-read", "clipboard-write"])
    page.goto(f"{site}/registry/local/app:1.2.0")
    page.get_by_role("button", name="Copy").first.click()
    expected = f"docker pull {registry_open.host}/app:1.2.0"
    expect(page.locator(".copy-status")).to_have_text(f"Copied: {expected}")
    assert page.evaluate("navigator.clipboard.readText()") == expected


def test_the_filter_narrows_the_catalog(browser, site):
    offenders: list[str] = []
    page = new_page(browser, offenders=offenders)
    page.goto(f"{site}/registry/local/")
    page.get_by_label("Filter repositories").fill("repo-11")
    page.get_by_label("Filter repositories").press("Enter")
    expect(page.get_by_text("10 repositories match")).to_be_visible()
    expect(page.locator(".repositories li")).to_have_count(10)
    check_page(page, "catalog-filtered")


def test_the_jump_box_lands_on_a_pasted_reference(browser, site, registry_open):
    offenders: list[str] = []
    page = new_page(browser, offenders=offenders)
    page.goto(site)
    page.get_by_label("Go to an image reference").fill(f"{registry_open.host}/team/service:2.0")
    page.get_by_label("Go to an image reference").press("Enter")
    expect(page).to_have_url(f"{site}/registry/local/team/service:2.0")
    expect(page.get_by_role("heading", level=1)).to_contain_text("team/service:2.0")


def test_it_renders_dark_on_a_phone(browser, site):
    offenders: list[str] = []
    page = new_page(browser, offenders=offenders, color_scheme="dark", viewport=PHONE)
    for path, name in [
        ("/", "phone-dark-home"),
        ("/registry/local/many-tags/", "phone-dark-repository"),
        ("/registry/local/oci/hostile:v1", "phone-dark-tag"),
    ]:
        page.goto(f"{site}{path}")
        check_page(page, name)
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    red, green, blue = (int(x) for x in background[background.index("(") + 1 : -1].split(",")[:3])
    assert red + green + blue < 120, background
    assert offenders == []
