"""GET /api/v1/compare?a=&b=: the same differences as the page, as JSON checked against the
OpenAPI document, over real images on real registries; errors and group limits for tokens."""

import pytest
from django.contrib.auth.models import Group, User

from registries.api.auth import token_create
from registries.models import Registry
from tests.api_support import schema_errors
from tests.contents.compare_data import ADDED, CHANGED, REMOVED, push_multi, push_pair

pytestmark = pytest.mark.django_db

API = "/api/v1/compare"


@pytest.fixture(scope="module")
def reg(registry_factory):
    reg = registry_factory()
    reg.pushed = push_pair(reg)
    reg.multi = push_multi(reg)
    return reg


@pytest.fixture
def row(reg, registry_row):
    return registry_row(reg, name="one")


def get_json(client, schema="Comparison", status=200, headers=None, **params):
    response = client.get(API, params, headers=headers or {})
    assert response.status_code == status, response.content[:1000]
    body = response.json()
    assert schema_errors(schema, body) == []
    return body


def test_it_answers_the_files_config_and_layers_exactly(client, reg, row):
    body = get_json(client, a="one/compare/app:1.4", b="one/compare/app:1.5")
    items = body["files"]["items"]
    assert [i["path"] for i in items if i["change"] == "added"] == ADDED
    assert [i["path"] for i in items if i["change"] == "removed"] == REMOVED
    assert {i["path"]: tuple(i["what"]) for i in items if i["change"] == "changed"} == CHANGED
    assert body["files"]["counts"] == {"added": 1, "removed": 4, "changed": 4}
    run = next(i for i in items if i["path"] == "app/run.sh")
    assert run["a"] == {
        "kind": "file",
        "size": 19,
        "permissions": "-rw-r--r--",
        "owner": "root:root",
        "link": None,
    }
    assert run["b"]["permissions"] == "-rwxr-xr-x"
    assert next(i for i in items if i["path"] == "app/new.txt")["a"] is None
    assert {c["field"]: (c["a"], c["b"]) for c in body["config"] if c["differs"]}["User"] == (
        "root",
        "app",
    )
    a, b = reg.pushed["a"], reg.pushed["b"]
    assert [(x["digest"], x["a"], x["b"], x["change"]) for x in body["layers"]] == [
        (a.layer_digests[0], 1, 1, "shared"),
        (a.layer_digests[1], 2, 2, "shared"),
        (a.layer_digests[2], 3, None, "removed"),
        (b.layer_digests[2], None, 3, "added"),
    ]
    assert body["a"] | {"web_url": ""} == {
        "reference": "one/compare/app:1.4",
        "registry": "one",
        "repository": "compare/app",
        "tag": "1.4",
        "digest": a.digest,
        "index_digest": None,
        "platform": "linux/amd64",
        "web_url": "",
    }
    assert body["a"]["web_url"] == "/registry/one/compare/app:1.4"
    assert body["state"] == "ready" and body["platform"] is None
    assert body["web_url"].startswith("/compare/?a=one%2Fcompare%2Fapp%3A1.4&b=")


def test_the_filter_and_paging(client, row):
    body = get_json(client, a="one/compare/app:1.4", b="one/compare/app:1.5", q="ETC", per_page=1)
    assert [i["path"] for i in body["files"]["items"]] == ["etc/hosts"]
    assert (body["files"]["count"], body["files"]["pages"]) == (2, 2)
    assert body["files"]["next"].startswith("/api/v1/compare?")
    body = get_json(client, a="one/compare/app:1.4", b="one/compare/app:1.5", change="removed")
    assert [i["path"] for i in body["files"]["items"]] == REMOVED


def test_an_index_takes_a_platform_or_says_which(client, reg, row):
    body = get_json(client, a="one/compare/multi:2.0", b="one/compare/app:1.4")
    assert body["platform"] == "linux/amd64" and body["a"]["index_digest"] == reg.multi
    asked = get_json(
        client, "Error", 409, a="one/compare/multi:2.0", b="one/compare/app:1.4", platform="x/y"
    )
    assert asked["error"]["code"] == "platform_required"
    assert "linux/amd64" in asked["error"]["message"]


def test_layers_not_listed_yet_are_a_state_and_no_files(client, row, settings):
    settings.REGFRONT_LAYER_INLINE_BYTES = 1
    body = get_json(client, a="one/compare/app:1.4", b="one/compare/app:1.5")
    assert (body["state"], body["files"]) == ("pending", None)
    assert body["config"] and body["layers"]


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"b": "one/compare/app:1.5"}, 400, "invalid_reference"),
        ({"a": "one/compare/APP", "b": "one/compare/app:1.5"}, 400, "invalid_reference"),
        ({"a": "one/compare/app:1.4", "b": "one/compare/app:9"}, 404, "not_found"),
        ({"a": "one/compare/app:1.4", "b": "ghost.example/app:1"}, 404, "not_found"),
        ({"a": "one/compare/app:1.4", "b": "one/compare/app:1.5", "change": "x"}, 400, None),
        ({"a": "one/compare/app:1.4", "b": "one/compare/app:1.5", "page": "9"}, 404, None),
    ],
)
def test_bad_input_is_a_json_error(client, row, params, status, code):
    body = get_json(client, "Error", status, **params)
    assert code is None or body["error"]["code"] == code


def test_a_registry_down_is_a_502(client, row, closed_port_url):
    Registry.objects.create(name="down", url=closed_port_url)
    body = get_json(client, "Error", 502, a="down/x:1", b="one/compare/app:1.5")
    assert body["error"]["code"] == "registry_unreachable"


def test_a_token_sees_only_its_groups_registries(client, reg, row):
    group = Group.objects.create(name="ops")
    row.groups.add(group)
    outsider = User.objects.create_user("olga")
    _, token = token_create(user=outsider, name="ci")
    bearer = {"Authorization": f"Bearer {token}"}
    params = {"a": "one/compare/app:1.4", "b": "one/compare/app:1.5"}
    assert get_json(client, "Error", 404, headers=bearer, **params)["error"]["code"] == (
        "not_found"
    )
    member = User.objects.create_user("mia")
    member.groups.add(group)
    _, token = token_create(user=member, name="ci")
    body = get_json(client, headers={"Authorization": f"Bearer {token}"}, **params)
    assert body["files"]["counts"]["added"] == 1
