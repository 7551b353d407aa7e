"""Whole tag and repository pages from the cache (registries/views/cached_pages.py), against a
real registry: a stored page asks the registry and the database nothing but the registry row,
never shows one person's buttons to another, carries each session's own CSRF token, and is
rendered again as soon as the repository changes. Counted, never timed.
"""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.signals import template_rendered
from django.test.utils import CaptureQueriesContext

from registries.models import Registry
from registries.services.refresh import pages_outdate
from tests.support.images import push_image, tag_existing

pytestmark = pytest.mark.django_db

REPO = "pages/app"
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture
def pages(registry_factory, registry_row):
    running = registry_factory(dataset=None)
    registry_row(running, name="pages")
    image = push_image(running, REPO, "1.0", seed="pages-1")
    return running, image


def test_a_stored_tag_page_asks_the_registry_nothing_and_the_database_one_query(
    client, pages, registry_requests
):
    first = client.get(f"/registry/pages/{REPO}:1.0")
    asked = len(registry_requests)
    assert first.status_code == 200 and asked > 0
    with CaptureQueriesContext(connection) as queries:
        second = client.get(f"/registry/pages/{REPO}:1.0")
    assert second.status_code == 200
    assert len(registry_requests) == asked
    others = [q["sql"] for q in queries.captured_queries if "registries_registry" not in q["sql"]]
    assert others == []
    assert second.content == first.content


def test_a_changed_repository_is_rendered_again_at_once(client, pages):
    running, image = pages
    call_command("sync_registry", "pages", stdout=StringIO())  # pages answer from the index
    page = client.get(f"/registry/pages/{REPO}:1.0").content.decode()
    assert "No other tag points at this digest." in page
    tag_existing(running, REPO, "stable", image.manifest_bytes, image.media_type)
    call_command("sync_registry", "pages", "--repository", REPO, stdout=StringIO())
    page = client.get(f"/registry/pages/{REPO}:1.0").content.decode()
    assert f'href="/registry/pages/{REPO}:stable"' in page
    listing = client.get(f"/registry/pages/{REPO}/").content.decode()
    assert ">stable</a>" in listing


def test_one_persons_buttons_are_never_shown_to_another(client, persona, pages):
    persona("dora")  # may delete
    assert "Delete…" in client.get(f"/registry/pages/{REPO}:1.0").content.decode()
    client.logout()
    anonymous = client.get(f"/registry/pages/{REPO}:1.0").content.decode()
    assert "Delete…" not in anonymous
    persona("pat")
    assert "Delete…" not in client.get(f"/registry/pages/{REPO}:1.0").content.decode()


def test_each_session_gets_its_own_working_csrf_token_from_a_stored_page(persona, pages):
    from django.contrib.auth.models import User

    persona("dora")  # the repository page has forms for her
    dora = User.objects.get(username="dora")
    tokens = []
    for _ in range(2):  # two browsers of the same person: the second is served the stored page
        browser = Client(enforce_csrf_checks=True)
        browser.force_login(dora)
        page = browser.get(f"/registry/pages/{REPO}/").content.decode()
        tokens.append(TOKEN.search(page).group(1))
        logged_out = browser.post("/accounts/logout/", {"csrfmiddlewaretoken": tokens[-1]})
        assert logged_out.status_code == 302, "the token in the page must be this session's"
    assert tokens[0] != tokens[1]


def test_refresh_renders_live_and_the_next_visit_shows_what_it_read(client, pages):
    running, image = pages
    client.get(f"/registry/pages/{REPO}/")
    tag_existing(running, REPO, "2.0", image.manifest_bytes, image.media_type)  # no event
    assert ">2.0</a>" in client.get(f"/registry/pages/{REPO}/?refresh=1").content.decode()
    assert ">2.0</a>" in client.get(f"/registry/pages/{REPO}/").content.decode()


def test_a_page_showing_a_message_is_not_kept_for_the_next_view(client, persona, pages):
    running, _ = pages
    other = push_image(running, REPO, "2.0", seed="pages-2")
    persona("cara")  # may move tags
    assert other.digest not in client.get(f"/registry/pages/{REPO}:1.0").content.decode()
    moved = client.post(
        f"/registry/pages/{REPO}:2.0/add-tag", {"new_tag": "1.0", "move": "1"}, follow=True
    )
    said = f"{REPO}:1.0 points at {other.digest}."
    assert said in moved.content.decode()
    again = client.get(f"/registry/pages/{REPO}:1.0").content.decode()
    assert other.digest in again and said not in again


def test_a_visitor_arriving_while_a_landed_refresh_is_rendered_gets_the_stored_page(client, pages):
    url = f"/registry/pages/{REPO}:1.0"
    stored = client.get(url).content
    pages_outdate(Registry.objects.get(name="pages").pk, REPO)  # what a landed refresh does
    renders, arrivals = [], []

    def arrive_during_the_render(sender, template, **kwargs):
        if template.name != "registries/manifest.html":
            return
        renders.append(template.name)
        if not arrivals:  # a second visitor, while the first one's render is under way
            arrivals.append(None)
            arrivals[0] = Client().get(url)

    template_rendered.connect(arrive_during_the_render)
    try:
        assert client.get(url).status_code == 200
    finally:
        template_rendered.disconnect(arrive_during_the_render)
    assert arrivals[0].status_code == 200 and arrivals[0].content == stored
    assert len(renders) == 1  # the visitor got the stored page, not a render of its own
