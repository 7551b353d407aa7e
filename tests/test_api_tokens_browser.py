"""The API tokens page in a real browser: create (shown once), use, revoke; accessible."""

import re

import pytest
import requests
from django.contrib.auth.models import User
from playwright.sync_api import expect

from tests.browser import PHONE, check_page, guard_third_party, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_person_creates_uses_and_revokes_a_token(browser, live_server):
    User.objects.create_user("pat", password="pat-password-123")
    offenders: list[str] = []
    page = browser.new_context(viewport=PHONE).new_page()
    guard_third_party(page, offenders)
    log_in(page, live_server.url, "pat", "pat-password-123", next_path="/account/api-tokens/")
    expect(page.get_by_role("heading", level=1)).to_have_text("API tokens")
    check_page(page, "api-tokens-empty")

    page.get_by_label("Token name").fill("CI cleanup job")
    page.get_by_role("button", name="Create token").click()
    token = page.locator("#new-token").inner_text()
    assert re.fullmatch(r"rft_[\w-]{40,}", token)
    check_page(page, "api-tokens-new")
    api = f"{live_server.url}/api/v1/registries"
    auth = {"Authorization": f"Bearer {token}"}
    assert requests.get(api, headers=auth, timeout=10).status_code == 200

    page.goto(f"{live_server.url}/account/api-tokens/")
    expect(page.locator("#new-token")).to_have_count(0)  # shown once
    page.get_by_role("button", name="Revoke CI cleanup job").click()
    expect(page.get_by_text("Token revoked")).to_be_visible()
    assert requests.get(api, headers=auth, timeout=10).status_code == 401
    assert offenders == []
