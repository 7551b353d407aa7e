"""The Files pages over real layers (tar.gz, tar.zst and plain tar) pushed to a real
registry: the merged tree, directories, single entries, per-layer changes, the platform
choice of an index, and who may see them."""

import pytest
from django.contrib.auth.models import Group

from registries.client.models import ImageManifest
from registries.contents.models import LayerListing
from registries.contents.services import image_files
from registries.services import manifest_by_digest
from tests.contents.build import (
    OCI_LAYER_GZIP,
    OCI_LAYER_TAR,
    OCI_LAYER_ZSTD,
    d,
    f,
    gz,
    hard,
    opaque,
    push_layers,
    sym,
    tar_bytes,
    whiteout,
    zst,
)
from tests.support.images import push_index

pytestmark = pytest.mark.django_db

HOSTILE = "<img src=x onerror=alert(1)>.txt"
BASE = [
    d("etc"),
    f("etc/hosts", b"127.0.0.1 localhost\n"),
    f("etc/passwd", b"root:x:0:0::/root:/bin/sh\n"),
    d("usr"),
    d("usr/bin"),
    f("usr/bin/tool", b"#!/bin/sh\n", mode=0o755),
    sym("usr/bin/t", "tool"),
    hard("usr/bin/tool2", "usr/bin/tool"),
    d("var"),
    d("var/cache"),
    f("var/cache/a", b"a"),
    f("var/cache/b", b"b"),
    d("opt"),
    d("opt/old"),
    f("opt/old/x", b"x"),
]
SECOND = [
    whiteout("etc/passwd"),
    opaque("var/cache"),
    f("var/cache/c", b"ccc"),
    f("usr/bin/tool", b"#!/bin/sh\necho newer\n", mode=0o755),
    f("home/app/.profile", b"PS1='$ '\n", uid=1000, gid=1000, uname="app", gname="app"),
]
THIRD = [whiteout("opt/old"), f(HOSTILE, b"x")]
LAYERS = [
    (gz(tar_bytes(BASE)), OCI_LAYER_GZIP),
    (zst(tar_bytes(SECOND)), OCI_LAYER_ZSTD),
    (tar_bytes(THIRD), OCI_LAYER_TAR),
]
MERGED = [
    HOSTILE,
    "etc",
    "etc/hosts",
    "home",
    "home/app",
    "home/app/.profile",
    "opt",
    "usr",
    "usr/bin",
    "usr/bin/t",
    "usr/bin/tool",
    "usr/bin/tool2",
    "var",
    "var/cache",
    "var/cache/c",
]


@pytest.fixture(scope="module")
def reg(registry_factory):
    reg = registry_factory()
    reg.contents = {
        "v1": push_layers(reg, "contents/app", "v1", LAYERS),
        "base": push_layers(reg, "contents/app", "base", LAYERS[:1]),  # shares layer 1
    }
    push_index(reg, "contents/multi", "v1", kind="oci", layers=1)
    return reg


@pytest.fixture
def row(reg, registry_row):
    return registry_row(reg, name="files")


def blobs_read(requests) -> list[str]:
    return [r.path.rsplit("/", 1)[1] for r in requests if "/blobs/" in r.path and r.method == "GET"]


def page(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, response.content[:2000]
    return response.content.decode()


def files_of(row) -> list[str]:
    digest = page_digest(row)
    fetched = manifest_by_digest(registry=row, repository="contents/app", digest=digest)
    assert isinstance(fetched.parsed, ImageManifest)
    files = image_files(registry=row, repository="contents/app", manifest=fetched.parsed)
    return sorted(p for p in files.tree.nodes if p)


def page_digest(row) -> str:
    from registries.services import tag_digest

    return tag_digest(registry=row, repository="contents/app", tag="v1")


def test_it_shows_the_merged_tree_of_gzip_zstd_and_plain_tar_layers(client, row):
    root = page(client, "/registry/files/contents/app:v1/files/")
    assert files_of(row) == MERGED
    for name in ("etc/", "home/", "opt/", "usr/", "var/"):
        assert f">{name}</a>" in root
    assert {x.digest: x.compression for x in LayerListing.objects.all()}.__len__() == 3
    assert sorted(LayerListing.objects.values_list("compression", flat=True)) == [
        "gzip",
        "none",
        "zstd",
    ]
    assert set(LayerListing.objects.values_list("state", flat=True)) == {"ready"}


def test_a_directory_lists_sizes_modes_owners_links_and_layers(client, row):
    html = page(client, "/registry/files/contents/app:v1/files/usr/bin")
    rows = {
        cells.split('">', 2)[1].split("<", 1)[0]: cells
        for cells in html.split('<th scope="row">')[1:]
    }
    assert set(rows) == {"t", "tool", "tool2"}
    assert "<code>lrwxrwxrwx</code>" in rows["t"] and "→ tool" in rows["t"]
    assert "<code>-rwxr-xr-x</code>" in rows["tool"] and "root:root" in rows["tool"]
    assert 'title="21 bytes"' in rows["tool"]  # the second layer's version
    assert '?layer=2">2</a>' in rows["tool"]
    assert "hard link to usr/bin/tool" in rows["tool2"]
    assert '?layer=1">1</a>' in rows["tool2"]
    home = page(client, "/registry/files/contents/app:v1/files/home/app")
    assert "app:app" in home and "<code>-rw-r--r--</code>" in home


def test_a_single_entry_shows_its_facts(client, row):
    html = page(client, "/registry/files/contents/app:v1/files/etc/hosts")
    assert "<dt>Type</dt><dd>file</dd>" in html
    assert 'title="20 bytes"' in html
    assert "layer 1</a>" in html
    link = page(client, "/registry/files/contents/app:v1/files/usr/bin/t")
    assert '<dt>Points to</dt><dd><code class="break">tool</code>' in link


def test_each_layer_shows_what_it_added_changed_and_removed(client, row):
    def lists(n: int) -> dict[str, list[str]]:
        html = page(client, f"/registry/files/contents/app:v1/files/?layer={n}")
        body = html.split('id="changes-heading"', 1)[1].split("</section>", 1)[0]
        out = {}
        for part in body.split("<h3>")[1:]:
            label = part.split(" ", 1)[0]
            out[label] = [p.split("</code>")[0] for p in part.split('<code class="break">/')[1:]]
        return out

    second = lists(2)
    assert second == {
        "Added": ["home", "home/app", "home/app/.profile", "var/cache/c"],
        "Changed": ["usr/bin/tool"],
        "Removed": ["etc/passwd", "var/cache/a", "var/cache/b"],
    }
    third = lists(3)
    assert third["Removed"] == ["opt/old", "opt/old/x"]
    assert third["Added"] == ["&lt;img src=x onerror=alert(1)&gt;.txt"]
    assert len(lists(1)["Added"]) == len(BASE)
    page(client, "/registry/files/contents/app:v1/files/?layer=4", status=404)
    page(client, "/registry/files/contents/app:v1/files/?layer=x", status=404)


def test_hostile_names_are_escaped(client, row):
    html = page(client, "/registry/files/contents/app:v1/files/")
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;.txt" in html


def test_a_layer_is_read_once_per_digest(client, reg, row, registry_requests):
    v1, base = reg.contents["v1"], reg.contents["base"]
    page(client, "/registry/files/contents/app:v1/files/")
    assert sorted(blobs_read(registry_requests)) == sorted([v1.config_digest, *v1.layer_digests])
    registry_requests.clear()
    page(client, "/registry/files/contents/app:base/files/")  # its one layer is listed
    page(client, "/registry/files/contents/app:v1/files/etc")
    assert blobs_read(registry_requests) == [base.config_digest]
    assert LayerListing.objects.count() == 3


def test_by_digest_too_and_the_tag_page_links_to_files(client, row):
    digest = page_digest(row)
    html = page(client, f"/registry/files/contents/app@{digest}/files/etc")
    assert ">hosts</a>" in html
    tag_page = page(client, "/registry/files/contents/app:v1")
    assert '<a class="button" href="/registry/files/contents/app:v1/files/">Files</a>' in tag_page


def test_an_index_asks_which_platform(client, row):
    html = page(client, "/registry/files/contents/multi:v1/files/")
    assert "Which platform?" in html
    assert html.count('/files/">linux/') == 3
    first = html.split('/files/">linux/amd64')[0].rsplit('href="', 1)[1]
    assert ">opt/</a>" in page(client, first + "/files/")


def test_unknown_paths_and_tags_are_404_and_bad_references_400(client, row):
    page(client, "/registry/files/contents/app:v1/files/nope", status=404)
    page(client, "/registry/files/contents/app:v1/files/../../etc", status=404)
    page(client, "/registry/files/contents/app:nope/files/", status=404)
    page(client, "/registry/files/contents/APP:v1/files/", status=400)


def test_a_group_limited_registry_never_leaks(client, row, persona):
    row.groups.add(Group.objects.create(name="ops"))
    page(client, "/registry/files/contents/app:v1/files/", status=404)
    persona("pat")
    page(client, "/registry/files/contents/app:v1/files/etc", status=404)
    assert not LayerListing.objects.exists()  # nothing was read for them either
