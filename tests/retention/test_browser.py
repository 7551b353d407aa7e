"""The cleanup pages in a real browser, wide and on a phone: list, form, plan, Run now and the
run's page; axe-core clean, no sideways scrolling, nothing fetched from another host."""

import pytest
from django.contrib.auth.models import Permission, User
from playwright.sync_api import expect

from registries.retention.models import RetentionRun
from registries.retention.run import run_execute
from tests.browser import PHONE, check_page, guard_third_party, log_in
from tests.retention.support import indexed, policy, stock

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 900}, PHONE], ids=["wide", "phone"])
def test_the_cleanup_pages_plan_run_and_history(
    browser, live_server, registry_factory, registry_row, unique_repo_name, viewport, settings
):
    settings.REGFRONT_RETENTION_RATE = 1000
    reg = registry_factory()
    name = unique_repo_name("browser/with-a-rather-long-repository-name")
    stock(reg, name)
    row = indexed(registry_row(reg, name="clean"), name)
    p = policy(row, name)
    chris = User.objects.create_user("chris", password="chris-password-123")
    chris.user_permissions.add(Permission.objects.get(codename="change_registry"))
    label = "phone" if viewport is PHONE else "wide"
    offenders: list[str] = []
    page = browser.new_context(viewport=viewport).new_page()
    guard_third_party(page, offenders)
    log_in(page, live_server.url, "chris", "chris-password-123")
    page.goto(f"{live_server.url}/manage/registries/clean/retention/")
    check_page(page, f"retention-list-{label}")
    page.get_by_role("link", name="Add a policy").click()
    check_page(page, f"retention-form-{label}")
    page.goto(f"{live_server.url}/manage/registries/clean/retention/{p.name}/")
    expect(page.get_by_text("stays: protected (latest)")).to_be_visible()
    check_page(page, f"retention-plan-{label}")
    page.get_by_role("button", name="Run now: delete 1 digest").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Run #")
    run_execute(run_id=RetentionRun.objects.get().pk)  # the worker's part
    page.reload()
    expect(page.get_by_text("Deleted").first).to_be_visible()
    check_page(page, f"retention-run-{label}")
    assert offenders == []
