"""Repository page: tags sorted naturally, details for the visible page, paging, filter."""

import re

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def repo_page(client, registry_open, registry_row):
    registry_row(registry_open, name="open")
    return lambda path: client.get(f"/registry/open/{path}")


def tags_on(page: str) -> list[str]:
    return re.findall(r'class="tag-link" href="/registry/open/[^"]+:([^"]+)"', page)


def test_it_sorts_tags_naturally_and_marks_shared_digests(repo_page, registry_open):
    page = repo_page("app/").content.decode()
    assert tags_on(page) == ["1.2.0", "1.9.3", "1.10.0", "latest"]
    assert "= latest" in page and "= 1.10.0" in page
    digest = registry_open.dataset.digest("app", "1.2.0")
    assert digest.split(":")[1][:12] in page
    assert "linux/amd64" in page
    assert 'title="' in page and " bytes" in page  # exact size on hover


def test_it_sorts_newest_first_on_request(repo_page):
    page = repo_page("app/?sort=newest").content.decode()
    order = tags_on(page)
    assert order.index("1.10.0") < order.index("1.9.3") < order.index("1.2.0")


def test_it_pages_long_tag_lists(repo_page):
    page = repo_page("many-tags/").content.decode()
    assert tags_on(page) == [f"t{i:03d}" for i in range(50)]
    assert "Page 1 of 3" in page
    assert 'rel="next" href="?page=2"' in page
    assert tags_on(repo_page("many-tags/?page=3").content.decode())[-1] == "t129"


def test_it_filters_tags(repo_page):
    page = repo_page("many-tags/?q=T12").content.decode()
    assert tags_on(page) == [f"t{i}" for i in range(120, 130)]


def test_it_serves_four_level_namespaces(repo_page):
    page = repo_page("a/b/c/d/").content.decode()
    assert tags_on(page) == ["v1"]
    # Breadcrumbs link each namespace level to the catalog.
    assert 'href="/registry/open/?ns=a/b"' in page


def test_a_repository_without_the_slash_redirects(repo_page):
    response = repo_page("a/b/c/d")
    assert response.status_code == 302
    assert response["Location"] == "/registry/open/a/b/c/d/"


def test_multi_arch_tags_list_their_platforms(repo_page):
    page = repo_page("multi/arch/").content.decode()
    assert "multi-arch" in page
    assert "linux/amd64, linux/arm64/v8, linux/arm/v7" in page


def test_an_unknown_repository_is_a_404_naming_the_registry(repo_page):
    response = repo_page("no/such/repo/")
    assert response.status_code == 404
    assert "open" in response.content.decode()
