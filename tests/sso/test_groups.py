"""The groups claim onto Django groups: the per-registry group limits apply, kept in sync."""

import pytest
from django.contrib.auth.models import Group

from registries.sso.accounts import claim_groups
from tests.sso.conftest import sso_login

pytestmark = pytest.mark.django_db


@pytest.fixture
def limited(registry_open, registry_row):
    """A registry only team-a sees."""
    team = Group.objects.create(name="team-a")
    registry = registry_row(registry_open, name="limited")
    registry.groups.add(team)
    return registry


def user_of(client):
    return client.get("/").wsgi_request.user


def test_a_member_by_the_claim_sees_the_limited_registry(client, sso_settings, limited):
    sso_login(client)  # Olivia: groups team-a, /everyone

    assert "/registry/limited/" in client.get("/").content.decode()
    assert client.get("/registry/limited/").status_code == 200
    assert client.get("/registry/limited/app:latest").status_code == 200


def test_someone_outside_the_group_gets_404(client, sso_settings, oidc_provider, limited):
    oidc_provider.user = "omar"
    sso_login(client)

    assert user_of(client).username == "omar"
    assert "/registry/limited/" not in client.get("/").content.decode()
    assert client.get("/registry/limited/").status_code == 404
    assert client.get("/registry/limited/app:latest").status_code == 404


def test_leaving_the_group_at_the_provider_closes_the_registry(
    client, sso_settings, oidc_provider, limited
):
    sso_login(client)
    assert client.get("/registry/limited/").status_code == 200
    client.logout()
    oidc_provider.users["olivia"]["groups"] = ["/everyone"]

    sso_login(client)

    assert list(user_of(client).groups.values_list("name", flat=True)) == []
    assert client.get("/registry/limited/").status_code == 404


def test_groups_given_by_hand_stay(client, sso_settings, oidc_provider, limited):
    ops = Group.objects.create(name="ops")
    sso_login(client)
    olivia = user_of(client)
    olivia.groups.add(ops)  # an administrator adds Olivia to ops in the admin
    client.logout()
    oidc_provider.users["olivia"]["groups"] = []

    sso_login(client)

    assert sorted(olivia.groups.values_list("name", flat=True)) == ["ops"]


def test_a_group_held_by_hand_before_the_claim_named_it_stays_when_the_claim_drops_it(
    client, sso_settings, oidc_provider, limited
):
    sso_login(client)
    olivia = user_of(client)
    client.logout()
    oidc_provider.users["olivia"]["groups"] = []
    sso_login(client)
    olivia.groups.add(Group.objects.get(name="team-a"))  # now by hand
    client.logout()
    oidc_provider.users["olivia"]["groups"] = ["team-a"]
    sso_login(client)
    client.logout()
    oidc_provider.users["olivia"]["groups"] = []

    sso_login(client)

    assert list(olivia.groups.values_list("name", flat=True)) == ["team-a"]


def test_groups_unknown_to_django_are_not_created(client, sso_settings, oidc_provider):
    oidc_provider.users["olivia"]["groups"] = ["Domain Users", "team-a"]

    sso_login(client)

    assert not Group.objects.exists()
    assert not user_of(client).groups.exists()


def test_a_keycloak_full_path_names_the_group(client, sso_settings, oidc_provider):
    Group.objects.create(name="platform/dev")
    oidc_provider.users["olivia"]["groups"] = ["/platform/dev"]

    sso_login(client)

    assert list(user_of(client).groups.values_list("name", flat=True)) == ["platform/dev"]


def test_the_claim_may_be_a_dotted_path(client, sso_settings, oidc_provider):
    sso_settings.REGFRONT_OIDC_GROUPS_CLAIM = "realm_access.roles"
    Group.objects.create(name="registry-admins")
    oidc_provider.users["olivia"]["realm_access"] = {"roles": ["registry-admins", "offline"]}

    sso_login(client)

    assert list(user_of(client).groups.values_list("name", flat=True)) == ["registry-admins"]


@pytest.mark.parametrize(
    ("claims", "names"),
    [
        ({"groups": "solo"}, {"solo"}),
        ({"groups": ["a", 7, None, "", "/b"]}, {"a", "b"}),
        ({"groups": {"not": "a list"}}, set()),
        ({}, set()),
    ],
)
def test_claim_groups_takes_names_only(claims, names):
    assert claim_groups(claims, "groups") == names
