"""API authentication: sessions and personal tokens, with the pages' permissions."""

import hashlib
import re

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from registries.api.auth import token_create
from registries.models import ApiToken, Registry

pytestmark = pytest.mark.django_db
TOKENS = "/account/api-tokens/"


@pytest.fixture
def team_registry():
    """A group-limited registry: only members of `team` see it."""
    registry = Registry.objects.create(name="teamreg", url="https://team.example")
    registry.groups.add(Group.objects.create(name="team"))
    return registry


@pytest.fixture
def member():
    user = User.objects.create_user("mia", password="mia-password-123")
    user.groups.add(Group.objects.get_or_create(name="team")[0])
    return user


def names(response) -> list[str]:
    assert response.status_code == 200, response.content[:300]
    return [r["name"] for r in response.json()["registries"]]


def bearer(token: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


# --- tokens -------------------------------------------------------------------------------


def test_a_token_sees_what_its_owner_sees(team_registry, member, settings):
    settings.REGFRONT_STATUS_DEADLINE = 0.1
    _, token = token_create(user=member, name="ci")
    api = Client()
    assert names(api.get("/api/v1/registries")) == []  # anonymous
    assert names(api.get("/api/v1/registries", **bearer(token))) == ["teamreg"]
    assert api.get("/api/v1/registries/teamreg", **bearer(token)).status_code == 200


def test_only_a_hash_of_the_token_is_stored(member):
    row, token = token_create(user=member, name="ci")
    assert token.startswith("rft_") and len(token) > 40
    stored = ApiToken.objects.values().get(pk=row.pk)
    assert token not in str(stored)
    assert stored["key_hash"] == hashlib.sha256(token.encode()).hexdigest()
    assert token.startswith(stored["prefix"]) and len(stored["prefix"]) < len(token) // 3


@pytest.mark.parametrize(
    "header",
    ["Bearer rft_wrong", "Bearer ", "Bearer nope", "Basic bWlhOm1pYS1wYXNzd29yZC0xMjM=", "x"],
)
def test_a_bad_token_is_401_and_never_falls_back_to_the_session(client, member, header):
    client.force_login(member)
    response = client.get("/api/v1/registries", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="regfront"'
    assert response.json()["error"]["code"] == "unauthenticated"


def test_tokens_of_deactivated_people_stop_working(member):
    _, token = token_create(user=member, name="ci")
    member.is_active = False
    member.save()
    assert Client().get("/api/v1/registries", **bearer(token)).status_code == 401


def test_use_is_recorded_at_most_every_few_minutes(member):
    row, token = token_create(user=member, name="ci")
    Client().get("/api/v1/", **bearer(token))
    row.refresh_from_db()
    first = row.last_used_at
    assert first is not None
    Client().get("/api/v1/", **bearer(token))
    row.refresh_from_db()
    assert row.last_used_at == first


def test_a_session_works_like_the_pages(client, team_registry, member, settings):
    settings.REGFRONT_STATUS_DEADLINE = 0.1
    assert names(client.get("/api/v1/registries")) == []
    client.force_login(member)
    assert names(client.get("/api/v1/registries")) == ["teamreg"]


def test_superusers_see_every_registry(client, persona, team_registry, settings):
    settings.REGFRONT_STATUS_DEADLINE = 0.1
    persona("sue")
    assert names(client.get("/api/v1/registries")) == ["teamreg"]


def test_when_login_is_required_anonymous_calls_are_401_not_redirects(client, member, settings):
    settings.REGFRONT_REQUIRE_LOGIN = True
    response = client.get("/api/v1/registries")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"
    _, token = token_create(user=member, name="ci")
    assert client.get("/api/v1/registries", **bearer(token)).status_code == 200
    # The pages still send people to log in.
    assert client.get("/")["Location"].startswith("/accounts/login/")


def test_the_openapi_document_is_public_even_when_login_is_required(client, settings):
    settings.REGFRONT_REQUIRE_LOGIN = True
    assert client.get("/api/v1/openapi.json").status_code == 200


# --- the tokens page ----------------------------------------------------------------------


def test_the_tokens_page_needs_a_login(client):
    response = client.get(TOKENS)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    client.post(TOKENS, {"name": "sneaky"})
    assert not ApiToken.objects.exists()


def test_a_new_token_is_shown_once_and_works(client, persona):
    user = persona("pat")
    response = client.post(TOKENS, {"name": "CI cleanup", "create": "1"})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    page = response.content.decode()
    token = re.search(r'id="new-token">(rft_[^<]+)<', page).group(1)
    assert "shown only this once" in page
    listing = client.get(TOKENS).content.decode()
    assert token not in listing
    assert "CI cleanup" in listing and f"{token[:12]}…" in listing
    assert Client().get("/api/v1/registries", **bearer(token)).status_code == 200
    assert ApiToken.objects.get().user == user


def test_a_token_needs_a_name(client, persona):
    persona("pat")
    assert client.post(TOKENS, {"name": ""}).status_code == 400
    assert not ApiToken.objects.exists()


def test_revoking_a_token_stops_it_at_once(client, persona):
    user = persona("pat")
    row, token = token_create(user=user, name="ci")
    response = client.post(TOKENS, {"revoke": str(row.pk)})
    assert response.status_code == 302
    assert not ApiToken.objects.exists()
    assert Client().get("/api/v1/registries", **bearer(token)).status_code == 401


def test_nobody_revokes_or_sees_someone_elses_token(client, persona, member):
    row, _ = token_create(user=member, name="mias-token")
    persona("pat")
    assert "mias-token" not in client.get(TOKENS).content.decode()
    client.post(TOKENS, {"revoke": str(row.pk)})
    client.post(TOKENS, {"revoke": "not-a-number"})
    assert ApiToken.objects.filter(pk=row.pk).exists()


def test_the_tokens_page_needs_csrf(persona, client):
    user = persona("pat")
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(user)
    assert strict.post(TOKENS, {"name": "x"}).status_code == 403
    assert not ApiToken.objects.exists()
