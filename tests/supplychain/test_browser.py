"""The supply-chain pages in a real browser on a phone: the badge leads to the page, the
package search is a plain GET form, and every page passes axe and fits 390 px."""

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from tests.browser import PHONE, check_page, guard_third_party, log_in
from tests.supplychain.dataset import APP

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_on_a_phone_the_badge_leads_to_signatures_sboms_and_provenance(browser, live_server, row):
    offenders: list[str] = []
    page = browser.new_context(viewport=PHONE).new_page()
    guard_third_party(page, offenders)
    page.goto(f"{live_server.url}/registry/chain/{APP}:signed")
    page.get_by_role("link", name="signature verified").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Supply chain")
    expect(page.get_by_text("Verified with key release.").first).to_be_visible()
    check_page(page, "supply-chain-signed")
    page.goto(f"{live_server.url}/registry/chain/chain/buildkit:v1/supply-chain")
    page.get_by_label("Find packages").fill("apk")
    page.get_by_role("button", name="Find").click()
    packages = page.get_by_role("table", name="Packages matching “apk”")
    expect(packages.get_by_role("row")).to_have_count(3)  # the header, busybox and zlib
    expect(page.get_by_role("rowheader", name="busybox")).to_be_visible()
    expect(page.get_by_role("heading", name="SLSA provenance v0.2")).to_be_visible()
    check_page(page, "supply-chain-buildkit")
    page.goto(f"{live_server.url}/registry/chain/{APP}:huge/supply-chain")
    expect(page.get_by_role("alert").first).to_contain_text("larger than regfront reads")
    check_page(page, "supply-chain-hostile")
    assert offenders == []


def test_on_a_phone_the_keys_page_adds_a_key_and_shows_errors(browser, live_server, row):
    User.objects.create_superuser("sue", password="sue-password-123")
    page = browser.new_context(viewport=PHONE).new_page()
    log_in(page, live_server.url, "sue", "sue-password-123")
    page.goto(f"{live_server.url}/manage/registries/chain/signing-keys/")
    expect(page.get_by_role("rowheader", name="release")).to_be_visible()
    page.get_by_label("Name").fill("second")
    page.get_by_label("Public key").fill("not a key")
    page.get_by_role("button", name="Add key").click()
    expect(page.get_by_text("This is not a PEM public key")).to_be_visible()
    check_page(page, "supply-chain-keys-error")
