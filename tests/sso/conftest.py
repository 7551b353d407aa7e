"""Single sign-on fixtures: the suite's own OpenID Connect provider, its people, and the
OIDC_* settings regfront/settings.py derives from the REGFRONT_OIDC_* variables."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import requests

from registries.sso import discovery
from tests.support.oidc_provider import OIDCProvider

# People at the provider. Olivia is in team-a, Omar in no group; both e-mails are verified.
PROVIDER_PEOPLE = {
    "olivia": {
        "sub": "8f1d6c1e-olivia",
        "preferred_username": "olivia",
        "email": "olivia@example.com",
        "email_verified": True,
        "given_name": "Olivia",
        "family_name": "Ortega",
        "groups": ["team-a", "/everyone"],
    },
    "omar": {
        "sub": "2b7e44a0-omar",
        "preferred_username": "omar",
        "email": "omar@example.com",
        "email_verified": True,
        "groups": [],
    },
}


@pytest.fixture
def oidc_provider() -> Iterator[OIDCProvider]:
    people = {name: dict(claims) for name, claims in PROVIDER_PEOPLE.items()}
    with OIDCProvider(users=people, user="olivia") as provider:
        yield provider


@pytest.fixture
def sso_settings(settings, oidc_provider):
    """Single sign-on on, as regfront/settings.py sets it from REGFRONT_OIDC_* (the
    subprocess test in test_settings.py checks that the environment gives these)."""
    settings.REGFRONT_OIDC_ISSUER = oidc_provider.issuer
    settings.REGFRONT_OIDC_PROVIDER_NAME = "Test SSO"
    settings.REGFRONT_OIDC_GROUPS_CLAIM = "groups"
    settings.REGFRONT_OIDC_ONLY = False
    settings.OIDC_RP_CLIENT_ID = oidc_provider.client_id
    settings.OIDC_RP_CLIENT_SECRET = oidc_provider.client_secret
    settings.OIDC_RP_SCOPES = "openid email profile"
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = discovery.discovered("authorization_endpoint")
    settings.OIDC_OP_TOKEN_ENDPOINT = discovery.discovered("token_endpoint")
    settings.OIDC_OP_USER_ENDPOINT = discovery.discovered("userinfo_endpoint")
    settings.OIDC_OP_JWKS_ENDPOINT = discovery.discovered("jwks_uri")
    settings.OIDC_RP_SIGN_ALGO = "RS256"
    settings.OIDC_USE_PKCE = True
    settings.OIDC_STORE_ID_TOKEN = True
    settings.OIDC_TIMEOUT = (5.0, 15.0)
    settings.OIDC_OP_LOGOUT_URL_METHOD = "registries.sso.views.provider_logout_url"
    settings.AUTHENTICATION_BACKENDS = [
        "django.contrib.auth.backends.ModelBackend",
        "registries.sso.backend.SSOBackend",
    ]
    discovery.forget()
    yield settings
    discovery.forget()


def sso_login(client, *, next_url: str | None = None):
    """Click "Sign in", let the provider approve, follow its redirect back; the callback's
    response (the test client cannot follow a redirect to another host itself)."""
    start = client.get("/oidc/authenticate/", {"next": next_url} if next_url else {})
    assert start.status_code == 302, start
    at_provider = requests.get(start["Location"], allow_redirects=False, timeout=10)
    assert at_provider.status_code == 302, at_provider.text
    back = urlsplit(at_provider.headers["Location"])
    assert back.path == "/oidc/callback/"
    return client.get(f"{back.path}?{back.query}")


def messages_of(response) -> list[str]:
    return [str(message) for message in response.wsgi_request._messages]
