"""Compare: the diff logic over merged trees, and /compare/?a=&b= over two real images pushed
to real registries (shared base, whiteouts, changed mode, size, owner, retargeted symlink),
across registries, an index against an image, and every way the input or a registry fails."""

import re

import pytest
from django.contrib.auth.models import Group

from registries.client.models import Descriptor
from registries.contents import compare
from registries.contents.layers import Entry
from registries.contents.models import LayerListing
from registries.contents.tree import merge
from tests.contents.compare_data import (
    A_CONFIG,
    A_LAYERS,
    ADDED,
    B_CONFIG,
    B_LAYERS,
    CHANGED,
    REMOVED,
    push_image_of,
    push_multi,
    push_pair,
)

# -- the logic alone ---------------------------------------------------------------------------


def entry(path, kind="file", size=0, mode=0o644, uid=0, link=""):
    return Entry(path, kind, size, mode, uid, uid, "", "", link)


def test_it_lists_added_removed_and_changed_paths_with_what_changed():
    a = merge(
        [[entry("d", "dir", mode=0o755), entry("d/x", size=1), entry("d/l", "symlink", link="x")]]
    )
    b = merge(
        [
            [entry("d", "dir", mode=0o700), entry("d/x", size=2, mode=0o600)],
            [entry("d/l", "symlink", link="y"), entry("e", size=5)],
        ]
    )
    diff = compare.files_diff(a, b)
    assert [(c.path, c.change, c.what) for c in diff.changes] == [
        ("d", "changed", ("mode",)),
        ("d/l", "changed", ("link",)),
        ("d/x", "changed", ("size", "mode")),
        ("e", "added", ()),
    ]
    assert diff.counts() == {"added": 1, "removed": 0, "changed": 3}
    assert [c.path for c in compare.files_diff(b, a).of("removed")] == ["e"]
    assert [c.path for c in diff.matching("D/", "changed")] == ["d/l", "d/x"]


def test_an_implied_directory_against_a_real_one_is_no_change():
    a = merge([[entry("d/x")]])  # `d` only implied
    b = merge([[entry("d", "dir", mode=0o700), entry("d/x")]])
    assert compare.files_diff(a, b).changes == []


def test_layers_are_shared_added_or_removed_by_digest():
    layer = {n: Descriptor("t", f"sha256:{n * 64}", size) for n, size in zip("abcd", (1, 2, 3, 4))}
    diff = compare.layers_diff(
        [layer["a"], layer["b"], layer["c"]], [layer["a"], layer["d"], layer["b"]]
    )
    assert [(r.digest[7], r.a, r.b, r.change) for r in diff.rows] == [
        ("a", 1, 1, "shared"),
        ("b", 2, 3, "shared"),
        ("c", 3, None, "removed"),
        ("d", None, 2, "added"),
    ]
    assert (diff.size("shared"), diff.size("added"), diff.size("removed")) == (3, 4, 3)


@pytest.mark.parametrize(
    ("a", "b", "wanted", "chosen"),
    [
        (["linux/arm64", "linux/amd64"], ["linux/amd64", "linux/arm64"], "", "linux/amd64"),
        (
            ["linux/arm64", "linux/amd64"],
            ["linux/amd64", "linux/arm64"],
            "linux/arm64",
            "linux/arm64",
        ),
        (["linux/arm64", "linux/s390x"], ["linux/arm64"], "", "linux/arm64"),
        (["linux/arm64", "linux/s390x"], ["linux/s390x", "linux/arm64"], "", None),  # ask
        (["linux/arm64"], ["linux/amd64"], "", None),
        (["linux/arm64"], ["linux/arm64"], "linux/amd64", None),
    ],
)
def test_the_platform_is_the_one_asked_else_amd64_else_the_only_shared(a, b, wanted, chosen):
    assert compare.platform_choice(a, b, wanted=wanted) == chosen


# -- the page over real registries -------------------------------------------------------------


@pytest.fixture(scope="module")
def regs(registry_factory):
    one, two = registry_factory(), registry_factory()
    one.pushed = push_pair(one)
    one.multi = push_multi(one)
    two.pushed = {"b": push_image_of(two, "elsewhere/app", "1.5", B_LAYERS, config=B_CONFIG)}
    return one, two


@pytest.fixture
def rows(regs, registry_row):
    one, two = regs
    return registry_row(one, name="one"), registry_row(two, name="two")


def get(client, status=200, **params):
    response = client.get("/compare/", params)
    assert response.status_code == status, response.content[:3000]
    return response


def untokened(response) -> str:
    """The page without its CSRF token, which is masked afresh on every response."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


def comparison(client, a, b, **params):
    return get(client, a=a, b=b, **params).context["comparison"]


@pytest.mark.django_db
def test_the_files_diff_is_exact(client, rows):
    result = comparison(client, "one/compare/app:1.4", "one/compare/app:1.5")
    assert [c.path for c in result.files.of("added")] == ADDED
    assert [c.path for c in result.files.of("removed")] == REMOVED
    assert {c.path: c.what for c in result.files.of("changed")} == CHANGED
    run = next(c for c in result.files.changes if c.path == "app/run.sh")
    assert (run.a.mode, run.b.mode) == ("-rw-r--r--", "-rwxr-xr-x")
    size = next(c for c in result.files.changes if c.path == "app/size.txt")
    assert (size.a.size, size.b.size) == (2, 5)
    link = next(c for c in result.files.changes if c.path == "app/current")
    assert (link.a.link, link.b.link) == ("v1", "v2")
    hosts = next(c for c in result.files.changes if c.path == "etc/hosts")
    assert (hosts.a.owner, hosts.b.owner) == ("root:root", "app:app")


@pytest.mark.django_db
def test_config_differences_are_marked_exactly(client, rows):
    result = comparison(client, "one/compare/app:1.4", "one/compare/app:1.5")
    differing = {row.field: (row.a, row.b) for row in result.config if row.differs}
    assert differing == {
        "Cmd": ("run", "run --fast"),
        "User": ("root", "app"),
        "Working dir": ("/app", "/srv"),
        "Exposed ports": ("8080/tcp", "8080/tcp, 9090/tcp"),
        "Env APP_MODE": ("old", "new"),
        "Env FEATURE": (None, "on"),
        "Label org.opencontainers.image.version": ("1.4", "1.5"),
    }
    same = {row.field for row in result.config if not row.differs}
    assert same == {"Entrypoint", "Volumes", "Platform", "Env PATH", "Label team"}
    html = get(client, a="one/compare/app:1.4", b="one/compare/app:1.5").content.decode()
    assert html.count('<strong class="badge">differs</strong>') == len(differing)


@pytest.mark.django_db
def test_layers_are_shared_added_and_removed_with_sizes(client, regs, rows):
    one, _ = regs
    result = comparison(client, "one/compare/app:1.4", "one/compare/app:1.5")
    a, b = one.pushed["a"], one.pushed["b"]
    assert [(r.digest, r.size, r.change) for r in result.layers.rows] == [
        (a.layer_digests[0], a.layer_sizes[0], "shared"),
        (a.layer_digests[1], a.layer_sizes[1], "shared"),
        (a.layer_digests[2], a.layer_sizes[2], "removed"),
        (b.layer_digests[2], b.layer_sizes[2], "added"),
    ]
    # The builder writes the same steps for both: the history lines up without a difference.
    assert [r.differs for r in result.history] == [False] * 4
    assert LayerListing.objects.count() == 4  # each layer read once, shared ones too


@pytest.mark.django_db
def test_the_files_filter_and_paging(client, rows, monkeypatch):
    page = get(client, a="one/compare/app:1.4", b="one/compare/app:1.5", q="APP/", change="changed")
    assert [c.path for c in page.context["page"].object_list] == [
        "app/current",
        "app/run.sh",
        "app/size.txt",
    ]
    assert "3 matches." in page.content.decode()
    monkeypatch.setattr("registries.contents.compare_views.CHANGES_PER_PAGE", 2)
    second = get(client, a="one/compare/app:1.4", b="one/compare/app:1.5", page=2)
    assert [c.path for c in second.context["page"].object_list] == ["app/old.txt", "app/run.sh"]
    assert "Page 2 of 5" in second.content.decode()
    get(client, 400, a="one/compare/app:1.4", b="one/compare/app:1.5", change="everything")


@pytest.mark.django_db
def test_across_registries_by_name_and_by_host(client, regs, rows):
    _, two = regs
    result = comparison(client, "one/compare/app:1.5", f"{two.host}/elsewhere/app:1.5")
    assert (result.a.side.registry.name, result.b.side.registry.name) == ("one", "two")
    assert result.files.changes == []
    assert [r.change for r in result.layers.rows] == ["shared"] * 3  # same blobs, two places
    by_digest = comparison(
        client, f"two/elsewhere/app@{two.pushed['b'].digest}", "one/compare/app:1.4"
    )
    assert [c.path for c in by_digest.files.of("added")] == REMOVED  # swapped: a's removals


@pytest.mark.django_db
def test_an_index_against_an_image_compares_the_matching_platform(client, regs, rows):
    one, _ = regs
    result = comparison(client, "one/compare/app:1.5", "one/compare/multi:2.0")
    assert result.platform == "linux/amd64"  # the default, as both have it
    assert result.files.changes == [] and result.b.detail.digest != one.multi
    html = get(client, a="one/compare/multi:2.0", b="one/compare/multi:2.0").content.decode()
    assert "Platform</dt><dd>linux/amd64" in html
    # The image is amd64 only: asked for arm64, the page offers what both have.
    arm = get(client, a="one/compare/multi:2.0", b="one/compare/app:1.5", platform="linux/arm64")
    assert arm.context["question"].common == ["linux/amd64"]
    # An image against an index that lacks its platform: the page asks.
    asked = get(
        client, a="one/compare/multi:2.0", b="one/compare/multi:2.0", platform="windows/amd64"
    )
    assert asked.context["question"].common == ["linux/amd64", "linux/arm64"]
    assert "Not both images have the platform windows/amd64." in asked.content.decode()


@pytest.mark.django_db
def test_two_indexes_compare_the_asked_platform(client, rows):
    result = comparison(
        client, "one/compare/multi:2.0", "one/compare/multi:2.0", platform="linux/arm64"
    )
    assert result.platform == "linux/arm64" and result.a.detail.config.architecture == "arm64"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("a", "b", "sentence"),
    [
        ("", "one/compare/app:1.5", "Reference a is missing"),
        ("one/compare/app:1.4", "", "Reference b is missing"),
        ("one/Compare/App:1.4", "one/compare/app:1.5", "Reference a is not an image reference"),
        ("one/compare/app:1.4", "sha256:" + "0" * 64, "Reference b is a bare digest"),
        ("one/compare/app:-x", "one/compare/app:1.5", "Invalid tag"),
    ],
)
def test_bad_references_are_a_400_with_a_sentence(client, rows, a, b, sentence):
    assert sentence in get(client, 400, a=a, b=b).content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "b",
    [
        "one/compare/app:9.9",
        "one/compare/nothing:1.5",
        "ghost/compare/app:1.5",
        "example.com/compare/app:1.5",
    ],
)
def test_unknown_registry_repository_or_tag_is_a_404(client, rows, b):
    get(client, 404, a="one/compare/app:1.4", b=b)


@pytest.mark.django_db
def test_a_group_limited_registry_is_a_404_like_an_absent_one(client, regs, rows, persona):
    _, two = regs
    rows[1].groups.add(Group.objects.create(name="ops"))
    persona("pat")
    hidden = get(client, 404, a="one/compare/app:1.4", b="two/elsewhere/app:1.5")
    by_host = get(client, 404, a="one/compare/app:1.4", b=f"{two.host}/elsewhere/app:1.5")
    assert not LayerListing.objects.filter(registry=rows[1]).exists()
    rows[1].delete()
    absent = get(client, 404, a="one/compare/app:1.4", b="two/elsewhere/app:1.5")
    assert untokened(absent) == untokened(hidden)
    absent = get(client, 404, a="one/compare/app:1.4", b=f"{two.host}/elsewhere/app:1.5")
    assert untokened(absent) == untokened(by_host)


@pytest.mark.django_db
def test_a_registry_down_is_a_502_naming_it(client, rows, closed_port_url):
    from registries.models import Registry

    Registry.objects.create(name="down", url=closed_port_url)
    html = get(client, 502, a="one/compare/app:1.4", b="down/compare/app:1.5").content.decode()
    assert "Registry <strong>down</strong>" in html


@pytest.mark.django_db
def test_a_slow_registry_is_a_504_naming_it(client, rows, silent_server, settings):
    from registries.models import Registry

    settings.REGFRONT_READ_TIMEOUT = 0.5
    settings.REGFRONT_REQUEST_DEADLINE = 1.0
    Registry.objects.create(name="slow", url=silent_server)
    html = get(client, 504, a="slow/compare/app:1.4", b="one/compare/app:1.5").content.decode()
    assert "Registry <strong>slow</strong>" in html


@pytest.mark.django_db
def test_layers_not_listed_yet_say_so_and_nothing_is_read_in_the_request(client, rows, settings):
    settings.REGFRONT_LAYER_INLINE_BYTES = 1  # every layer is the worker's
    page = get(client, a="one/compare/app:1.4", b="one/compare/app:1.5")
    html = page.content.decode()
    assert page.context["comparison"].files is None
    assert "Image a: listing 3 of 3 layers" in html and "Image b: listing 3 of 3 layers" in html
    assert "waiting for the worker" in html
    assert set(LayerListing.objects.values_list("state", flat=True)) == {"pending"}
    assert "Config" in html and "differs" in html  # the rest of the page is there


@pytest.mark.django_db
def test_registry_strings_are_escaped(client, regs, rows):
    one, _ = regs
    hostile = {**A_CONFIG, "labels": {"x": "<script>alert(1)</script>"}}
    push_image_of(one, "compare/app", "hostile", A_LAYERS, config=hostile)
    html = get(client, a="one/compare/app:hostile", b="one/compare/app:1.4").content.decode()
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html


@pytest.mark.django_db
def test_without_references_the_page_is_the_form(client, rows):
    html = get(client).content.decode()
    assert 'name="a"' in html and 'name="b"' in html and "Config" not in html


def test_the_previous_version_counts_only_tags_with_a_digit():
    tags = ["1.2", "1.10", "latest", "2.0-rc1", "main"]
    assert compare.previous_version(tags, "1.10") == "1.2"
    assert compare.previous_version(tags, "2.0-rc1") == "1.10"
    assert compare.previous_version(tags, "1.2") is None
    assert compare.previous_version(tags, "latest") is None


@pytest.mark.django_db
def test_the_tag_page_links_to_the_compare_with_the_previous_version(client, regs, rows):
    html = client.get("/registry/one/compare/app:1.5").content.decode()
    link = "/compare/previous/?of=one/compare/app:1.5"
    assert f'href="{link}">Compare with previous version</a>' in html
    response = client.get(link)
    assert response.status_code == 302
    assert (
        response["Location"] == "/compare/?a=one%2Fcompare%2Fapp%3A1.4&b=one%2Fcompare%2Fapp%3A1.5"
    )
    assert client.get("/compare/previous/?of=one/compare/app:1.4").status_code == 404
    assert client.get("/compare/previous/?of=one/compare/app@sha256:" + "0" * 64).status_code == 400
    assert client.get("/compare/previous/?of=one/Compare").status_code == 400
    digest_page = client.get(f"/registry/one/compare/app@{regs[0].pushed['b'].digest}")
    assert digest_page.status_code == 200
    assert "Compare with previous version" not in digest_page.content.decode()


@pytest.mark.django_db
def test_the_repository_page_offers_a_compare_of_two_tags(client, rows):
    html = client.get("/registry/one/compare/app/").content.decode()
    assert 'action="/compare/"' in html
    # Tags come in version order: a is the first (older), b the second.
    a_select, b_select = html.split('id="compare-a"')[1].split('id="compare-b"')
    assert '<option value="one/compare/app:1.4" selected>1.4</option>' in a_select
    assert '<option value="one/compare/app:1.5" selected>1.5</option>' in b_select
