"""Single sign-on in Chromium: the login page (axe-clean, 390 px, dark), the round trip
through the suite's provider, and logging out through the provider's end_session."""

import pytest
from playwright.sync_api import expect

from tests.browser import PHONE, check_page, guard_third_party

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser_sso(sso_settings, oidc_provider):
    # As regfront/settings.py does: the logout's redirect to the provider follows a form post,
    # which the browser checks against the Content-Security-Policy's form-action.
    csp = dict(sso_settings.SECURE_CSP)
    csp["form-action"] = [*csp["form-action"], oidc_provider.origin]
    sso_settings.SECURE_CSP = csp
    return sso_settings


@pytest.mark.parametrize(
    ("viewport", "scheme"),
    [({"width": 1280, "height": 900}, "light"), (PHONE, "dark")],
    ids=["wide", "phone-dark"],
)
def test_sign_in_and_out_through_the_provider(
    browser, live_server, browser_sso, oidc_provider, viewport, scheme
):
    offenders: list[str] = []
    page = browser.new_context(viewport=viewport, color_scheme=scheme).new_page()
    guard_third_party(page, offenders)
    name = "phone" if viewport is PHONE else "wide"

    page.goto(f"{live_server.url}/accounts/login/?next=/search/")
    expect(page.get_by_role("heading", name="Or with a local account")).to_be_visible()
    check_page(page, f"sso-login-{name}")
    page.get_by_role("link", name="Sign in with Test SSO").click()

    expect(page).to_have_url(f"{live_server.url}/search/")
    expect(page.locator("header .user")).to_have_text("olivia")
    page.get_by_role("button", name="Log out").click()

    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_role("link", name="Log in")).to_be_visible()
    assert "/logout" in oidc_provider.paths()
    assert offenders == []


def test_only_the_provider_on_a_phone(browser, live_server, browser_sso):
    browser_sso.REGFRONT_OIDC_ONLY = True
    browser_sso.AUTHENTICATION_BACKENDS = ["registries.sso.backend.SSOBackend"]
    page = browser.new_context(viewport=PHONE, color_scheme="dark").new_page()

    page.goto(f"{live_server.url}/accounts/login/")

    expect(page.get_by_role("link", name="Sign in with Test SSO")).to_be_visible()
    expect(page.get_by_label("Password")).to_have_count(0)
    check_page(page, "sso-login-only-phone")
