"""Retention in the JSON API: the policies and each one's dry-run plan, which is the object
`manage.py retention --dry-run --json` prints; the Cleanup pages' permission (anonymous 401,
unprivileged 403, group-limited registry 404); an unknown policy is a JSON 404."""

import json
from io import StringIO

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.core.management import call_command
from django.test import Client

from registries.api.auth import token_create
from registries.retention.models import RetentionPolicy
from tests.api_support import schema_errors
from tests.retention.support import indexed, policy, stock, tags_now

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def reg(registry_factory):
    return registry_factory()


@pytest.fixture
def stocked(reg, registry_row, unique_repo_name):
    name = unique_repo_name("api")
    stocked = stock(reg, name)
    row = indexed(registry_row(reg, name="apiret"), name)
    return row, policy(row, name), stocked


def plan_url(registry: str, name: str) -> str:
    return f"/api/v1/registries/{registry}/retention/{name}/plan"


def test_the_plan_is_the_command_s_dry_run_json(client, persona, stocked, reg):
    row, p, stocked_ = stocked
    persona("chris")
    answer = client.get(plan_url(row.name, p.name))
    assert answer.status_code == 200, answer.content[:300]
    assert answer["Content-Type"] == "application/json"
    out = StringIO()
    call_command("retention", "--policy", p.name, "--dry-run", "--json", stdout=out)
    assert answer.json() == json.loads(out.getvalue())
    assert schema_errors("RetentionPlan", answer.json()) == []
    entry = answer.json()["repositories"][0]
    older = stocked_.images["older"]
    assert entry["delete"] == [{"digest": older.digest, "tags": ["0.9"]}]
    assert answer.json()["reclaimable_bytes"] == older.size
    assert len(tags_now(reg, stocked_.name)) == 5  # a plan deletes nothing


def test_the_policies_list_links_each_plan(client, persona, stocked):
    row, p, _ = stocked
    RetentionPolicy.objects.create(registry=row, name="weekly", repositories="other/*",
                                   keep_days=30, protect="latest\nrelease-*")  # fmt: skip
    persona("chris")
    answer = client.get(f"/api/v1/registries/{row.name}/retention")
    assert answer.status_code == 200
    body = answer.json()
    assert schema_errors("RetentionPolicyList", body) == []
    assert body["registry"] == row.name
    assert [x["name"] for x in body["policies"]] == ["nightly", "weekly"]
    weekly = body["policies"][1]
    assert weekly["repositories"] == ["other/*"]
    assert weekly["protect"] == ["latest", "release-*"]
    assert (weekly["keep_days"], weekly["keep_last"], weekly["paused"]) == (30, None, False)
    assert body["policies"][0]["plan_url"] == plan_url(row.name, p.name)
    assert client.get(body["policies"][0]["plan_url"]).status_code == 200
    assert body["policies"][0]["web_url"] == f"/manage/registries/{row.name}/retention/{p.name}/"


def test_a_token_with_the_permission_reads_the_plan(stocked):
    row, p, _ = stocked
    user = User.objects.create_user("tina")
    user.user_permissions.add(Permission.objects.get(codename="change_registry"))
    _, token = token_create(user=user, name="ci")
    answer = Client().get(plan_url(row.name, p.name), HTTP_AUTHORIZATION=f"Bearer {token}")
    assert answer.status_code == 200
    assert answer.json()["repositories"][0]["repository"] == p.repositories


@pytest.mark.parametrize("path", ["retention", "retention/nightly/plan"])
def test_anonymous_is_told_to_authenticate(stocked, path):
    row, _, _ = stocked
    answer = Client().get(f"/api/v1/registries/{row.name}/{path}")
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "unauthenticated"
    assert answer["WWW-Authenticate"] == 'Bearer realm="regfront"'
    assert schema_errors("Error", answer.json()) == []


@pytest.mark.parametrize("path", ["retention", "retention/nightly/plan"])
def test_someone_without_the_permission_gets_403_and_no_plan(client, persona, stocked, path):
    row, _, _ = stocked
    persona("dora")  # may delete manifests, not change registries
    answer = client.get(f"/api/v1/registries/{row.name}/{path}")
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "forbidden"
    assert "repositories" not in answer.json() and "policies" not in answer.json()


def test_a_registry_of_another_group_is_a_404_even_with_the_permission(client, persona, stocked):
    row, p, _ = stocked
    row.groups.add(Group.objects.create(name="elsewhere"))
    persona("chris")
    for path in ("retention", f"retention/{p.name}/plan"):
        answer = client.get(f"/api/v1/registries/{row.name}/{path}")
        assert answer.status_code == 404
        assert answer.json()["error"]["code"] == "not_found"


def test_an_unknown_policy_is_a_json_404(client, persona, stocked):
    row, _, _ = stocked
    persona("chris")
    answer = client.get(plan_url(row.name, "nope"))
    assert answer.status_code == 404
    assert answer["Content-Type"] == "application/json"
    assert answer.json()["error"] == {
        "code": "not_found",
        "message": "This registry has no retention policy by that name.",
    }


def test_the_plan_is_read_only(client, persona, stocked):
    row, p, _ = stocked
    persona("sue")
    answer = client.post(plan_url(row.name, p.name))
    assert answer.status_code == 405
    assert answer.json()["error"]["code"] == "method_not_allowed"
