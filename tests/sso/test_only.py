"""REGFRONT_OIDC_ONLY: the provider is the only way in, for the portal and the admin."""

import pytest
from django.contrib.auth.models import User

from tests.sso.conftest import sso_login

pytestmark = pytest.mark.django_db


@pytest.fixture
def only(sso_settings):
    # As regfront/settings.py sets it: no ModelBackend, so no password is ever checked.
    sso_settings.REGFRONT_OIDC_ONLY = True
    sso_settings.AUTHENTICATION_BACKENDS = ["registries.sso.backend.SSOBackend"]
    return sso_settings


@pytest.fixture
def sue(db):
    return User.objects.create_superuser("sue", "sue@example.com", "sue-password-123")


def test_the_portal_refuses_passwords(client, only, sue):
    response = client.post("/accounts/login/", {"username": "sue", "password": "sue-password-123"})

    assert response.status_code == 200
    page = response.content.decode()
    assert "Password login is turned off here: sign in with Test SSO." in page
    assert not client.get("/").wsgi_request.user.is_authenticated


def test_the_admin_refuses_passwords(client, only, sue):
    client.post("/admin/login/?next=/admin/", {"username": "sue", "password": "sue-password-123"})

    assert not client.get("/").wsgi_request.user.is_authenticated
    assert client.get("/admin/").status_code == 302


def test_the_login_page_offers_only_the_provider(client, only):
    page = client.get("/accounts/login/?next=/search/").content.decode()

    assert 'href="/oidc/authenticate/?next=/search/"' in page
    assert "Sign in with Test SSO" in page
    assert 'name="password"' not in page


def test_single_sign_on_still_logs_in(client, only):
    sso_login(client)

    assert client.get("/").wsgi_request.user.username == "olivia"


def test_the_login_page_offers_both_when_not_only(client, sso_settings):
    page = client.get("/accounts/login/").content.decode()

    assert "Sign in with Test SSO" in page
    assert 'name="password"' in page


def test_the_login_page_has_no_button_when_sso_is_off(client, db):
    page = client.get("/accounts/login/").content.decode()

    assert "Sign in with" not in page
    assert 'name="password"' in page


def test_require_login_lets_the_provider_redirect_back(client, sso_settings):
    sso_settings.REGFRONT_REQUIRE_LOGIN = True

    assert client.get("/oidc/authenticate/").status_code == 302
    response = sso_login(client, next_url="/")

    assert response["Location"] == "/"
    assert client.get("/").status_code == 200
