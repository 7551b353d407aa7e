"""The Django admin for registries: validation and the write-only password."""

import pytest

from registries.models import Registry

pytestmark = pytest.mark.django_db
ADD_URL = "/admin/registries/registry/add/"


def form_data(**overrides) -> dict:
    data = {
        "name": "main",
        "url": "https://registry.example.com",
        "username": "bob",
        "password": "",
        "verify_tls": "on",
        "ca_bundle": "",
    }
    data.update(overrides)
    return data


def change_url(registry: Registry) -> str:
    return f"/admin/registries/registry/{registry.pk}/change/"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "Bad_Name!", "only lowercase letters"),
        ("name", "", "This field is required"),
        ("name", "a" * 300, "at most 32 characters"),
        ("url", "ftp://registry.example.com", "http:// or https://"),
        ("url", "https://user:pass@registry.example.com", "not in the URL"),
    ],
)
def test_it_refuses_bad_input_with_a_clear_message(admin_client, field, value, message):
    response = admin_client.post(ADD_URL, form_data(**{field: value}))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Registry.objects.count() == 0


def test_it_lists_and_searches_registries(admin_client):
    Registry.objects.create(name="alpha", url="https://a.example", username="ann")
    Registry.objects.create(name="beta", url="https://b.example")
    page = admin_client.get("/admin/registries/registry/?q=alpha").content.decode()
    assert "alpha" in page
    assert "https://a.example" in page
    assert "ann" in page
    assert ">beta<" not in page


def test_it_never_renders_the_password_back(admin_client):
    registry = Registry.objects.create(
        name="main", url="https://registry.example.com", username="bob", password="s3cret-pw"
    )
    page = admin_client.get(change_url(registry)).content.decode()
    assert "s3cret-pw" not in page


def test_a_blank_password_keeps_the_stored_one(admin_client):
    registry = Registry.objects.create(
        name="main", url="https://registry.example.com", username="bob", password="s3cret-pw"
    )
    response = admin_client.post(change_url(registry), form_data(username="bobby"))
    assert response.status_code == 302
    registry.refresh_from_db()
    assert (registry.username, registry.password) == ("bobby", "s3cret-pw")


# Another host, or the same host in clear text: the password would go where nobody meant.
@pytest.mark.parametrize("url", ["https://attacker.example", "http://registry.example.com"])
def test_moving_to_another_host_drops_the_stored_password(admin_client, url):
    registry = Registry.objects.create(
        name="main", url="https://registry.example.com", username="bob", password="s3cret-pw"
    )
    response = admin_client.post(change_url(registry), form_data(url=url), follow=True)
    assert "stored password was removed" in response.content.decode()
    registry.refresh_from_db()
    assert registry.url == url
    assert registry.password == ""


def test_moving_host_with_a_new_password_keeps_the_new_one(admin_client):
    registry = Registry.objects.create(
        name="main", url="https://registry.example.com", username="bob", password="old"
    )
    admin_client.post(change_url(registry), form_data(url="https://new.example", password="new"))
    registry.refresh_from_db()
    assert registry.password == "new"


def test_it_stores_a_normalised_url(admin_client):
    admin_client.post(ADD_URL, form_data(url="HTTPS://Registry.Example.com:5000/v2/"))
    assert Registry.objects.get().url == "https://registry.example.com:5000"
