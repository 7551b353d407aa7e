"""Registry events in a real browser: Activity and a repository's latest pushes, accessible."""

import pytest
from django.contrib.auth.models import User
from django.test import Client
from playwright.sync_api import expect

from tests.api_support import EVENTS_TYPE, WEBHOOK_SECRET, envelope, event
from tests.browser import PHONE, check_page, guard_third_party, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_activity_and_latest_pushes_read_well_on_a_phone(
    browser, live_server, registry_open, registry_row
):
    row = registry_row(registry_open, name="local")
    row.webhook_secret = WEBHOOK_SECRET
    row.save()
    digest = registry_open.dataset.digest("app", "1.10.0")
    pushes = [event("push", tag=tag, digest=digest) for tag in ("1.10.0", "latest")]
    response = Client().generic(
        "POST",
        "/hooks/registry/local/events",
        envelope(*pushes, event("delete", tag=None, repository="team/service")),
        content_type=EVENTS_TYPE,
        HTTP_AUTHORIZATION=f"Bearer {WEBHOOK_SECRET}",
    )
    assert response.json()["accepted"] == 3
    User.objects.create_user("stella", password="stella-password-123", is_staff=True)
    offenders: list[str] = []
    page = browser.new_context(viewport=PHONE).new_page()
    guard_third_party(page, offenders)
    log_in(page, live_server.url, "stella", "stella-password-123", next_path="/activity/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Activity")
    expect(page.get_by_text("Reported by the registry")).to_have_count(3)
    check_page(page, "activity-events")

    page.goto(f"{live_server.url}/registry/local/app/")
    expect(page.get_by_role("heading", name="Latest pushes")).to_be_visible()
    check_page(page, "repository-latest-pushes")
    assert offenders == []
