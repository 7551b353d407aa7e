"""Permissions and trust (issue 17): group limits hold in the admin and Activity, stored
passwords never follow a URL to another origin, the login limit counts look-alike names as
one."""

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone

from registries.models import AuditRecord, Registry, RegistryEvent
from tests.test_admin import change_url, form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def ops() -> Group:
    return Group.objects.create(name="ops")


@pytest.fixture
def hidden(ops) -> Registry:
    """A registry with stored credentials, limited to the ops group."""
    registry = Registry.objects.create(
        name="secret", url="https://secret.example.com", username="ci", password="s3cret-pw"
    )
    registry.groups.add(ops)
    return registry


@pytest.fixture
def outsider(client) -> User:
    """Staff with every registry permission, but not in ops."""
    user = User.objects.create_user("olga", password="olga-password-123", is_staff=True)
    user.user_permissions.add(*_registry_permissions())
    client.force_login(user)
    return user


def _registry_permissions():
    from django.contrib.auth.models import Permission

    return Permission.objects.filter(content_type__app_label="registries")


def test_it_hides_group_limited_registries_from_staff_outside_the_groups_in_the_admin(
    client, outsider, hidden
):
    listing = client.get("/admin/registries/registry/").content.decode()
    assert "secret" not in listing
    assert client.get(change_url(hidden)).status_code in (302, 404)
    response = client.post(change_url(hidden), form_data(name="secret", groups=[]))
    assert response.status_code in (302, 404)
    client.post(f"/admin/registries/registry/{hidden.pk}/delete/", {"post": "yes"})

    hidden.refresh_from_db()  # still there, still limited, still with its password
    assert list(hidden.groups.values_list("name", flat=True)) == ["ops"]
    assert hidden.password == "s3cret-pw"
    # Anonymous visitors still cannot browse it.
    client.logout()
    assert client.get("/registry/secret/").status_code == 404


def test_it_lets_a_member_edit_but_not_open_a_limited_registry_to_everyone(
    client, outsider, hidden, ops
):
    outsider.groups.add(ops)  # now a member: may see and edit it
    response = client.post(
        change_url(hidden), form_data(name="secret", url="https://secret.example.com")
    )  # no groups ticked: would make it public
    assert response.status_code == 200
    assert "keep at least one group" in response.content.decode()
    hidden.refresh_from_db()
    assert list(hidden.groups.values_list("name", flat=True)) == ["ops"]


def test_it_keeps_groups_the_editor_is_not_in(client, outsider, hidden, ops):
    dev = Group.objects.create(name="dev")
    hidden.groups.add(dev)
    outsider.groups.add(ops)
    page = client.get(change_url(hidden)).content.decode()
    assert ">dev<" not in page and "ops" in page  # only own groups are offered

    response = client.post(
        change_url(hidden),
        form_data(name="secret", url="https://secret.example.com", groups=[ops.pk, dev.pk]),
    )
    assert response.status_code == 200  # dev is not a choice for olga
    response = client.post(
        change_url(hidden),
        form_data(name="secret", url="https://secret.example.com", groups=[ops.pk]),
    )
    assert response.status_code == 302
    assert set(hidden.groups.values_list("name", flat=True)) == {"ops", "dev"}


def test_it_lets_a_superuser_open_a_registry_to_everyone(admin_client, hidden):
    response = admin_client.post(
        change_url(hidden), form_data(name="secret", url="https://secret.example.com")
    )
    assert response.status_code == 302
    assert not hidden.groups.exists()


def test_it_refuses_a_portal_member_who_would_open_a_registry_to_everyone(
    client, outsider, hidden, ops
):
    outsider.groups.add(ops)
    response = client.post(
        "/manage/registries/secret/edit/",
        {
            "name": "secret",
            "url": "https://secret.example.com",
            "username": "ci",
            "verify_tls": "on",
            "version": hidden.updated_at.isoformat(),
        },
    )
    assert response.status_code == 400
    assert list(hidden.groups.values_list("name", flat=True)) == ["ops"]


def test_it_shows_staff_only_the_activity_of_registries_they_may_see(client, outsider, hidden):
    public = Registry.objects.create(name="public", url="https://public.example.com")
    for registry, repository in ((hidden, "hush/app"), (public, "open/app")):
        AuditRecord.objects.create(
            actor_name="adam", action="manifest_delete", registry_name=registry.name,
            repository=repository,
        )  # fmt: skip
        RegistryEvent.objects.create(
            registry=registry, event_id=f"e-{registry.name}", action="push",
            repository=repository, tag="v1", digest="sha256:" + "a" * 64,
            occurred_at=timezone.now(),
        )  # fmt: skip

    page = client.get("/activity/").content.decode()
    assert "open/app" in page
    assert "hush/app" not in page
    for model in ("auditrecord", "registryevent"):
        listing = client.get(f"/admin/registries/{model}/").content.decode()
        assert "open/app" in listing and "hush/app" not in listing, model


def test_it_counts_look_alike_usernames_as_one_for_the_login_limit(
    client, settings, django_user_model
):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.REGFRONT_LOGIN_MAX_FAILURES = 3
    django_user_model.objects.create_user("alice", password="right-password-123", is_staff=True)
    # Fullwidth, upper case and a ligature-free mix: Django's login takes them all as alice.
    spellings = ["\uff41\uff4c\uff49\uff43\uff45", "ALICE", "Alice", "\uff21lice"]
    statuses = [
        client.post("/admin/login/", {"username": name, "password": "wrong"}).status_code
        for name in spellings
    ]
    assert statuses[:3] == [200, 200, 200]
    assert statuses[3] == 429
    refused = client.post("/admin/login/", {"username": "alice", "password": "right-password-123"})
    assert refused.status_code == 429


def test_it_names_no_hidden_registry_in_the_admin_event_filter(client, outsider, hidden):
    public = Registry.objects.create(name="public", url="https://public.example.com")
    for registry in (hidden, public):
        RegistryEvent.objects.create(
            registry=registry, event_id=f"e-{registry.name}", action="push",
            repository="app", tag="v1", occurred_at=timezone.now(),
        )  # fmt: skip
    listing = client.get("/admin/registries/registryevent/").content.decode()
    assert "public" in listing
    assert "secret" not in listing  # not even as a choice of the registry filter


@pytest.mark.parametrize(
    "url", ["http://registry.example.com", "https://registry.example.com:8443"]
)
def test_it_says_in_the_portal_why_a_new_origin_dropped_the_stored_password(client, persona, url):
    """Same host, another scheme (or port): the password would go where nobody sent it."""
    from django.contrib.messages import get_messages

    registry = Registry.objects.create(
        name="main", url="https://registry.example.com", username="bob", password="s3cret-pw"
    )
    persona("chris")
    response = client.post(
        "/manage/registries/main/edit/",
        {"name": "main", "url": url, "username": "bob", "verify_tls": "on",
         "version": registry.updated_at.isoformat()},
    )  # fmt: skip
    assert response.status_code == 302
    registry.refresh_from_db()
    assert (registry.url, registry.password) == (url, "")
    warnings = [str(m) for m in get_messages(response.wsgi_request) if m.level_tag == "warning"]
    assert warnings == [
        "The URL now points at another server or scheme, so the stored password was removed."
    ]
