"""API errors: the pages' status codes as JSON bodies {"error": {"code", "message"}}."""

import pytest
import responses

from registries.models import Registry
from tests.api_support import schema_errors

pytestmark = pytest.mark.django_db


@pytest.fixture
def local(registry_open, registry_row):
    return registry_row(registry_open, name="local")


def error(client, path: str, status: int, code: str, **extra) -> dict:
    response = client.get(path, **extra)
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert schema_errors("Error", body) == []
    assert body["error"]["code"] == code
    return body["error"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/registries/nosuch",
        "/api/v1/registries/nosuch/repositories",
        "/api/v1/registries/nosuch/repositories/app/tags",
        "/api/v1/registries/Bad_Name/repositories/app/manifests/v1",
        "/api/v1/registries/local/repositories/no/such/repo/tags",
        "/api/v1/registries/local/repositories/app/manifests/no-such-tag",
        "/api/v1/registries/local/repositories/app/manifests/sha256:" + "0" * 64,
        "/api/v1/registries/local/repositories/app",
        "/api/v1/registries/local/repositories/app/blobs/x",
        "/api/v1/nothing/here",
        "/api/v1/registries/",
    ],
)
def test_unknown_things_are_404(client, local, path):
    error(client, path, 404, "not_found")


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/registries/local/repositories/UPPER/tags",
        "/api/v1/registries/local/repositories/a//b/tags",
        "/api/v1/registries/local/repositories/-lead/manifests/v1",
        "/api/v1/registries/local/repositories/app/manifests/bad%20tag",
        "/api/v1/registries/local/repositories/app/manifests/sha256:short",
        "/api/v1/registries/local/repositories/app/manifests/md5:" + "0" * 32,
    ],
)
def test_unparseable_references_are_400(client, local, path):
    error(client, path, 400, "invalid_reference")


@pytest.mark.parametrize(
    "query", ["page=0", "page=-1", "page=x", "per_page=0", "per_page=101", "q=" + "x" * 256]
)
def test_bad_query_parameters_are_400(client, local, query):
    error(client, f"/api/v1/registries/local/repositories?{query}", 400, "bad_request")


def test_a_page_past_the_end_is_404(client, local):
    error(client, "/api/v1/registries/local/repositories/app/tags?page=2", 404, "not_found")


def test_an_empty_result_is_one_empty_page(client, local):
    response = client.get("/api/v1/registries/local/repositories?q=zzz-nothing")
    assert response.status_code == 200
    assert response.json()["count"] == 0 and response.json()["pages"] == 1


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_the_api_is_read_only(client, local, method):
    response = getattr(client, method)("/api/v1/registries/local/repositories/app/tags")
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_head_answers_like_get_without_a_body(client, local):
    response = client.head("/api/v1/registries/local")
    assert response.status_code == 200
    assert response.content == b""


def test_an_unreachable_registry_is_a_502(client, closed_port_url):
    Registry.objects.create(name="down", url=closed_port_url)
    for path in (
        "/api/v1/registries/down/repositories",
        "/api/v1/registries/down/repositories/app/tags",
        "/api/v1/registries/down/repositories/app/manifests/v1",
    ):
        assert "could not be reached" in error(client, path, 502, "registry_unreachable")["message"]


def test_a_hung_registry_is_a_504(client, settings, silent_server):
    settings.REGFRONT_READ_TIMEOUT = 0.5
    settings.REGFRONT_REQUEST_DEADLINE = 1.0
    Registry.objects.create(name="hung", url=silent_server)
    error(client, "/api/v1/registries/hung/repositories/app/tags", 504, "registry_timeout")


def test_rejected_credentials_are_a_502_without_the_password(client, registry_basic, registry_row):
    registry_row(registry_basic, name="basic", password="wrong-password")
    response = client.get("/api/v1/registries/basic/repositories/app/tags")
    assert response.status_code == 502
    assert response.json()["error"]["code"] == "registry_unauthorized"
    assert b"wrong-password" not in response.content


@responses.activate
def test_rate_limiting_is_a_503_with_retry_after_and_no_retry(client):
    Registry.objects.create(name="limited", url="https://limited.example")
    tags = responses.get(
        "https://limited.example/v2/app/tags/list",
        status=429,
        headers={"Retry-After": "30", "RateLimit-Limit": "100;w=21600"},
        json={"errors": [{"code": "TOOMANYREQUESTS", "message": "slow down"}]},
    )
    response = client.get("/api/v1/registries/limited/repositories/app/tags")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    body = response.json()
    assert body["error"]["code"] == "rate_limited"
    assert "limit 100 per 6 hours" in body["error"]["message"]
    assert tags.call_count == 1


@responses.activate
def test_a_garbage_answer_is_a_502(client):
    Registry.objects.create(name="garbage", url="https://garbage.example")
    responses.get("https://garbage.example/v2/_catalog", body="{not json", status=200)
    error(client, "/api/v1/registries/garbage/repositories", 502, "registry_bad_response")


@responses.activate
def test_a_denied_repository_is_a_403(client):
    Registry.objects.create(name="strict", url="https://strict.example")
    responses.get(
        "https://strict.example/v2/app/tags/list",
        status=403,
        json={"errors": [{"code": "DENIED", "message": "no"}]},
    )
    error(client, "/api/v1/registries/strict/repositories/app/tags", 403, "registry_denied")
