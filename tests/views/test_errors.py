"""Errors are pages with the right status that name the registry — never a 500."""

import pytest
import responses

from registries.models import Registry

pytestmark = pytest.mark.django_db


@pytest.fixture
def open_row(registry_open, registry_row):
    return registry_row(registry_open, name="open")


@pytest.mark.parametrize(
    "path",
    [
        "no/such/repo/",
        "app:no-such-tag",
        "app@sha256:" + "0" * 64,
        "no/such/repo:v1",
    ],
)
def test_unknown_things_are_404(client, open_row, path):
    response = client.get(f"/registry/open/{path}")
    assert response.status_code == 404
    assert "Not found" in response.content.decode()


@pytest.mark.parametrize(
    "path",
    ["UPPER/case:v1", "app:bad%20tag", "app@sha256:short", "app@md5:abc", "a//b/", "-lead/x/"],
)
def test_unparseable_references_are_400(client, open_row, path):
    response = client.get(f"/registry/open/{path}")
    assert response.status_code == 400
    assert "Not a valid image reference" in response.content.decode()


def test_an_unknown_registry_is_404_before_anything_else(client):
    assert client.get("/registry/nosuch/app:v1").status_code == 404
    assert client.get("/registry/Bad_Name/").status_code == 404


def test_an_unreachable_registry_is_a_502_naming_it(client, closed_port_url):
    Registry.objects.create(name="down", url=closed_port_url)
    for path in ("/registry/down/", "/registry/down/app/", "/registry/down/app:v1"):
        response = client.get(path)
        assert response.status_code == 502
        page = response.content.decode()
        assert "cannot be reached" in page
        assert "<strong>down</strong>" in page


def test_a_hung_registry_is_a_504_within_the_deadline(client, settings, silent_server):
    settings.REGFRONT_READ_TIMEOUT = 0.5
    settings.REGFRONT_REQUEST_DEADLINE = 1.0
    Registry.objects.create(name="hung", url=silent_server)
    response = client.get("/registry/hung/")
    assert response.status_code == 504
    assert "too slow" in response.content.decode()


def test_rejected_credentials_say_so(client, registry_basic, registry_row):
    registry_row(registry_basic, name="basic", password="wrong-password")
    response = client.get("/registry/basic/app/")
    assert response.status_code == 502
    page = response.content.decode()
    assert "rejected regfront&#x27;s credentials" in page
    assert "wrong-password" not in page


@responses.activate
def test_rate_limiting_is_a_503_with_retry_after(client):
    Registry.objects.create(name="limited", url="https://limited.example")
    responses.get(
        "https://limited.example/v2/_catalog",
        status=429,
        headers={"Retry-After": "30"},
        json={"errors": [{"code": "TOOMANYREQUESTS", "message": "slow down"}]},
    )
    response = client.get("/registry/limited/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"


@responses.activate
def test_a_garbage_answer_is_a_502(client):
    Registry.objects.create(name="garbage", url="https://garbage.example")
    responses.get("https://garbage.example/v2/_catalog", body="{not json", status=200)
    response = client.get("/registry/garbage/")
    assert response.status_code == 502
    assert "garbage" in response.content.decode()
