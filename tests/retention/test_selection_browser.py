"""Delete selected in a real browser, wide and on a phone in dark mode: tick tags on the
repository page, read the review grouped by image, say "anyway" for a shared image, confirm,
follow the run; axe-core clean, no sideways scrolling, nothing fetched from another host."""

import pytest
from django.contrib.auth.models import Permission, User
from playwright.sync_api import expect

from registries.retention.models import RetentionRun
from registries.retention.run import run_execute
from tests.browser import PHONE, check_page, guard_third_party, log_in
from tests.retention.support import indexed, stock, tags_now

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
WIDE = {"width": 1280, "height": 900}


@pytest.mark.parametrize(
    ("viewport", "scheme"), [(WIDE, "light"), (PHONE, "dark")], ids=["wide", "phone-dark"]
)
def test_select_review_anyway_and_delete(
    browser, live_server, registry_factory, registry_row, unique_repo_name, viewport, scheme,
    settings,
):  # fmt: skip
    settings.REGFRONT_RETENTION_RATE = 1000
    reg = registry_factory()
    name = unique_repo_name("picked/with-a-rather-long-repository-name")
    stock(reg, name)  # 0.9, 1.0 = stable = latest, 2.0
    indexed(registry_row(reg, name="pick"), name)
    dora = User.objects.create_user("dora", password="dora-password-123")
    dora.user_permissions.add(Permission.objects.get(codename="delete_manifest"))
    offenders: list[str] = []
    page = browser.new_context(viewport=viewport, color_scheme=scheme).new_page()
    guard_third_party(page, offenders)
    log_in(page, live_server.url, "dora", "dora-password-123")
    page.goto(f"{live_server.url}/registry/pick/{name}/")
    page.get_by_label("Select 0.9").check()
    page.get_by_label("Select 1.0").check()
    check_page(page, f"select-tags-{scheme}")
    page.get_by_role("button", name="Delete selected…").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Delete 2 tags")
    expect(page.get_by_text("Kept: shares its digest with kept tag latest.")).to_be_visible()
    check_page(page, f"select-review-{scheme}")
    page.get_by_label("Delete it anyway, and with it latest, stable").check()
    page.get_by_role("button", name="Delete 1 image").click()  # still the reviewed plan
    expect(page.get_by_role("alert")).to_contain_text("changed since you reviewed it")
    expect(page.get_by_text("Also goes", exact=False)).to_have_count(0)
    page.get_by_role("button", name="Delete 2 images").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Run #")
    run_execute(run_id=RetentionRun.objects.get().pk)  # the worker's part
    page.reload()
    expect(page.get_by_text("Deleted").first).to_be_visible()
    check_page(page, f"select-run-{scheme}")
    assert sorted(tags_now(reg, name)) == ["2.0"]
    assert offenders == []
