"""Catalog page: the full catalog past the registry's page size, as a namespace tree."""

import re

import pytest

from tests.test_support_fixtures import pages as catalog_pages

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog(client, registry_open, registry_row):
    registry = registry_row(registry_open, name="open")
    return lambda query="": client.get(f"/registry/{registry.name}/{query}")


def links(page: str) -> list[str]:
    return re.findall(r'href="/registry/open/([^"?]+)"', page)


def test_it_shows_every_repository_past_the_registrys_page_size(catalog, registry_open):
    # Other tests push fresh repositories into this shared registry: count what it holds now.
    pages = catalog_pages(f"{registry_open.url}/v2/_catalog", "repositories")
    assert len(pages) >= 2  # past distribution's default page of 100
    total = sum(len(page) for page in pages)
    assert total >= len(registry_open.dataset.repositories) > 100
    page = catalog().content.decode()
    assert f"{total} repositories" in page
    # Root level: namespaces with counts, and top-level repositories.
    assert 'href="?ns=many"' in page
    assert "many/" in page and ">120<" in page
    assert "app/" in links(page) and "many-tags/" in links(page)


def test_it_walks_into_a_namespace_with_paging(catalog):
    first = catalog("?ns=many").content.decode()
    assert "many/repo-000/" in links(first)
    assert "many/repo-099/" in links(first)
    assert "many/repo-100/" not in links(first)
    assert 'rel="next" href="?ns=many&amp;page=2"' in first
    second = catalog("?ns=many&page=2").content.decode()
    assert "many/repo-119/" in links(second)


def test_it_shows_deep_namespaces_one_level_at_a_time(catalog):
    page = catalog("?ns=a/b/c").content.decode()
    assert links(page) == ["a/b/c/d/"] or "a/b/c/d/" in links(page)
    assert 'aria-current="page">c<' in page


def test_it_filters_case_insensitively(catalog):
    page = catalog("?q=REPO-11").content.decode()
    found = [link for link in links(page) if link.startswith("many/")]
    assert found == [f"many/repo-{i}/" for i in range(110, 120)]
    assert "10 repositories match" in page


def test_it_says_so_when_nothing_matches(catalog):
    assert "No repository matches." in catalog("?q=zzz-nothing").content.decode()


def test_an_unknown_registry_is_a_404(client):
    assert client.get("/registry/nosuch/").status_code == 404
