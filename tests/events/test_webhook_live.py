"""A real docker-registry notifying a running regfront (pytest-django's live_server).

Pushes and deletes made straight through the registry's API show up in Activity within
seconds, and the cached repository page is fresh without waiting for the cache to expire.
"""

import time

import pytest
import requests

from registries.models import Registry, RegistryEvent
from registries.services.cache import repository_generation
from tests.api_support import WEBHOOK_SECRET, wait_for
from tests.support.images import push_image

pytestmark = pytest.mark.django_db(transaction=True)


def notifications(live_server, *, token: str) -> list[dict]:
    """The README's `notifications:` endpoint, pointed at the live server."""
    return [
        {
            "name": "regfront",
            "url": f"{live_server.url}/hooks/registry/live/events",
            "headers": {"Authorization": [f"Bearer {token}"]},
            "timeout": "2s",
            "threshold": 5,
            "backoff": "1s",
            "ignore": {"mediatypes": ["application/octet-stream"], "actions": ["pull"]},
        }
    ]


@pytest.fixture
def notifying(registry_factory, live_server, settings, request):
    """(registry, row): a fresh registry that notifies regfront; the cache TTL is an hour."""
    settings.REGFRONT_CACHE_TTL = 3600
    reg = registry_factory(notifications=notifications(live_server, token=WEBHOOK_SECRET))
    request.addfinalizer(reg.stop)  # no deliveries into later tests' databases
    row = Registry.objects.create(name="live", url=reg.url, webhook_secret=WEBHOOK_SECRET)
    return reg, row


def event_for(action: str, **target) -> RegistryEvent | None:
    return RegistryEvent.objects.filter(action=action, **target).first()


def test_pushes_and_deletes_show_up_at_once(client, persona, notifying):
    reg, row = notifying
    first = push_image(reg, "team/app", "v1", seed="live-v1")
    started = time.monotonic()
    wait_for(lambda: event_for("push", repository="team/app", tag="v1"), what="the v1 push")
    assert time.monotonic() - started < 5
    pushed = event_for("push", repository="team/app", tag="v1")
    assert pushed.digest == first.digest
    assert pushed.media_type == first.media_type

    # Browse: the tag list and the catalog are now cached for an hour.
    page = client.get("/registry/live/team/app/").content.decode()
    assert 'href="/registry/live/team/app:v1"' in page
    assert "team/app" in client.get("/registry/live/?ns=team").content.decode()
    generation = repository_generation(row.pk, "team/app")

    second = push_image(reg, "team/app", "v2", seed="live-v2")
    push_image(reg, "team/other", "v1", seed="live-other")
    wait_for(lambda: event_for("push", tag="v2"), what="the v2 push")
    wait_for(lambda: event_for("push", repository="team/other"), what="the team/other push")
    assert repository_generation(row.pk, "team/app") > generation
    page = client.get("/registry/live/team/app/").content.decode()
    assert 'href="/registry/live/team/app:v2"' in page  # fresh without ?refresh=1
    latest = page[page.index('id="pushes-heading"') :]
    assert latest.index(">v2<") < latest.index(">v1<")
    assert second.digest[7:19] in latest
    # A new repository is in the catalog at once too.
    assert (
        'href="/registry/live/team/other/"'
        in client.get("/registry/live/?ns=team").content.decode()
    )

    deleted = requests.delete(f"{reg.url}/v2/team/app/manifests/{first.digest}", timeout=10)
    assert deleted.status_code == 202
    wait_for(lambda: event_for("delete", digest=first.digest), what="the delete")
    page = client.get("/registry/live/team/app/").content.decode()
    tags, latest = page.split('id="pushes-heading"')
    assert 'href="/registry/live/team/app:v1"' not in tags
    assert 'href="/registry/live/team/app:v2"' in tags
    assert "v1 <code" in latest and "deleted since" in latest  # history, no dead link
    assert 'href="/registry/live/team/app:v1"' not in latest

    persona("stella")
    activity = client.get("/activity/").content.decode()
    # Three pushes; the delete is reported twice: the manifest and the tag it took along.
    assert activity.count("Reported by the registry") == 5
    assert 'Pushed: <span class="break">v2</span>' in activity
    assert 'Deleted: <span class="break">v1</span>' in activity
    assert f'<code title="{first.digest}">' in activity


def test_a_registry_with_the_wrong_token_changes_nothing(
    client, registry_factory, live_server, settings, request
):
    settings.REGFRONT_CACHE_TTL = 3600
    reg = registry_factory(notifications=notifications(live_server, token="not-the-token-at-all"))
    request.addfinalizer(reg.stop)
    row = Registry.objects.create(name="live", url=reg.url, webhook_secret=WEBHOOK_SECRET)
    push_image(reg, "team/app", "v1", seed="wrong-v1")
    assert 'team/app:v1"' in client.get("/registry/live/team/app/").content.decode()
    generation = repository_generation(row.pk, "team/app")
    push_image(reg, "team/app", "v2", seed="wrong-v2")
    time.sleep(1.5)  # the registry has tried (and been refused) by now
    assert not RegistryEvent.objects.exists()
    assert repository_generation(row.pk, "team/app") == generation
    # Still the cached page: nothing told regfront.
    assert 'team/app:v2"' not in client.get("/registry/live/team/app/").content.decode()
