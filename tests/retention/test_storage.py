"""Storage figures against a real registry: images with layers shared across repositories are
pushed and indexed, and every figure is checked against sums computed here from what was
pushed (not from the service): unique bytes per registry and per repository, shared bytes,
the largest images (an index counts its images' blobs once), reclaimable after a delete."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from registries.inventory.models import IndexedTag
from registries.retention.storage import registry_storage, repository_storage
from tests.retention.support import indexed
from tests.support.images import PushedImage, PushedIndex, push_image, push_index

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def reg(registry_factory):
    return registry_factory()


def blobs_of(*images: PushedImage | PushedIndex) -> dict[str, int]:
    """digest -> size of every layer and config, from the pushes themselves."""
    found: dict[str, int] = {}
    for image in images:
        for child in image.children if isinstance(image, PushedIndex) else [image]:
            found |= dict(zip(child.layer_digests, child.layer_sizes, strict=True))
            found[child.config_digest] = child.config_size
    return found


@pytest.fixture
def pushed(reg, registry_row, unique_repo_name):
    """Two repositories sharing a base: `a` has 1.0 (base layers 0-1) and 2.0 (base 0-2);
    `b` has an image on the same base 0-1 and a two-platform index of its own."""
    a, b = unique_repo_name("storage/a"), unique_repo_name("storage/b")
    two = [("linux", "amd64", None), ("linux", "arm64", "v8")]
    images = {
        "a:1.0": push_image(reg, a, "1.0", seed=f"{a}-1", layer_seed="base", layers=2),
        "a:2.0": push_image(reg, a, "2.0", seed=f"{a}-2", layer_seed="base", layers=3),
        "b:1.0": push_image(reg, b, "1.0", seed=f"{b}-1", layer_seed="base", layers=2),
        "b:multi": push_index(reg, b, "multi", seed=f"{b}-multi", platforms=two),
    }
    row = indexed(registry_row(reg, name="store"), a, b)
    return row, a, b, images


def test_it_counts_each_blob_once_per_registry_and_per_repository(pushed):
    row, a, b, images = pushed
    in_a = blobs_of(images["a:1.0"], images["a:2.0"])
    in_b = blobs_of(images["b:1.0"], images["b:multi"])
    everywhere = in_a | in_b
    # The two base layers are in both repositories (a:2.0's third is a's alone): the
    # sharing is real, not assumed.
    shared = set(in_a) & set(in_b)
    assert len(shared) == 2 and shared <= set(images["a:1.0"].layer_digests)
    figures = registry_storage(registry=row).figures
    assert figures.unique_bytes == sum(everywhere.values())
    assert figures.blobs == len(everywhere)
    assert figures.shared_bytes == sum(everywhere[d] for d in shared)
    assert figures.logical_bytes == sum(in_a.values()) + sum(in_b.values())
    assert figures.tags == 4 and figures.images == 4
    repo_a, repo_b = figures.by_name[a], figures.by_name[b]
    assert repo_a.unique_bytes == sum(in_a.values())
    assert repo_b.unique_bytes == sum(in_b.values())
    assert repo_a.shared_bytes == repo_b.shared_bytes == sum(everywhere[d] for d in shared)
    assert repo_a.own_bytes == sum(s for d, s in in_a.items() if d not in shared)
    assert figures.reclaimable.bytes == 0 and figures.reclaimable.manifests == 0


def test_the_largest_images_sum_their_blobs_and_an_index_its_images_blobs_once(pushed):
    row, a, b, images = pushed
    figures = registry_storage(registry=row).figures
    largest = {image.digest: image for image in figures.largest_images(10)}
    for key, pushed_image in images.items():
        assert largest[pushed_image.digest].bytes == sum(blobs_of(pushed_image).values()), key
    multi = largest[images["b:multi"].digest]
    assert multi.kind == "index" and multi.repository == b and multi.tags == ("multi",)
    ordered = [image.bytes for image in figures.largest_images(10)]
    assert ordered == sorted(ordered, reverse=True)
    assert [r.name for r in figures.largest_repositories(1)] == [
        max((a, b), key=lambda n: figures.by_name[n].unique_bytes)
    ]


def test_a_delete_makes_the_blobs_no_tag_uses_reclaimable(pushed, client, persona, reg):
    row, a, _, images = pushed
    gone = images["a:2.0"]
    persona("dora")
    answer = client.post(
        reverse("registries:manifest_delete", args=[row.name, f"{a}:2.0"]),
        {"digest": gone.digest},
    )
    assert answer.status_code == 302
    # Only the blobs no other image uses: a:2.0's third layer and its config.
    kept = blobs_of(images["a:1.0"], images["b:1.0"], images["b:multi"])
    freed = {d: s for d, s in blobs_of(gone).items() if d not in kept}
    assert len(freed) == 2
    # Before the index syncs again, the delete regfront recorded already counts.
    before = registry_storage(registry=row)
    assert IndexedTag.objects.filter(repository__name=a, name="2.0").exists()
    assert before.deletes.count == 1
    assert before.figures.by_name[a].tags == 1
    assert before.figures.reclaimable.bytes == sum(freed.values())
    assert repository_storage(registry=row, repository=a).reclaimable.bytes == sum(freed.values())
    # After it, the index itself no longer tags it: the same figure, and the page says what
    # garbage collection needs.
    indexed(row, a)
    after = registry_storage(registry=row).figures
    assert after.reclaimable.bytes == sum(freed.values()) and after.reclaimable.manifests == 1
    assert after.unique_bytes == sum(kept.values())
    page = client.get(reverse("registries:storage", args=[row.name])).content.decode()
    assert "registry garbage-collect --delete-untagged /etc/docker/registry/config.yml" in page
    assert "Harbor" in page


def test_the_storage_page_draws_both_charts_with_text_alternatives(pushed, client):
    row, a, b, _ = pushed
    page = client.get(reverse("registries:storage", args=[row.name]))
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count('<svg class="chart') == 2 and html.count('role="img"') == 2
    assert '<title id="bars-title">' in html and '<title id="growth-title">' in html
    assert "style=" not in html.split("<svg", 1)[1]  # the CSP allows no inline style
    bars = page.context["largest"]
    assert {r.name for r in bars} == {a, b}
    for name in (a, b):  # in the chart and in the table after it, linked
        assert html.count(f">{name}<") >= 2
        assert reverse("registries:storage_repository", args=[row.name, name]) in html
    repository = client.get(reverse("registries:storage_repository", args=[row.name, b]))
    assert repository.status_code == 200
    assert repository.context["detail"].figures.name == b
    assert '<title id="growth-title">' in repository.content.decode()


def test_a_registry_of_other_groups_is_a_404_until_one_is_a_member(pushed, client, persona):
    row, a, _, _ = pushed
    others = Group.objects.create(name="others")
    row.groups.add(others)
    urls = [
        reverse("registries:storage", args=[row.name]),
        reverse("registries:storage_repository", args=[row.name, a]),
        reverse("api:storage", args=[row.name]),
        reverse("api:storage", args=[row.name]) + f"?repository={a}",
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url
    pat = persona("pat")
    for url in urls:
        assert client.get(url).status_code == 404, url
    pat.groups.add(others)
    for url in urls:
        assert client.get(url).status_code == 200, url


def test_an_unknown_or_invalid_repository_is_a_404(pushed, client):
    row, *_ = pushed
    for name in ("never/pushed", "UPPER/case"):
        url = reverse("registries:storage_repository", args=[row.name, name])
        assert client.get(url).status_code == 404


def test_a_hostile_repository_name_is_escaped_in_the_svg(pushed, client):
    """The index keeps what a registry's catalog said; a name that is markup stays text."""
    row, a, _, _ = pushed
    hostile = '<script>alert(1)</script>"&'
    first = IndexedTag.objects.filter(repository__registry=row, repository__name=a).first()
    repository = first.repository
    repository.pk, repository.name = None, hostile
    repository.save()
    IndexedTag.objects.create(repository=repository, name="x", digest=first.digest,
                              first_seen=first.first_seen, last_seen=first.last_seen)  # fmt: skip
    html = client.get(reverse("registries:storage", args=[row.name])).content.decode()
    svg = html.split("<svg", 1)[1].split("</svg>", 1)[0]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&amp;" in svg
    assert "<script>" not in html.split("</head>", 1)[1]
