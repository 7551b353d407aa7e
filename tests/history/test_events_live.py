"""A real docker-registry (Basic auth) notifying a running regfront: its push events say who
pushed the current digest and when, and its pull events are counted — manifest GETs only
(distribution reports a HEAD as a pull too), never regfront's own reads, each event once."""

import time

import pytest
import requests

from registries.history.models import PullCount
from registries.history.pulls import repository_pulls, tag_pulls
from registries.history.services import current_pushes
from registries.models import Registry, RegistryEvent
from tests.api_support import EVENTS_TYPE, WEBHOOK_SECRET, wait_for
from tests.retention.support import ACCEPT
from tests.support.images import push_image

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def notifying(registry_factory, live_server, request):
    hook = {
        "name": "regfront",
        "url": f"{live_server.url}/hooks/registry/live/events",
        "headers": {"Authorization": [f"Bearer {WEBHOOK_SECRET}"]},
        "timeout": "2s", "threshold": 5, "backoff": "1s",
        "ignore": {"mediatypes": ["application/octet-stream"]},  # blobs; pulls are wanted
    }  # fmt: skip
    reg = registry_factory(auth="basic", notifications=[hook])
    request.addfinalizer(reg.stop)
    row = Registry.objects.create(name="live", url=reg.url, username=reg.username,
                                  password=reg.password, webhook_secret=WEBHOOK_SECRET)  # fmt: skip
    return reg, row


def manifest(reg, method: str, tag: str, agent: str) -> None:
    answer = requests.request(
        method, f"{reg.url}/v2/team/app/manifests/{tag}", auth=reg.credentials, timeout=10,
        headers={"Accept": ACCEPT, "User-Agent": agent},
    )  # fmt: skip
    assert answer.status_code == 200


def test_who_pushed_and_pulls_counted_from_events(client, notifying):
    reg, row = notifying
    pushed = push_image(reg, "team/app", "v1", seed="who-v1")
    wait_for(lambda: current_pushes(registry=row, repository="team/app", tags=["v1"]),
             what="the push in the tag's history")  # fmt: skip
    who = current_pushes(registry=row, repository="team/app", tags=["v1"])["v1"]
    assert who.actor == reg.username and who.digest == pushed.digest

    manifest(reg, "HEAD", "v1", "docker/27.0")  # reported as a pull: not counted
    manifest(reg, "GET", "v1", "regfront/1")  # regfront's own read: not counted
    manifest(reg, "GET", "v1", "docker/27.0")
    manifest(reg, "GET", "v1", "containerd/2.0")
    wait_for(lambda: tag_pulls(registry=row, repository="team/app", tags=["v1"]),
             what="the pulls counted")  # fmt: skip
    wait_for(lambda: PullCount.objects.filter(pulls__gte=2).exists(), what="both pulls")
    time.sleep(1.5)  # anything else the registry had to say has arrived by now
    counted = tag_pulls(registry=row, repository="team/app", tags=["v1"])["v1"]
    assert counted.pulls == 2 and counted.last_pulled is not None
    assert repository_pulls(registry=row, repository="team/app").pulls == 2

    # A delivery repeated by the registry counts once: the event ids are known.
    pull = RegistryEvent.objects.filter(action="pull").first()
    again = {"events": [{
        "id": pull.event_id, "timestamp": pull.occurred_at.isoformat(), "action": "pull",
        "target": {"repository": "team/app", "tag": "v1", "digest": pull.digest,
                   "mediaType": pull.media_type},
        "request": {"method": "GET", "useragent": "docker/27.0"},
    }]}  # fmt: skip
    answer = client.post("/hooks/registry/live/events", again, content_type=EVENTS_TYPE,
                         headers={"Authorization": f"Bearer {WEBHOOK_SECRET}"})  # fmt: skip
    assert answer.status_code == 200 and answer.json()["duplicates"] == 1
    assert tag_pulls(registry=row, repository="team/app", tags=["v1"])["v1"].pulls == 2

    page = client.get("/registry/live/team/app:v1/history").content.decode()
    assert "Pulled 2 times" in page and reg.username in page
    rows = client.get("/registry/live/team/app/").content.decode()
    assert f"pushed by {reg.username}" in rows and '<th scope="col">Pulls</th>' in rows
    assert "<td>2 <span" in rows
    tag_page = client.get("/registry/live/team/app:v1").content.decode()
    assert f"Pushed by {reg.username}" in tag_page and "pulled 2 times" in tag_page
    assert 'href="/registry/live/team/app:v1/history"' in tag_page
