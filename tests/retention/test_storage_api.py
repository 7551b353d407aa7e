"""Storage in the JSON API: the registry's figures and one repository's, checked against the
OpenAPI document and against sums computed here from what was pushed; a token's group limits
(a hidden registry is a 404), a bad or unknown repository, and nothing is asked of the
registry."""

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from registries.api.auth import token_create
from tests.api_support import schema_errors
from tests.retention.support import indexed
from tests.support.images import push_image

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def reg(registry_factory):
    return registry_factory()


@pytest.fixture
def pushed(reg, registry_row, unique_repo_name):
    """`a` and `b` share two base layers; `a` has a third layer of its own."""
    a, b = unique_repo_name("api/a"), unique_repo_name("api/b")
    one = push_image(reg, a, "1", seed=f"{a}-1", layer_seed="api-base", layers=3)
    two = push_image(reg, b, "1", seed=f"{b}-1", layer_seed="api-base", layers=2)
    return indexed(registry_row(reg, name="apistore"), a, b), a, b, one, two


def sizes(image) -> dict[str, int]:
    return dict(zip(image.layer_digests, image.layer_sizes, strict=True)) | {
        image.config_digest: image.config_size
    }


def url(registry: str, repository: str | None = None) -> str:
    query = f"?repository={repository}" if repository else ""
    return f"/api/v1/registries/{registry}/storage{query}"


def test_the_registry_s_figures_fit_the_document_and_the_pushes(client, pushed, registry_requests):
    row, a, b, one, two = pushed
    answer = client.get(url(row.name))
    assert answer.status_code == 200
    body = answer.json()
    assert schema_errors("RegistryStorage", body) == []
    assert schema_errors("Storage", body) == []
    everything = sizes(one) | sizes(two)
    shared = set(sizes(one)) & set(sizes(two))
    assert len(shared) == 2
    assert body["unique_bytes"] == sum(everything.values())
    assert body["shared_bytes"] == sum(everything[d] for d in shared)
    assert body["logical_bytes"] == sum(sizes(one).values()) + sum(sizes(two).values())
    assert (body["repositories"], body["tags"], body["images"]) == (2, 2, 2)
    largest = body["largest_repositories"]
    assert [r["repository"] for r in largest] == [a, b]  # a has the extra layer
    assert largest[0]["own_bytes"] == sum(s for d, s in sizes(one).items() if d not in shared)
    assert {i["digest"]: i["bytes"] for i in body["largest_images"]} == {
        one.digest: sum(sizes(one).values()),
        two.digest: sum(sizes(two).values()),
    }
    assert body["growth"]["points"][-1]["bytes"] == body["unique_bytes"]
    assert body["reclaimable"] == {"bytes": 0, "manifests": 0}
    assert registry_requests == []  # from the index only


def test_one_repository_s_figures(client, pushed):
    row, _, b, _, two = pushed
    body = client.get(url(row.name, b)).json()
    assert schema_errors("RepositoryStorage", body) == []
    assert schema_errors("Storage", body) == []
    assert body["repository"] == b
    assert body["unique_bytes"] == sum(sizes(two).values())
    assert body["shared_bytes"] == sum(two.layer_sizes)  # both its layers are a's too...
    assert body["own_bytes"] == two.config_size  # ...only its config is its own
    assert body["web_url"] == f"/registry/{row.name}/-/storage/{b}/"


def test_a_bad_or_unknown_repository_and_a_hidden_registry(client, pushed):
    row, *_ = pushed
    bad = client.get(url(row.name, "Not/Valid"))
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_reference"
    assert schema_errors("Error", bad.json()) == []
    unknown = client.get(url(row.name, "never/pushed"))
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found"
    assert client.get(url("nosuch")).status_code == 404


def test_a_token_sees_a_group_limited_registry_only_as_a_member(pushed):
    row, a, *_ = pushed
    team = Group.objects.create(name="team")
    row.groups.add(team)
    user = User.objects.create_user("tess", password="tess-password-123")
    _, token = token_create(user=user, name="ci")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert Client().get(url(row.name), **headers).status_code == 404
    assert Client().get(url(row.name, a), **headers).status_code == 404
    assert Client().get(url(row.name)).status_code == 404  # anonymous
    user.groups.add(team)
    assert Client().get(url(row.name), **headers).status_code == 200
    assert Client().get(url(row.name, a), **headers).status_code == 200
    bad = Client().get(url(row.name), HTTP_AUTHORIZATION="Bearer not-a-token")
    assert bad.status_code == 401
