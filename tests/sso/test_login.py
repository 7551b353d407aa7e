"""A full OpenID Connect login against the suite's provider, and the logins it refuses."""

import time
from urllib.parse import urlsplit

import pytest
import requests
from django.contrib.auth.models import User

from registries.sso.models import SSOIdentity
from tests.sso.conftest import messages_of, sso_login

pytestmark = pytest.mark.django_db


def logged_in_user(client):
    return client.get("/").wsgi_request.user


def test_it_logs_in_through_the_provider_and_goes_to_next(client, sso_settings, oidc_provider):
    response = sso_login(client, next_url="/search/?q=app")

    assert response.status_code == 302
    assert response["Location"] == "/search/?q=app"
    user = logged_in_user(client)
    assert user.username == "olivia"
    assert (user.email, user.first_name, user.last_name) == (
        "olivia@example.com",
        "Olivia",
        "Ortega",
    )
    assert not user.has_usable_password()
    identity = SSOIdentity.objects.get(user=user)
    assert (identity.issuer, identity.subject) == (oidc_provider.issuer, "8f1d6c1e-olivia")
    assert "olivia" in client.get("/").content.decode()
    # The authorization request carried a nonce and a PKCE challenge, the token request the
    # verifier; the endpoints came from discovery.
    authorize = dict(oidc_provider.requests)["/authorize"]
    assert authorize["nonce"] and authorize["code_challenge_method"] == "S256"
    assert authorize["scope"] == "openid email profile"
    assert dict(oidc_provider.requests)["/token"]["code_verifier"]
    assert oidc_provider.paths()[0] == "/.well-known/openid-configuration"


def test_it_finds_the_same_person_by_sub_after_a_rename(client, sso_settings, oidc_provider):
    sso_login(client)
    first = logged_in_user(client)
    client.logout()
    oidc_provider.users["olivia"] |= {
        "preferred_username": "olivia.ortega",
        "email": "o.ortega@example.com",
    }

    sso_login(client)

    again = logged_in_user(client)
    assert again.pk == first.pk
    assert again.username == "olivia"  # kept: audit records name people by it
    assert again.email == "o.ortega@example.com"
    assert User.objects.count() == 1


def test_it_never_takes_a_local_account_by_name(client, sso_settings):
    local = User.objects.create_user("olivia", password="local-password-123")

    sso_login(client)

    user = logged_in_user(client)
    assert user.pk != local.pk
    assert user.username == "olivia-2"
    assert not SSOIdentity.objects.filter(user=local).exists()


def test_it_never_takes_a_local_account_by_unverified_email(client, sso_settings, oidc_provider):
    local = User.objects.create_user("oortega", email="OLIVIA@example.com", password="pw-12345678")
    oidc_provider.users["olivia"]["email_verified"] = False

    sso_login(client)

    assert logged_in_user(client).pk != local.pk
    assert not SSOIdentity.objects.filter(user=local).exists()


def test_it_takes_a_local_account_by_verified_email(client, sso_settings):
    local = User.objects.create_user("oortega", email="OLIVIA@example.com", password="pw-12345678")

    sso_login(client)

    assert logged_in_user(client).pk == local.pk
    assert SSOIdentity.objects.get(user=local).subject == "8f1d6c1e-olivia"
    local.refresh_from_db()
    assert local.username == "oortega"
    assert local.check_password("pw-12345678") is True  # the local password still works


def test_it_takes_no_account_when_the_email_is_ambiguous(client, sso_settings):
    User.objects.create_user("one", email="olivia@example.com")
    User.objects.create_user("two", email="olivia@example.com")

    sso_login(client)

    assert logged_in_user(client).username == "olivia"
    assert User.objects.count() == 3


def test_a_linked_account_is_not_linked_twice_by_email(client, sso_settings, oidc_provider):
    sso_login(client)
    olivia = logged_in_user(client)
    client.logout()
    # Another subject (Dex with a second connector) with Olivia's verified e-mail.
    oidc_provider.users["olivia"] = oidc_provider.users["olivia"] | {"sub": "other-connector"}

    sso_login(client)

    assert logged_in_user(client).pk != olivia.pk
    assert SSOIdentity.objects.count() == 2


def refused(client, response, caplog, reason: str | None) -> None:
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert "Single sign-on did not log you in. Please try again." in messages_of(response)
    assert not logged_in_user(client).is_authenticated
    assert not User.objects.exists()
    if reason is not None:  # refused for this reason, not another
        assert reason in caplog.text


def test_it_refuses_an_id_token_signed_with_another_key(
    client, sso_settings, oidc_provider, caplog
):
    oidc_provider.sign_with_forged_key = True
    refused(client, sso_login(client), caplog, "JWS token verification failed")


def test_it_refuses_an_expired_id_token(client, sso_settings, oidc_provider, caplog):
    an_hour_ago = int(time.time()) - 3600
    oidc_provider.id_token_claims = {"iat": an_hour_ago - 300, "exp": an_hour_ago}
    refused(client, sso_login(client), caplog, "Signature has expired")


def test_it_refuses_an_id_token_without_exp(client, sso_settings, oidc_provider, caplog):
    oidc_provider.id_token_claims = {"exp": None}
    refused(client, sso_login(client), caplog, "the ID token has no exp or no sub")


def test_it_refuses_a_wrong_nonce(client, sso_settings, oidc_provider, caplog):
    oidc_provider.id_token_claims = {"nonce": "not-the-one-sent"}
    refused(client, sso_login(client), caplog, "JWT Nonce verification failed")


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"aud": "another-client"}, "not meant for this client"),
        ({"aud": ["regfront", "other"], "azp": "other"}, "issued to another party"),
        ({"iss": "http://127.0.0.1:1/realms/elsewhere"}, "issuer is not the configured one"),
    ],
)
def test_it_refuses_a_token_for_another_client_or_issuer(
    client, sso_settings, oidc_provider, caplog, claims, reason
):
    oidc_provider.id_token_claims = claims
    refused(client, sso_login(client), caplog, reason)


def test_it_refuses_userinfo_about_someone_else(client, sso_settings, oidc_provider, caplog):
    oidc_provider.id_token_claims = {"sub": "someone-else"}
    refused(client, sso_login(client), caplog, "userinfo is about another subject")


def test_it_accepts_several_audiences_when_azp_is_this_client(client, sso_settings, oidc_provider):
    oidc_provider.id_token_claims = {"aud": ["regfront", "account"], "azp": "regfront"}
    sso_login(client)
    assert logged_in_user(client).username == "olivia"


def test_a_refusal_at_the_provider_is_no_login(client, sso_settings, oidc_provider, caplog):
    oidc_provider.user = None  # the person pressed "Cancel"
    refused(client, sso_login(client), caplog, None)


def test_a_callback_replayed_is_no_login(client, sso_settings, oidc_provider):
    start = client.get("/oidc/authenticate/")
    back = requests.get(start["Location"], allow_redirects=False, timeout=10).headers["Location"]
    back = urlsplit(back)
    client.get(f"{back.path}?{back.query}")
    client.logout()  # a new session: the state was in the old one

    response = client.get(f"{back.path}?{back.query}")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert not logged_in_user(client).is_authenticated


def test_the_provider_being_down_is_a_message(client, sso_settings, closed_port_url):
    sso_settings.REGFRONT_OIDC_ISSUER = closed_port_url

    response = client.get("/oidc/authenticate/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert "The sign-in provider cannot be reached. Try again later." in messages_of(response)
    # Password logins do not ask the provider, so they go on working.
    User.objects.create_user("pat", password="pat-password-123")
    login = client.post("/accounts/login/", {"username": "pat", "password": "pat-password-123"})
    assert login.status_code == 302
    assert logged_in_user(client).username == "pat"


def test_the_sso_urls_are_404_when_it_is_off(client):
    assert client.get("/oidc/authenticate/").status_code == 404
    assert client.get("/oidc/callback/?code=x&state=y").status_code == 404


def test_a_provider_without_userinfo_logs_in_from_the_id_token(client, sso_settings, oidc_provider):
    oidc_provider.discovery_overrides = {"userinfo_endpoint": None}

    sso_login(client)

    assert logged_in_user(client).email == "olivia@example.com"
    assert "/userinfo" not in oidc_provider.paths()


def test_a_deactivated_account_stays_out(client, sso_settings):
    sso_login(client)
    olivia = logged_in_user(client)
    client.logout()
    User.objects.filter(pk=olivia.pk).update(is_active=False)

    response = sso_login(client)

    assert response["Location"] == "/accounts/login/"
    assert not logged_in_user(client).is_authenticated
