"""Notifications from real events: a docker-registry notifies a running regfront (its
`notifications:` config, as the README shows) and a push reaches the receiver signed; a real
retention run's end is announced."""

import hashlib
import hmac
import json

import pytest
from django_tasks_db.models import DBTaskResult

from registries.events.models import NotificationDelivery, NotificationEndpoint
from registries.events.tasks import deliver_notification
from registries.models import Registry, RegistryEvent
from registries.retention.rules import Rules
from registries.retention.run import run_create, run_execute
from tests.api_support import WEBHOOK_SECRET, wait_for
from tests.events.notify_receiver import start_receiver
from tests.retention.support import indexed, policy, stock, tags_now
from tests.support.images import push_image

SECRET = "live-notify-secret-0123456789abcdef"
TASK = "registries.events.tasks.deliver_notification"


@pytest.fixture
def receiver():
    receiver, server = start_receiver()
    yield receiver
    server.shutdown()
    server.server_close()


def run_queued() -> list[dict]:
    results = []
    for task in DBTaskResult.objects.filter(task_path=TASK, status="READY").order_by("enqueued_at"):
        DBTaskResult.objects.filter(pk=task.pk).update(status="SUCCESSFUL")
        results.append(deliver_notification.call(**task.args_kwargs["kwargs"]))
    return results


@pytest.mark.django_db(transaction=True)
def test_a_push_to_a_real_registry_reaches_the_receiver_signed(
    registry_factory, live_server, receiver, request
):
    hook = {
        "name": "regfront",
        "url": f"{live_server.url}/hooks/registry/live/events",
        "headers": {"Authorization": [f"Bearer {WEBHOOK_SECRET}"]},
        "timeout": "2s",
        "threshold": 5,
        "backoff": "1s",
        "ignore": {"mediatypes": ["application/octet-stream"], "actions": ["pull"]},
    }
    reg = registry_factory(notifications=[hook])
    request.addfinalizer(reg.stop)
    row = Registry.objects.create(name="live", url=reg.url, webhook_secret=WEBHOOK_SECRET)
    NotificationEndpoint.objects.create(
        registry=row, name="team", kind="webhook", url=f"{receiver.url}/in", secret=SECRET
    )
    pushed = push_image(reg, "team/app", "v1", seed="notify-live-v1")
    wait_for(lambda: NotificationDelivery.objects.exists(), what="the push's delivery")
    assert RegistryEvent.objects.filter(action="push", tag="v1").exists()
    # regfront answered the registry; the receiver hears nothing until a worker sends.
    assert receiver.requests == []
    assert run_queued() == [{"state": "delivered"}]
    [got] = receiver.requests
    signature = "sha256=" + hmac.new(SECRET.encode(), got.body, hashlib.sha256).hexdigest()
    assert got.headers["X-Regfront-Signature"] == signature
    data = json.loads(got.body)["data"]
    assert (data["repository"], data["tag"], data["digest"]) == ("team/app", "v1", pushed.digest)
    assert data["media_type"] == pushed.media_type


@pytest.mark.django_db
def test_a_retention_run_s_end_is_announced(
    registry_factory, registry_row, unique_repo_name, receiver, settings
):
    settings.REGFRONT_RETENTION_RATE = 1000
    reg = registry_factory()
    name = unique_repo_name("notify-run")
    stock(reg, name)
    row = indexed(registry_row(reg, name="notifyrun"), name)
    NotificationEndpoint.objects.create(
        registry=row, name="chat", kind="slack", url=f"{receiver.url}/chat"
    )
    NotificationEndpoint.objects.create(
        registry=row, name="no-runs", url=receiver.url, secret=SECRET, on_retention=False
    )
    p = policy(row, name)
    run = run_execute(
        run_id=run_create(registry=row, rules=Rules.from_policy(p), policy=p, trigger="portal").pk
    )
    assert run.deleted == 1 and "0.9" not in tags_now(reg, name)
    delivery = NotificationDelivery.objects.get()
    assert delivery.event == "retention" and delivery.payload["data"]["deleted"] == 1
    run_queued()
    [got] = receiver.requests
    assert got.path == "/chat"
    assert json.loads(got.body) == {
        "text": f"regfront: Retention run {run.pk} of nightly on notifyrun done: "
        "1 deleted, 0 skipped, 0 errors"
    }
