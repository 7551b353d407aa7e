"""The team portal in a real browser: log in, add a registry, browse, delete, see Activity."""

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from tests.browser import check_page, guard_third_party, log_in
from tests.support.images import tag_existing

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_log_in_add_browse_delete_and_see_activity(
    browser, live_server, registry_basic, fresh_repo
):
    repo = fresh_repo(registry_basic, tag="v1")
    tag_existing(
        registry_basic, repo.name, "v1-alias", repo.image.manifest_bytes, repo.image.media_type
    )
    User.objects.create_superuser("sue", password="sue-password-123")
    offenders: list[str] = []
    page = browser.new_page()
    guard_third_party(page, offenders)

    page.goto(f"{live_server.url}/accounts/login/")
    check_page(page, "login")
    log_in(page, live_server.url, "sue", "sue-password-123")
    expect(page.get_by_text("sue", exact=True)).to_be_visible()

    page.get_by_role("link", name="Add a registry").click()
    page.get_by_label("Name:", exact=True).fill("team")
    page.get_by_label("URL:", exact=True).fill(registry_basic.url)
    page.get_by_label("Username:", exact=True).fill("alice")
    page.get_by_label("Password:", exact=True).fill(registry_basic.password)
    page.get_by_role("button", name="Test connection").click()
    expect(page.get_by_role("status")).to_contain_text("Online")
    expect(page.get_by_role("status")).to_contain_text("auth: basic")
    check_page(page, "registry-form-tested")
    # The password is not rendered back: type it again to save.
    page.get_by_label("Password:", exact=True).fill(registry_basic.password)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Registry team added.")).to_be_visible()

    page.goto(f"{live_server.url}/registry/team/{repo.name}:v1")
    page.get_by_role("link", name="Delete…").click()
    expect(page.get_by_text("every one of these 2 tags")).to_be_visible()
    check_page(page, "delete-confirm")
    page.get_by_role("button", name="Delete 2 tags").click()
    expect(page.get_by_text("Deleted sha256:")).to_be_visible()
    expect(page.get_by_text("This repository has no tags.")).to_be_visible()

    page.get_by_role("link", name="Activity").click()
    row = page.locator("table.activity tbody tr").first
    expect(row).to_contain_text("Manifest deleted")
    expect(row).to_contain_text("v1-alias")
    expect(page.locator("table.activity")).to_contain_text("Registry added")
    check_page(page, "activity")
    assert offenders == []
