"""The JSON API's endpoints against real registries; every body checked against the OpenAPI
document's schema."""

import pytest
from django.contrib.auth.models import Group

from registries.inventory.models import IndexedRepository, SyncState
from registries.inventory.services import registry_sync, repository_sync
from registries.models import Registry
from tests.api_support import refuse_catalog, schema_errors

pytestmark = pytest.mark.django_db


@pytest.fixture
def local(registry_open, registry_row):
    return registry_row(registry_open, name="local")


def get_json(client, path: str, schema: str, status: int = 200, **extra) -> dict:
    response = client.get(path, **extra)
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert schema_errors(schema, body) == []
    return body


# --- registries ---------------------------------------------------------------------------


def test_it_lists_visible_registries_with_live_status(client, local, closed_port_url):
    Registry.objects.create(name="down", url=closed_port_url)
    body = get_json(client, "/api/v1/registries", "RegistryList")
    by_name = {r["name"]: r for r in body["registries"]}
    assert list(by_name) == ["down", "local"]
    assert by_name["local"]["status"] == {
        "state": "online",
        "message": "Online",
        "auth_mode": "none",
        "api_version": "registry/2.0",
    }
    assert by_name["down"]["status"]["state"] == "unreachable"
    assert by_name["local"]["repositories_url"] == "/api/v1/registries/local/repositories"
    assert by_name["local"]["web_url"] == "/registry/local/"


def test_it_shows_one_registry_and_its_cached_repository_count(client, local):
    body = get_json(client, "/api/v1/registries/local", "Registry")
    assert body["host"] == local.host
    assert body["repository_count"] is None  # the catalog was never fetched
    client.get("/api/v1/registries/local/repositories")
    assert get_json(client, "/api/v1/registries/local", "Registry")["repository_count"] > 100


def test_a_registry_says_where_its_repository_count_came_from(
    client, registry_factory, registry_row
):
    row = registry_row(registry_factory(dataset="small"), name="small")
    body = get_json(client, "/api/v1/registries/small", "Registry")
    assert (body["source"], body["index_state"], body["indexed_at"]) == ("registry", "none", None)
    registry_sync(registry=row)
    body = get_json(client, "/api/v1/registries/small", "Registry")
    assert (body["source"], body["index_state"], body["repository_count"]) == ("index", "fresh", 1)
    assert body["indexed_at"] is not None
    SyncState.objects.filter(registry=row).update(state="failed", last_error="Unreachable.")
    listed = get_json(client, "/api/v1/registries", "RegistryList")["registries"]
    assert [(r["name"], r["source"], r["index_state"]) for r in listed] == [
        ("small", "index", "failed")
    ]


def test_group_limited_registries_are_absent_for_others(client, persona, local):
    group = Group.objects.create(name="team")
    local.groups.add(group)
    assert get_json(client, "/api/v1/registries", "RegistryList") == {"registries": []}
    assert get_json(client, "/api/v1/registries/local", "Error", 404)["error"]["code"] == (
        "not_found"
    )
    assert client.get("/api/v1/registries/local/repositories").status_code == 404
    assert client.get("/api/v1/registries/local/repositories/app/tags").status_code == 404
    member = persona("pat")
    member.groups.add(group)
    assert [
        r["name"] for r in get_json(client, "/api/v1/registries", "RegistryList")["registries"]
    ] == ["local"]


def test_the_root_links_to_the_collections(client):
    body = get_json(client, "/api/v1/", "Root")
    assert body == {"registries_url": "/api/v1/registries", "openapi_url": "/api/v1/openapi.json"}


# --- repositories (the catalog) -------------------------------------------------------------


def test_it_pages_the_catalog_past_the_registrys_page_size(client, local, registry_open):
    first = get_json(client, "/api/v1/registries/local/repositories", "RepositoryList")
    assert first["catalog"] == {"available": True, "message": None}
    assert first["count"] >= len(registry_open.dataset.repositories) > 100
    assert (first["page"], first["per_page"]) == (1, 100)
    assert len(first["repositories"]) == 100
    assert first["previous"] is None
    assert first["next"] == "/api/v1/registries/local/repositories?page=2"
    second = get_json(client, first["next"], "RepositoryList")
    names = [r["name"] for r in first["repositories"] + second["repositories"]]
    assert set(registry_open.dataset.repositories) <= set(names)
    assert names == sorted(names)
    assert second["previous"] == "/api/v1/registries/local/repositories?page=1"


def test_it_filters_and_sizes_pages(client, local):
    body = get_json(
        client,
        "/api/v1/registries/local/repositories?q=REPO-11&per_page=4",
        "RepositoryList",
    )
    assert body["count"] == 10 and body["pages"] == 3
    assert [r["name"] for r in body["repositories"]] == [f"many/repo-11{i}" for i in range(4)]
    assert body["next"] == "/api/v1/registries/local/repositories?page=2&per_page=4&q=REPO-11"
    assert body["repositories"][0]["tags_url"] == (
        "/api/v1/registries/local/repositories/many/repo-110/tags"
    )


def test_pinned_repositories_come_first_and_marked(client, local):
    local.pinned_repositories = "team/service\nnot/in/catalog"
    local.save()
    body = get_json(client, "/api/v1/registries/local/repositories", "RepositoryList")
    assert body["repositories"][:2] == [
        {
            "name": "team/service",
            "pinned": True,
            "tags_url": "/api/v1/registries/local/repositories/team/service/tags",
        },
        {
            "name": "not/in/catalog",
            "pinned": True,
            "tags_url": "/api/v1/registries/local/repositories/not/in/catalog/tags",
        },
    ]
    names = [r["name"] for r in body["repositories"]]
    assert names.count("team/service") == 1
    assert not any(r["pinned"] for r in body["repositories"][2:])


def test_a_closed_catalog_lists_the_pinned_repositories(client, registry_factory, registry_row):
    closed = registry_factory(auth="token", grants=refuse_catalog, dataset="small")
    row = registry_row(closed, name="closed")
    row.pinned_repositories = "app"
    row.save()
    body = get_json(client, "/api/v1/registries/closed/repositories", "RepositoryList")
    assert body["catalog"]["available"] is False
    assert "does not list its repositories" in body["catalog"]["message"]
    assert [r["name"] for r in body["repositories"]] == ["app"]
    tags = get_json(client, "/api/v1/registries/closed/repositories/app/tags", "TagList")
    assert [t["tag"] for t in tags["tags"]] == ["1.2.0", "1.9.3", "1.10.0", "latest"]


# --- tags ---------------------------------------------------------------------------------


def test_it_lists_tags_with_digest_size_created_and_platforms(client, local, registry_open):
    body = get_json(client, "/api/v1/registries/local/repositories/app/tags", "TagList")
    assert (body["registry"], body["repository"], body["count"]) == ("local", "app", 4)
    assert (body["source"], body["index_state"], body["indexed_at"]) == ("registry", "none", None)
    tags = {t["tag"]: t for t in body["tags"]}
    assert list(tags) == ["1.2.0", "1.9.3", "1.10.0", "latest"]  # natural order
    image = registry_open.dataset.image("app", "1.10.0")
    assert tags["1.10.0"] == {
        "tag": "1.10.0",
        "digest": image.digest,
        "media_type": image.media_type,
        "kind": "image",
        "size": image.size,
        "created": "2024-02-20T08:15:00+00:00",
        "platforms": ["linux/amd64"],
        "error": None,
    }
    assert tags["latest"]["digest"] == image.digest


def test_an_indexed_repository_lists_its_tags_from_the_index(
    client, local, registry_open, registry_requests
):
    repository_sync(registry=local, repository="app")
    registry_requests.clear()
    body = get_json(client, "/api/v1/registries/local/repositories/app/tags", "TagList")
    assert (body["source"], body["index_state"]) == ("index", "fresh")
    synced = IndexedRepository.objects.get(registry=local, name="app").last_synced
    assert body["indexed_at"] == synced.isoformat()
    tags = {t["tag"]: t for t in body["tags"]}
    assert list(tags) == ["1.2.0", "1.9.3", "1.10.0", "latest"]
    image = registry_open.dataset.image("app", "1.10.0")
    assert tags["latest"] | {"tag": "1.10.0"} == tags["1.10.0"]
    assert (tags["1.10.0"]["digest"], tags["1.10.0"]["size"]) == (image.digest, image.size)
    assert tags["1.10.0"]["created"] == "2024-02-20T08:15:00+00:00"
    assert [r for r in registry_requests if r.registry == "local"] == []


def test_a_multi_arch_tag_lists_its_platforms(client, local):
    body = get_json(client, "/api/v1/registries/local/repositories/multi/arch/tags", "TagList")
    (tag,) = body["tags"]
    assert tag["kind"] == "index"
    assert len(tag["platforms"]) >= 2 and "linux/amd64" in tag["platforms"]


def test_it_pages_and_filters_tags(client, local):
    path = "/api/v1/registries/local/repositories/many-tags/tags"
    body = get_json(client, f"{path}?per_page=50&page=3", "TagList")
    assert body["count"] == 130 and body["pages"] == 3
    assert [t["tag"] for t in body["tags"]] == [f"t{i:03d}" for i in range(100, 130)]
    assert body["next"] is None
    filtered = get_json(client, f"{path}?q=T12", "TagList")
    assert [t["tag"] for t in filtered["tags"]] == [f"t12{i}" for i in range(10)]


def test_repository_names_may_be_percent_encoded(client, local):
    body = get_json(client, "/api/v1/registries/local/repositories/team%2Fservice/tags", "TagList")
    assert body["repository"] == "team/service"


# --- manifests ----------------------------------------------------------------------------


def test_a_tag_shows_the_manifest_summary_config_and_layers(client, local, registry_open):
    image = registry_open.dataset.image("app", "1.2.0")
    body = get_json(client, "/api/v1/registries/local/repositories/app/manifests/1.2.0", "Manifest")
    assert (body["tag"], body["digest"], body["kind"]) == ("1.2.0", image.digest, "image")
    assert body["total_size"] == image.size
    assert [layer["digest"] for layer in body["layers"]] == image.layer_digests
    assert [layer["size"] for layer in body["layers"]] == image.layer_sizes
    config = body["config"]
    assert config["created"] == "2023-03-01T10:00:00+00:00"
    assert (config["os"], config["architecture"]) == ("linux", "amd64")
    assert config["labels"]["org.opencontainers.image.version"] == "1.2.0"
    assert config["cmd"] == ["serve", "--port", "8080"]
    assert body["pull"] == f"{local.host}/app@{image.digest}"
    assert body["web_url"] == f"/registry/local/app@{image.digest}"


def test_a_digest_of_an_index_shows_its_platforms(client, local, registry_open):
    index = registry_open.dataset.index("multi/arch", "v1")
    body = get_json(
        client,
        f"/api/v1/registries/local/repositories/multi/arch/manifests/{index.digest}",
        "Manifest",
    )
    assert body["tag"] is None and body["kind"] == "index"
    assert body["config"] is None and body["layers"] == []
    assert [p["digest"] for p in body["platforms"]] == [c.digest for c in index.children]
    assert body["platforms"][0]["platform"] == "linux/amd64"
    assert body["platforms"][0]["attestation"] is False


def test_hostile_labels_are_plain_json_strings(client, local):
    body = get_json(
        client, "/api/v1/registries/local/repositories/oci/hostile/manifests/v1", "Manifest"
    )
    assert body["config"]["labels"]["evil"] == "<script>alert(1)</script>"


def test_referrers_are_listed_where_the_registry_supports_them(client, local, registry_open):
    digest = registry_open.dataset.digest("app", "1.2.0")
    body = get_json(
        client, f"/api/v1/registries/local/repositories/app/manifests/{digest}", "Manifest"
    )
    # distribution 2.8 has no referrers API: null, not an empty list.
    assert body["referrers"] is None
