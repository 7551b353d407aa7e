"""The provider's discovery document: read once, checked, bounded in time and size."""

import time

import pytest

from registries.sso import discovery
from registries.sso.discovery import ProviderUnavailable, provider_metadata


@pytest.fixture
def issuer(settings, oidc_provider):
    settings.REGFRONT_OIDC_ISSUER = oidc_provider.issuer
    discovery.forget()
    yield oidc_provider
    discovery.forget()


def test_it_reads_the_endpoints_once(issuer):
    first = provider_metadata()
    second = provider_metadata()

    assert first == second
    assert first.token_endpoint == issuer.issuer + "/token"
    assert first.jwks_uri == issuer.issuer + "/jwks"
    assert first.userinfo_endpoint == issuer.issuer + "/userinfo"
    assert first.end_session_endpoint == issuer.issuer + "/logout"
    assert issuer.paths() == ["/.well-known/openid-configuration"]


def test_lazy_settings_turn_into_the_endpoints(issuer):
    assert str(discovery.discovered("authorization_endpoint")) == issuer.issuer + "/authorize"


def test_a_missing_end_session_endpoint_is_none(issuer):
    issuer.offer_end_session = False

    assert provider_metadata().end_session_endpoint is None
    with pytest.raises(ProviderUnavailable, match="no end_session_endpoint"):
        str(discovery.discovered("end_session_endpoint"))


def test_a_trailing_slash_on_the_issuer_is_forgiven(issuer, settings):
    settings.REGFRONT_OIDC_ISSUER = issuer.issuer + "/"

    assert provider_metadata().token_endpoint == issuer.issuer + "/token"


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"issuer": "https://evil.example"}, "names another issuer"),
        ({"jwks_uri": None}, "has no jwks_uri"),
        ({"padding": "x" * (discovery.MAX_DOCUMENT_BYTES + 1)}, "sent more than"),
    ],
)
def test_it_refuses_a_document_that_does_not_fit(issuer, overrides, reason):
    issuer.discovery_overrides = overrides

    with pytest.raises(ProviderUnavailable, match=reason):
        provider_metadata()


def test_a_wrong_issuer_path_is_unavailable(issuer, settings):
    settings.REGFRONT_OIDC_ISSUER = issuer.origin + "/realms/nope"

    with pytest.raises(ProviderUnavailable, match="answered 404"):
        provider_metadata()


def test_a_provider_that_never_answers_times_out(settings, silent_server):
    settings.REGFRONT_OIDC_ISSUER = silent_server
    settings.REGFRONT_READ_TIMEOUT = 0.5
    discovery.forget()
    started = time.monotonic()

    with pytest.raises(ProviderUnavailable, match="ReadTimeout"):
        provider_metadata()

    assert time.monotonic() - started < 5
