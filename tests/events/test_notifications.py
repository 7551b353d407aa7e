"""Outgoing notifications: a real receiver (http.server on 127.0.0.1) checks the HMAC of a
push the webhook reported; Slack's shape; a receiver that is down is retried with backoff and
its failure logged; the webhook answer never waits on a receiver; the outbound guard."""

import hashlib
import hmac
import io
import json
import logging
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from registries.events.models import NotificationDelivery, NotificationEndpoint
from registries.events.notify import notify_promotion
from registries.events.tasks import deliver_notification
from registries.models import Registry
from tests.api_support import EVENTS_TYPE, WEBHOOK_SECRET, envelope, event
from tests.events.notify_receiver import start_receiver

pytestmark = pytest.mark.django_db
HOOK = "/hooks/registry/hooked/events"
SECRET = "notify-secret-for-tests-0123456789"
TASK = "registries.events.tasks.deliver_notification"
DIGEST = "sha256:" + "1" * 64


@pytest.fixture
def receiver():
    receiver, server = start_receiver()
    yield receiver
    server.shutdown()
    server.server_close()


@pytest.fixture
def hooked():
    return Registry.objects.create(
        name="hooked", url="https://hooked.example", webhook_secret=WEBHOOK_SECRET
    )


def endpoint(registry, url: str, **fields) -> NotificationEndpoint:
    fields = {"name": "hook", "kind": "webhook", "secret": SECRET} | fields
    return NotificationEndpoint.objects.create(registry=registry, url=url, **fields)


def report(client, *events):
    """The registry's webhook POST, as distribution sends it."""
    body = envelope(*events)
    return client.generic(
        "POST", HOOK, body, content_type=EVENTS_TYPE,
        HTTP_AUTHORIZATION=f"Bearer {WEBHOOK_SECRET}", CONTENT_LENGTH=str(len(body)),
    )  # fmt: skip


def queued() -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(task_path=TASK, status="READY").order_by("enqueued_at"))


def run_queued() -> list[dict]:
    """Run every queued delivery task once, as a worker would (the task function itself)."""
    results = []
    for task in queued():
        DBTaskResult.objects.filter(pk=task.pk).update(status="SUCCESSFUL")
        results.append(deliver_notification.call(**task.args_kwargs["kwargs"]))
    return results


def test_the_receiver_verifies_the_hmac_of_a_push_and_the_webhook_did_not_wait(
    client, hooked, receiver
):
    endpoint(hooked, f"{receiver.url}/hooks/in")
    answer = report(client, event("push", repository="team/app", tag="v1", digest=DIGEST))
    assert answer.status_code == 200
    # The registry's POST was answered before anything was sent: one task waits for a worker.
    assert receiver.requests == []
    delivery = NotificationDelivery.objects.get()
    assert (delivery.state, delivery.attempts, delivery.event) == ("pending", 0, "push")
    assert [t.args_kwargs["kwargs"] for t in queued()] == [
        {"delivery_id": delivery.pk, "attempt": 1}
    ]

    assert run_queued() == [{"state": "delivered"}]
    [got] = receiver.requests
    assert (got.method, got.path) == ("POST", "/hooks/in")
    expected = "sha256=" + hmac.new(SECRET.encode(), got.body, hashlib.sha256).hexdigest()
    assert got.headers["X-Regfront-Signature"] == expected
    wrong = "sha256=" + hmac.new(b"another secret", got.body, hashlib.sha256).hexdigest()
    assert got.headers["X-Regfront-Signature"] != wrong
    assert got.headers["Content-Type"] == "application/json"
    assert got.headers["X-Regfront-Event"] == "push"
    body = json.loads(got.body)
    assert body["id"] == delivery.pk and body["event"] == "push" and body["registry"] == "hooked"
    assert body["data"] | {"at": None} == {
        "repository": "team/app", "tag": "v1", "digest": DIGEST, "size": 525, "actor": "alice",
        "media_type": "application/vnd.docker.distribution.manifest.v2+json", "at": None,
    }  # fmt: skip
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.last_status) == ("delivered", 1, 200)
    assert delivery.last_response == "ok"
    # A second delivery of the same task (a worker crash, a retry) sends nothing.
    assert deliver_notification.call(delivery_id=delivery.pk, attempt=1) == {"skipped": True}
    assert len(receiver.requests) == 1


def test_slack_gets_one_escaped_line_of_text(client, hooked, receiver):
    endpoint(hooked, f"{receiver.url}/services/T0/B0/x", kind="slack", secret="")
    report(client, event("push", repository="team/app", tag="v2", digest=DIGEST,
                         actor={"name": "<!channel> & co"}))  # fmt: skip
    run_queued()
    [got] = receiver.requests
    assert "X-Regfront-Signature" not in got.headers
    body = json.loads(got.body)
    assert list(body) == ["text"]
    assert body["text"] == (
        "regfront: team/app:v2 pushed to hooked by &lt;!channel&gt; &amp; co (sha256:111111111111)"
    )


def test_which_events_an_endpoint_hears(client, hooked, receiver):
    endpoint(hooked, receiver.url, name="pushes-only", on_delete=False)
    endpoint(hooked, receiver.url, name="deletes-only", on_push=False)
    endpoint(hooked, receiver.url, name="off", enabled=False)
    report(
        client,
        event("push", tag="v1"),
        event("push", tag=None, digest="sha256:" + "3" * 64),  # a platform manifest: no tag
        event("delete", tag=None, digest=DIGEST),
        event("pull"),
    )
    sent = set(NotificationDelivery.objects.values_list("endpoint__name", "event"))
    assert sent == {("pushes-only", "push"), ("deletes-only", "delete")}


def test_a_receiver_that_is_down_is_retried_with_backoff_then_failed_and_logged(
    client, hooked, closed_port_url, settings, caplog
):
    settings.REGFRONT_NOTIFY_MAX_ATTEMPTS = 3
    endpoint(hooked, f"{closed_port_url}/in")
    report(client, event("push", tag="v1"))
    delivery = NotificationDelivery.objects.get()

    before = timezone.now()
    [result] = run_queued()
    assert result["state"] == "pending"
    [retry] = queued()
    assert retry.args_kwargs["kwargs"] == {"delivery_id": delivery.pk, "attempt": 2}
    assert before + timedelta(seconds=29) < retry.run_after < timezone.now() + timedelta(seconds=31)
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.last_status) == ("pending", 1, None)
    assert delivery.last_response == "Connection refused: nothing listens there."
    assert delivery.next_attempt_at == retry.run_after
    assert "127.0.0.1" not in delivery.last_response  # our sentence, not the library's

    before = timezone.now()
    run_queued()
    [retry] = queued()
    assert retry.args_kwargs["kwargs"]["attempt"] == 3
    assert (
        before + timedelta(seconds=119) < retry.run_after < timezone.now() + timedelta(seconds=121)
    )

    with caplog.at_level(logging.WARNING, logger="regfront.notifications"):
        assert run_queued() == [{"state": "failed"}]
    assert queued() == []  # no fourth attempt
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.next_attempt_at) == ("failed", 3, None)
    [line] = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert f"delivery={delivery.pk}" in line and "failed after 3 attempt(s)" in line
    assert "Connection refused" in line
    assert SECRET not in caplog.text and "/in" not in line


def test_an_error_status_is_retried_and_its_answer_kept_short(client, hooked, receiver):
    receiver.status, receiver.answer = 503, b"busy " * 10_000
    endpoint(hooked, receiver.url)
    report(client, event("push", tag="v1"))
    run_queued()
    delivery = NotificationDelivery.objects.get()
    assert (delivery.state, delivery.last_status) == ("pending", 503)
    assert delivery.last_response.startswith("busy busy") and len(delivery.last_response) == 500
    receiver.status, receiver.answer = 204, b""
    run_queued()
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.last_status) == ("delivered", 2, 204)
    assert len(receiver.requests) == 2


def test_a_redirect_is_not_followed(client, hooked, receiver):
    receiver.status, receiver.answer_headers = 302, {"Location": f"{receiver.url}/elsewhere"}
    endpoint(hooked, f"{receiver.url}/in")
    report(client, event("push", tag="v1"))
    run_queued()
    assert [r.path for r in receiver.requests] == ["/in"]
    delivery = NotificationDelivery.objects.get()
    assert (delivery.state, delivery.last_status) == ("pending", 302)
    assert delivery.last_response.startswith("Redirected (not followed).")


def test_a_receiver_that_never_answers_times_out(client, hooked, silent_server, settings):
    settings.REGFRONT_NOTIFY_TIMEOUT = 0.5
    endpoint(hooked, silent_server)
    report(client, event("push", tag="v1"))
    run_queued()
    delivery = NotificationDelivery.objects.get()
    assert delivery.state == "pending" and delivery.last_response == "No answer within 0.5 s."


@pytest.mark.parametrize(
    "url",
    ["http://169.254.169.254/latest/meta-data/", "http://[fe80::1]/x", "http://100.100.100.200/"],
)
def test_the_guard_refuses_link_local_and_metadata_addresses_at_once(client, hooked, url):
    endpoint(hooked, url)  # saved past the form, as a row written by hand would be
    report(client, event("push", tag="v1"))
    assert run_queued() == [{"state": "failed"}]
    assert queued() == []  # refused: never retried
    delivery = NotificationDelivery.objects.get()
    assert delivery.attempts == 1 and delivery.last_response.startswith(
        "Refused by the outbound guard"
    )


def test_private_networks_are_refused_when_configured(client, hooked, receiver, settings):
    settings.REGFRONT_DENY_PRIVATE_NETWORKS = True
    endpoint(hooked, receiver.url.replace("127.0.0.1", "localhost"))  # checked after DNS
    report(client, event("push", tag="v1"))
    assert run_queued() == [{"state": "failed"}]
    assert receiver.requests == []
    assert "Refused by the outbound guard" in NotificationDelivery.objects.get().last_response


def test_a_disabled_endpoint_gets_nothing_already_queued(client, hooked, receiver):
    hook = endpoint(hooked, receiver.url)
    report(client, event("push", tag="v1"))
    NotificationEndpoint.objects.filter(pk=hook.pk).update(enabled=False)
    assert run_queued() == [{"state": "failed"}]
    assert receiver.requests == []


def test_a_promotion_reaches_the_target_registry_s_endpoints(hooked, receiver):
    endpoint(hooked, receiver.url, kind="slack", secret="")
    endpoint(hooked, receiver.url, name="no-promotions", on_promotion=False)
    [delivery] = notify_promotion(
        registry=hooked, repository="team/app", tag="1.2", digest=DIGEST,
        source_registry="staging", source_repository="team/app", source_tag="rc1", actor="pat",
    )  # fmt: skip
    assert delivery.event == "promotion"
    run_queued()
    [got] = receiver.requests
    assert json.loads(got.body) == {
        "text": "regfront: staging/team/app:rc1 promoted to hooked/team/app:1.2 by pat"
    }


def test_the_log_keeps_the_event_retention_days(hooked, receiver, settings):
    settings.REGFRONT_EVENT_RETENTION_DAYS = 30
    hook = endpoint(hooked, receiver.url)
    old = NotificationDelivery.objects.create(endpoint=hook, event="push", payload={})
    recent = NotificationDelivery.objects.create(endpoint=hook, event="push", payload={})
    NotificationDelivery.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(days=31)
    )
    NotificationDelivery.objects.filter(pk=recent.pk).update(
        created_at=timezone.now() - timedelta(days=29)
    )
    [new] = notify_promotion(registry=hooked, repository="a", tag="1", digest=DIGEST,
                             source_registry="s", source_repository="a")  # fmt: skip
    assert set(NotificationDelivery.objects.values_list("pk", flat=True)) == {recent.pk, new.pk}


def test_endpoint_secrets_are_rotated_with_the_encryption_keys(hooked, settings):
    from cryptography.fernet import Fernet
    from django.core.management import call_command

    suite = list(settings.REGFRONT_ENCRYPTION_KEYS)  # the registry row's webhook token's
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.REGFRONT_ENCRYPTION_KEYS = [old]
    hook = endpoint(hooked, "https://hooks.example/in")
    settings.REGFRONT_ENCRYPTION_KEYS = [new, old, *suite]
    call_command("rotate_encryption_keys", stdout=io.StringIO())
    settings.REGFRONT_ENCRYPTION_KEYS = [new]  # the old key dropped
    assert NotificationEndpoint.objects.get(pk=hook.pk).secret == SECRET


def test_a_delivery_whose_worker_died_is_taken_up_by_the_endpoint_s_next_event(
    client, hooked, receiver, settings
):
    settings.REGFRONT_NOTIFY_MAX_ATTEMPTS = 3
    hook = endpoint(hooked, receiver.url)
    long_ago = timezone.now() - timedelta(minutes=20)
    # Claimed by a worker that was killed mid-attempt: pending, no task left for it.
    lost = NotificationDelivery.objects.create(
        endpoint=hook, event="push", payload={"event": "push", "data": {}}, attempts=1
    )
    last = NotificationDelivery.objects.create(
        endpoint=hook, event="push", payload={"event": "push", "data": {}}, attempts=3
    )
    due = NotificationDelivery.objects.create(
        endpoint=hook, event="push", payload={"event": "push", "data": {}}, attempts=1
    )
    NotificationDelivery.objects.filter(pk__in=[lost.pk, last.pk]).update(next_attempt_at=long_ago)
    NotificationDelivery.objects.filter(pk=due.pk).update(
        next_attempt_at=timezone.now() + timedelta(minutes=5)  # its retry is still to come
    )
    report(client, event("push", tag="v1"))
    kwargs = [t.args_kwargs["kwargs"] for t in queued()]
    assert {"delivery_id": lost.pk, "attempt": 2} in kwargs
    assert all(k["delivery_id"] not in (last.pk, due.pk) for k in kwargs)
    last.refresh_from_db()
    assert (last.state, last.last_response) == (
        "failed", "The worker stopped during the last attempt."
    )  # fmt: skip
    run_queued()
    lost.refresh_from_db()
    assert (lost.state, lost.attempts) == ("delivered", 2)
    assert len(receiver.requests) == 2  # the lost one and the new push
