"""The files API (`/api/v1/registries/<name>/repositories/<repo>/files`) over real layers on
a real registry: the listing states, entries exactly, paging, an index's platforms, errors,
and who may see it; every body checked against the OpenAPI document."""

import pytest
from django.contrib.auth.models import Group, User

from registries.api.auth import token_create
from tests.api_support import schema_errors
from tests.contents.build import (
    OCI_LAYER_GZIP,
    OCI_LAYER_ZSTD,
    d,
    f,
    gz,
    hard,
    push_layers,
    sym,
    tar_bytes,
    whiteout,
    zst,
)
from tests.support.images import push_index

pytestmark = pytest.mark.django_db

FIRST = [
    d("usr", mode=0o755),
    d("usr/bin"),
    f("usr/bin/tool", b"#!/bin/sh\n", mode=0o755),
    sym("usr/bin/t", "tool"),
    hard("usr/bin/tool2", "usr/bin/tool"),
    f("usr/bin/old", b"old"),
    f("etc/hosts", b"127.0.0.1 localhost\n", uid=1000, gid=1001, uname="app", gname="apps"),
]
SECOND = [whiteout("usr/bin/old"), f("usr/bin/two", b"#!/bin/sh\necho 2\n", mode=0o700)]
LAYERS = [(gz(tar_bytes(FIRST)), OCI_LAYER_GZIP), (zst(tar_bytes(SECOND)), OCI_LAYER_ZSTD)]
API = "/api/v1/registries/files/repositories/contents/api/files"


@pytest.fixture(scope="module")
def reg(registry_factory):
    reg = registry_factory()
    reg.image = push_layers(reg, "contents/api", "v1", LAYERS)
    reg.index = push_index(reg, "contents/multi", "v1", kind="oci", layers=1)
    return reg


@pytest.fixture
def row(reg, registry_row):
    return registry_row(reg, name="files")


def get_json(client, query: str, schema: str = "FileListing", status: int = 200, **extra):
    response = client.get(f"{API}?{query}", **extra)
    assert response.status_code == status, response.content[:1000]
    body = response.json()
    assert schema_errors(schema, body) == []
    return body


def entry(name, path, kind, size, mode, permissions, layer, link=None, owner=(0, 0, "root")):
    uid, gid, user = owner
    return {
        "name": name,
        "path": path,
        "kind": kind,
        "size": size,
        "mode": mode,
        "permissions": permissions,
        "uid": uid,
        "gid": gid,
        "user": user,
        "group": user if user != "app" else "apps",
        "link": link,
        "layer": layer,
        "web_url": f"/registry/files/contents/api:v1/files/{path}",
    }


def test_it_lists_a_directory_exactly(client, row, reg):
    body = get_json(client, "reference=v1&path=usr/bin")
    assert body["state"] == "ready"
    assert (body["digest"], body["kind"], body["reference"]) == (reg.image.digest, "image", "v1")
    assert [(x["number"], x["state"], x["entry_count"]) for x in body["layers"]] == [
        (1, "ready", 7),
        (2, "ready", 2),
    ]
    assert body["layers"][0]["digest"] == reg.image.layer_digests[0]
    assert body["entry"] == entry("bin", "usr/bin", "dir", None, 0o755, "drwxr-xr-x", 1)
    assert body["entries"]["count"] == 4
    assert body["entries"]["items"] == [
        entry("t", "usr/bin/t", "symlink", None, 0o777, "lrwxrwxrwx", 1, link="tool"),
        entry("tool", "usr/bin/tool", "file", 10, 0o755, "-rwxr-xr-x", 1),
        entry("tool2", "usr/bin/tool2", "hardlink", 10, 0o644, "-rw-r--r--", 1, "usr/bin/tool"),
        entry("two", "usr/bin/two", "file", 17, 0o700, "-rwx------", 2),
    ]
    assert body["web_url"] == "/registry/files/contents/api:v1/files/usr/bin"


def test_the_root_and_a_single_entry(client, row):
    root = get_json(client, "reference=v1")
    assert [x["name"] for x in root["entries"]["items"]] == ["etc", "usr"]
    assert root["entries"]["items"][0]["mode"] is None  # only implied by etc/hosts
    assert root["entry"]["layer"] == 0 and root["path"] == ""
    hosts = get_json(client, "reference=v1&path=/etc/hosts")
    assert hosts["entry"] == entry(
        "hosts", "etc/hosts", "file", 20, 0o644, "-rw-r--r--", 1, owner=(1000, 1001, "app")
    )
    assert hosts["entries"] is None


def test_entries_are_paged(client, row):
    body = get_json(client, "reference=v1&path=usr/bin&per_page=2&page=2")
    entries = body["entries"]
    assert [x["name"] for x in entries["items"]] == ["tool2", "two"]
    assert (entries["page"], entries["pages"], entries["next"]) == (2, 2, None)
    assert entries["previous"] == f"{API}?page=1&path=usr%2Fbin&per_page=2&reference=v1"
    get_json(client, "reference=v1&path=usr/bin&per_page=2&page=3", "Error", 404)


def test_by_digest_too(client, row, reg):
    body = get_json(client, f"reference={reg.image.digest}&path=usr")
    assert body["reference"] == reg.image.digest
    assert body["web_url"] == f"/registry/files/contents/api@{reg.image.digest}/files/usr"
    assert [x["name"] for x in body["entries"]["items"]] == ["bin"]


def test_an_index_lists_its_platforms(client, row, reg):
    response = client.get("/api/v1/registries/files/repositories/contents/multi/files?reference=v1")
    body = response.json()
    assert schema_errors("FileListing", body) == []
    assert (body["kind"], body["state"], body["layers"], body["entry"]) == ("index", None, [], None)
    assert [p["platform"] for p in body["platforms"]] == [
        "linux/amd64",
        "linux/arm64/v8",
        "linux/arm/v7",
    ]
    first = body["platforms"][0]
    assert first["files_url"] == (
        f"/api/v1/registries/files/repositories/contents/multi/files?reference={first['digest']}"
    )
    platform = client.get(first["files_url"]).json()
    assert (platform["kind"], platform["state"]) == ("image", "ready")


def test_a_deleted_or_unknown_path_is_404_and_bad_input_400(client, row):
    assert get_json(client, "reference=v1&path=usr/bin/old", "Error", 404)["error"] == {
        "code": "not_found",
        "message": "No such path in this image.",
    }
    get_json(client, "reference=v1&path=../etc", "Error", 400)
    get_json(client, "path=usr", "Error", 400)
    get_json(client, "reference=NOT%20A%20TAG", "Error", 400)
    get_json(client, "reference=nope", "Error", 404)


def test_layers_waiting_for_the_worker_say_so(client, row, settings):
    settings.REGFRONT_LAYER_INLINE_BYTES = 10  # every layer is the worker's
    body = get_json(client, "reference=v1&path=usr")
    assert body["state"] == "pending"
    assert [x["state"] for x in body["layers"]] == ["pending", "pending"]
    assert (body["entry"], body["entries"]) == (None, None)


def test_a_layer_that_cannot_be_listed_names_its_limit(client, row, settings):
    settings.REGFRONT_MAX_LAYER_ENTRIES = 3
    body = get_json(client, "reference=v1")
    assert body["state"] == "failed"
    first = body["layers"][0]
    assert (first["state"], first["limit"], first["retried"]) == (
        "failed",
        "REGFRONT_MAX_LAYER_ENTRIES",
        False,
    )
    assert first["error"] == "The layer has more than 3 entries."
    assert body["layers"][1]["state"] == "ready"
    assert body["entry"] is None


def test_a_group_limited_registry_is_404_for_others_and_served_to_members(client, row):
    group = Group.objects.create(name="ops")
    row.groups.add(group)
    assert get_json(client, "reference=v1", "Error", 404)["error"]["message"] == (
        "No registry with this name is visible to you."
    )
    outsider = User.objects.create_user("pat")
    _, token = token_create(user=outsider, name="ci")
    get_json(client, "reference=v1", "Error", 404, HTTP_AUTHORIZATION=f"Bearer {token}")
    member = User.objects.create_user("mia")
    member.groups.add(group)
    _, token = token_create(user=member, name="ci")
    body = get_json(client, "reference=v1&path=etc", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert [x["name"] for x in body["entries"]["items"]] == ["hosts"]
