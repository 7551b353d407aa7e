"""Signing keys: validated as ECDSA P-256 public keys (a form error otherwise), managed in the
portal by people who may change the registry (CSRF, audit) and in the admin, never across
group limits."""

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from django.contrib.auth.models import Group
from django.test import Client

from registries.models import AuditRecord, Registry
from registries.supplychain.models import SigningKey
from tests.supplychain.build import KeyPair

pytestmark = pytest.mark.django_db
KEYS_URL = "/manage/registries/main/signing-keys/"
P384 = KeyPair.generate(ec.SECP384R1()).public_pem


@pytest.fixture
def registry():
    return Registry.objects.create(name="main", url="https://registry.example.com")


def test_a_p256_key_is_added_and_audited(client, registry, persona):
    persona("chris")
    key = KeyPair.generate()
    response = client.post(KEYS_URL, {"name": "release", "public_key": key.public_pem})
    assert response.status_code == 302 and response["Location"] == KEYS_URL
    stored = SigningKey.objects.get(registry=registry)
    assert (stored.name, stored.public_key) == ("release", key.public_pem)
    page = client.get(KEYS_URL).content.decode()
    assert "Signing key release added." in page and stored.fingerprint in page
    record = AuditRecord.objects.get()
    assert (record.actor_name, record.registry_name) == ("chris", "main")
    assert record.message.startswith(
        f"Signing key release added (SHA-256 {stored.fingerprint[:16]}"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not a key", "This is not a PEM public key"),
        (P384, "This ECDSA key is on secp384r1, not P-256 (secp256r1)."),
        ("", "This field is required."),
    ],
)
def test_anything_but_a_p256_public_key_is_a_form_error(client, registry, persona, text, message):
    persona("chris")
    response = client.post(KEYS_URL, {"name": "release", "public_key": text})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not SigningKey.objects.exists()


def test_a_name_is_used_once_per_registry(client, registry, persona):
    persona("chris")
    SigningKey.objects.create(
        registry=registry, name="release", public_key=KeyPair.generate().public_pem
    )
    response = client.post(
        KEYS_URL, {"name": "release", "public_key": KeyPair.generate().public_pem}
    )
    assert response.status_code == 400
    assert "This registry already has a key with this name." in response.content.decode()


def test_a_key_is_removed_with_a_post(client, registry, persona):
    persona("chris")
    key = SigningKey.objects.create(
        registry=registry, name="old", public_key=KeyPair.generate().public_pem
    )
    url = f"{KEYS_URL}{key.pk}/remove/"
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 302
    assert not SigningKey.objects.exists()
    assert AuditRecord.objects.get().message == "Signing key old removed"


def test_changes_need_the_permission_and_csrf(client, registry, persona):
    assert client.get(KEYS_URL).status_code == 302  # to the login page
    persona("pat")
    assert client.get(KEYS_URL).status_code == 403
    assert (
        client.post(
            KEYS_URL, {"name": "x", "public_key": KeyPair.generate().public_pem}
        ).status_code
        == 403
    )
    chris = Client(enforce_csrf_checks=True)
    from django.contrib.auth.models import Permission, User

    user = User.objects.create_user("carl")
    user.user_permissions.add(Permission.objects.get(codename="change_registry"))
    chris.force_login(user)
    assert (
        chris.post(KEYS_URL, {"name": "x", "public_key": KeyPair.generate().public_pem}).status_code
        == 403
    )
    assert not SigningKey.objects.exists()


def test_a_group_limited_registry_is_404_for_others(client, registry, persona):
    registry.groups.add(Group.objects.create(name="secret"))
    persona("chris")
    assert client.get(KEYS_URL).status_code == 404
    assert client.post(f"{KEYS_URL}1/remove/").status_code == 404


def test_the_edit_page_links_to_the_keys(client, registry, persona):
    persona("chris")
    page = client.get("/manage/registries/main/edit/").content.decode()
    assert f'href="{KEYS_URL}">Signing keys</a>' in page


def test_the_admin_validates_keys_too(admin_client, registry):
    response = admin_client.post(
        "/admin/registries/signingkey/add/",
        {"registry": registry.pk, "name": "release", "public_key": P384},
    )
    assert response.status_code == 200
    assert "not P-256 (secp256r1)" in response.content.decode()
    key = KeyPair.generate()
    response = admin_client.post(
        "/admin/registries/signingkey/add/",
        {"registry": registry.pk, "name": "release", "public_key": key.public_pem},
    )
    assert response.status_code == 302
    assert SigningKey.objects.get().name == "release"


def test_the_admin_hides_keys_of_registries_outside_ones_groups(client, registry, persona):
    from django.contrib.auth.models import Permission

    SigningKey.objects.create(
        registry=registry, name="secret-key-xyz", public_key=KeyPair.generate().public_pem
    )
    registry.groups.add(Group.objects.create(name="secret"))
    user = persona("stella")
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_signingkey", "add_signingkey"])
    )
    listing = client.get("/admin/registries/signingkey/").content.decode()
    assert "secret-key-xyz" not in listing and "0 signing keys" in listing
    form = client.get("/admin/registries/signingkey/add/").content.decode()
    assert f'<option value="{registry.pk}"' not in form
