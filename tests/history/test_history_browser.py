"""The history, restore, add-a-tag, copy and copy-job pages in a real browser on a phone in
dark mode: restore a moved tag and copy it by clicking; axe-core clean, no sideways
scrolling, nothing fetched from another host."""

import pytest
from django.contrib.auth.models import Permission, User
from playwright.sync_api import expect

from registries.inventory.services import repository_sync
from registries.promotion.copy import copy_execute
from registries.promotion.models import CopyJob
from tests.browser import PHONE, check_page, guard_third_party, log_in
from tests.retention.support import tags_now
from tests.support.images import push_image

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_restore_and_copy_on_a_phone_in_dark_mode(
    browser, live_server, registry_factory, registry_row, unique_repo_name
):
    reg = registry_factory()
    name = unique_repo_name("tags/with-a-rather-long-repository-name")
    row = registry_row(reg, name="hist")
    old = push_image(reg, name, "1.0", seed=f"{name}-old")
    repository_sync(registry=row, repository=name)
    push_image(reg, name, "1.0", seed=f"{name}-new")
    repository_sync(registry=row, repository=name)
    cara = User.objects.create_user("cara", password="cara-password-123")
    cara.user_permissions.add(Permission.objects.get(codename="change_manifest"))
    offenders: list[str] = []
    page = browser.new_context(viewport=PHONE, color_scheme="dark").new_page()
    guard_third_party(page, offenders)
    log_in(page, live_server.url, "cara", "cara-password-123")

    page.goto(f"{live_server.url}/registry/hist/{name}:1.0")
    page.get_by_role("link", name="History").click()
    expect(page.get_by_text("current")).to_be_visible()
    check_page(page, "history-dark")
    page.get_by_role("link", name="Restore…").click()
    check_page(page, "restore-dark")
    page.get_by_role("button", name="Restore 1.0").click()
    expect(page.get_by_text("points at", exact=False).first).to_be_visible()
    assert tags_now(reg, name)["1.0"] == old.digest

    page.get_by_role("link", name="Add a tag…").click()
    check_page(page, "add-tag-dark")
    page.get_by_role("link", name="Cancel").click()
    page.get_by_role("link", name="Copy…").click()
    check_page(page, "copy-dark")
    page.get_by_label("Repository").fill(f"{name}-copy")
    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Copy #")
    copy_execute(job_id=CopyJob.objects.get().pk)  # the worker's part
    page.reload()
    expect(page.get_by_text("Done")).to_be_visible()
    check_page(page, "copy-job-dark")
    assert tags_now(reg, f"{name}-copy")["1.0"] == old.digest
    assert offenders == []
