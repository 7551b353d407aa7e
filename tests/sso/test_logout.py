"""Logging out ends the provider's session too, where it offers end_session_endpoint."""

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.contrib.auth.models import User

from tests.sso.conftest import sso_login

pytestmark = pytest.mark.django_db


def test_logout_goes_on_to_the_providers_end_session(client, sso_settings, oidc_provider):
    sso_login(client)
    id_token = client.session["oidc_id_token"]

    response = client.post("/accounts/logout/")

    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == oidc_provider.issuer + "/logout"
    assert parse_qs(target.query) == {
        "client_id": ["regfront"],
        "post_logout_redirect_uri": ["http://testserver/"],
        "id_token_hint": [id_token],
    }
    assert not client.get("/").wsgi_request.user.is_authenticated
    # The provider sends the browser back home.
    back = requests.get(response["Location"], allow_redirects=False, timeout=10)
    assert back.headers["Location"] == "http://testserver/"


def test_a_local_account_logs_out_here_only(client, sso_settings, oidc_provider):
    User.objects.create_user("pat", password="pat-password-123")
    client.post("/accounts/login/", {"username": "pat", "password": "pat-password-123"})

    response = client.post("/accounts/logout/")

    assert response["Location"] == "/"
    assert not client.get("/").wsgi_request.user.is_authenticated
    assert "/logout" not in oidc_provider.paths()


def test_a_provider_without_end_session_logs_out_here_only(client, sso_settings, oidc_provider):
    oidc_provider.offer_end_session = False  # Dex
    sso_login(client)

    response = client.post("/accounts/logout/")

    assert response["Location"] == "/"
    assert not client.get("/").wsgi_request.user.is_authenticated


def test_logout_still_needs_a_post(client, sso_settings):
    sso_login(client)

    assert client.get("/accounts/logout/").status_code == 405
    assert client.get("/").wsgi_request.user.is_authenticated
