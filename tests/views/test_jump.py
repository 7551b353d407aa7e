"""The header's jump box lands on the page of whatever reference is pasted."""

import pytest

from registries.models import Registry

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_registries(registry_open, registry_row):
    registry_row(registry_open, name="open")
    Registry.objects.create(name="other", url="https://other.example:5000")


@pytest.mark.parametrize(
    ("ref", "location"),
    [
        ("{host}/app:1.2.0", "/registry/open/app:1.2.0"),
        ("{host}/a/b/c/d", "/registry/open/a/b/c/d/"),
        (
            "other.example:5000/team/api@sha256:" + "a" * 64,
            "/registry/other/team/api@sha256:" + "a" * 64,
        ),
    ],
)
def test_it_finds_the_registry_by_host(client, two_registries, registry_open, ref, location):
    response = client.get("/go", {"ref": ref.format(host=registry_open.host)})
    assert response.status_code == 302
    assert response["Location"] == location


def test_without_a_host_it_uses_the_current_registry(client, two_registries):
    response = client.get("/go", {"ref": "team/service:2.0", "registry": "open"})
    assert response["Location"] == "/registry/open/team/service:2.0"


def test_without_a_host_or_context_it_asks_which_registry(client, two_registries):
    page = client.get("/go", {"ref": "app:latest"}).content.decode()
    assert 'href="/registry/open/app:latest"' in page
    assert 'href="/registry/other/app:latest"' in page


def test_with_one_registry_it_goes_straight_there(client, registry_open, registry_row):
    registry_row(registry_open, name="only")
    assert client.get("/go", {"ref": "app"})["Location"] == "/registry/only/app/"


def test_an_unknown_host_is_a_404(client, two_registries):
    assert client.get("/go", {"ref": "nowhere.example/app:v1"}).status_code == 404


def test_text_that_is_no_reference_is_searched_for(client, two_registries):
    response = client.get("/go", {"ref": "<script>:x:y"})
    assert response["Location"] == "/search/?q=%3Cscript%3E%3Ax%3Ay"
    page = client.get(response["Location"]).content.decode()
    assert "<script>:x" not in page
    assert "&lt;script&gt;" in page
