"""Home page: every registry with its live status, checked concurrently."""

import re
import time

import pytest

from registries.models import Registry

pytestmark = pytest.mark.django_db


def test_it_lists_registries_with_their_status(
    client, registry_open, registry_basic, registry_row, closed_port_url
):
    registry_row(registry_open, name="open")
    registry_row(registry_basic, name="wrongpw", password="not-the-password")
    Registry.objects.create(name="down", url=closed_port_url)

    page = client.get("/").content.decode()

    def card(name: str) -> str:
        start = page.index(f'href="/registry/{name}/"')
        return page[start : page.index("</li>", start)]

    assert "Online" in card("open")
    assert "Credentials rejected" in card("wrongpw")
    assert "Unreachable" in card("down")
    assert "not-the-password" not in page


def test_one_hung_registry_does_not_slow_the_page(
    client, settings, silent_server, registry_open, registry_row
):
    settings.REGFRONT_STATUS_DEADLINE = 0.5
    registry_row(registry_open, name="open")
    Registry.objects.create(name="hung", url=silent_server)
    started = time.monotonic()
    page = client.get("/").content.decode()
    elapsed = time.monotonic() - started
    assert "Slow to answer" in page
    assert "Online" in page
    assert elapsed < 3  # the page waited for the deadline, not for the registry's timeout


def test_it_shows_the_repository_count_once_the_catalog_is_known(
    client, registry_open, registry_row
):
    registry = registry_row(registry_open, name="open")
    assert "Repositories" not in client.get("/").content.decode()
    catalog = client.get(f"/registry/{registry.name}/").content.decode()
    total = int(re.search(r"(\d+) repositories at", catalog).group(1))
    assert total >= len(registry_open.dataset.repositories)
    page = client.get("/").content.decode()
    assert f"<dt>Repositories</dt><dd>{total}</dd>" in page


def test_it_invites_to_add_a_registry_when_there_is_none(client):
    assert "No registries yet" in client.get("/").content.decode()
