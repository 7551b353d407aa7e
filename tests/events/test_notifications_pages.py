"""Notification pages: change_registry only (anonymous: login; others 403; a hidden registry
404), CSRF, the form (write-only URL and secret, link-local refused), Send test queues and the
page shows how it went, a failed delivery on the log, remove, the admin."""

import hashlib
import hmac
import json

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from registries.events.models import NotificationDelivery, NotificationEndpoint
from registries.events.tasks import deliver_notification
from registries.models import AuditRecord, Registry
from tests.events.notify_receiver import start_receiver

pytestmark = pytest.mark.django_db
SECRET = "page-secret-for-tests-0123456789"
SLACK_PATH = "/services/T000/B000/XXXXsecretXXXX"


@pytest.fixture
def receiver():
    receiver, server = start_receiver()
    yield receiver
    server.shutdown()
    server.server_close()


@pytest.fixture
def reg():
    return Registry.objects.create(name="notes", url="https://notes.example")


def url(name: str, *args) -> str:
    return reverse(f"registries:{name}", args=args)


def endpoint(registry, target: str, **fields) -> NotificationEndpoint:
    fields = {"name": "hook", "kind": "webhook", "secret": SECRET} | fields
    return NotificationEndpoint.objects.create(registry=registry, url=target, **fields)


def form(**fields) -> dict:
    base = {"name": "team-hook", "kind": "webhook", "url": "https://hooks.example/in",
            "secret": SECRET, "on_push": "on", "on_delete": "on", "enabled": "on"}  # fmt: skip
    return base | fields


def run_queued() -> None:
    for task in DBTaskResult.objects.filter(status="READY").order_by("enqueued_at"):
        DBTaskResult.objects.filter(pk=task.pk).update(status="SUCCESSFUL")
        deliver_notification.call(**task.args_kwargs["kwargs"])


# --- who may ------------------------------------------------------------------------------


def every_url(reg) -> list[tuple[str, str]]:
    hook = endpoint(reg, "https://hooks.example/in")
    return [
        ("get", url("notifications", reg.name)),
        ("get", url("notification_add", reg.name)),
        ("get", url("notification_edit", reg.name, hook.pk)),
        ("post", url("notification_add", reg.name)),
        ("post", url("notification_edit", reg.name, hook.pk)),
        ("post", url("notification_remove", reg.name, hook.pk)),
        ("post", url("notification_test", reg.name, hook.pk)),
    ]


def test_anonymous_people_are_sent_to_log_in_and_change_nothing(client, reg):
    for method, target in every_url(reg):
        response = getattr(client, method)(target, form() if method == "post" else None)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert NotificationEndpoint.objects.count() == 1 and not NotificationDelivery.objects.exists()


def test_people_without_change_registry_get_403(client, persona, reg):
    persona("dora")
    for method, target in every_url(reg):
        assert getattr(client, method)(target, form()).status_code == 403
    assert NotificationEndpoint.objects.get().name == "hook"
    assert not NotificationDelivery.objects.exists()


def test_a_registry_limited_to_other_groups_is_a_404(client, persona, reg):
    reg.groups.add(Group.objects.create(name="other-team"))
    persona("chris")
    for method, target in every_url(reg):
        assert getattr(client, method)(target, form()).status_code == 404
    assert client.get(url("notifications", "nosuch")).status_code == 404


def test_another_registry_s_endpoint_is_a_404(client, persona, reg):
    other = Registry.objects.create(name="other", url="https://other.example")
    theirs = endpoint(other, "https://hooks.example/theirs")
    persona("chris")
    assert client.get(url("notification_edit", reg.name, theirs.pk)).status_code == 404
    assert client.post(url("notification_remove", reg.name, theirs.pk)).status_code == 404
    assert NotificationEndpoint.objects.filter(pk=theirs.pk).exists()


def test_posts_need_the_csrf_token(persona, reg):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(persona("chris"))
    hook = endpoint(reg, "https://hooks.example/in")
    assert strict.post(url("notification_add", reg.name), form()).status_code == 403
    assert strict.post(url("notification_test", reg.name, hook.pk)).status_code == 403
    assert strict.post(url("notification_remove", reg.name, hook.pk)).status_code == 403
    assert NotificationEndpoint.objects.count() == 1 and not NotificationDelivery.objects.exists()
    # The pages' own forms carry the token.
    assert (
        'name="csrfmiddlewaretoken"' in strict.get(url("notifications", reg.name)).content.decode()
    )


# --- the form -----------------------------------------------------------------------------


def test_adding_a_webhook_stores_the_secret_encrypted_and_never_shows_url_or_secret(
    client, persona, reg
):
    persona("chris")
    response = client.post(
        url("notification_add", reg.name),
        form(kind="slack", url=f"https://hooks.example{SLACK_PATH}"),
    )
    assert response.status_code == 302 and response["Location"] == url("notifications", reg.name)
    saved = NotificationEndpoint.objects.get()
    assert (saved.name, saved.kind, saved.on_retention, saved.on_promotion) == (
        "team-hook", "slack", False, False,
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM registries_notificationendpoint")
        [(stored,)] = cursor.fetchall()
    assert stored and SECRET not in stored  # a Fernet token, not the secret
    assert saved.secret == SECRET
    for page in (url("notifications", reg.name), url("notification_edit", reg.name, saved.pk)):
        html = client.get(page).content.decode()
        assert "https://hooks.example/…" in html
        assert SLACK_PATH not in html and SECRET not in html
    assert AuditRecord.objects.get().message == "Notification endpoint team-hook added"


def test_editing_with_url_and_secret_left_empty_keeps_them(client, persona, reg):
    hook = endpoint(reg, "https://hooks.example/keep")
    persona("chris")
    response = client.post(
        url("notification_edit", reg.name, hook.pk), form(name="renamed", url="", secret="")
    )
    assert response.status_code == 302
    hook.refresh_from_db()
    assert (hook.name, hook.url, hook.secret) == ("renamed", "https://hooks.example/keep", SECRET)


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        (
            {"url": "http://169.254.169.254/latest/meta-data/"},
            "is not an address regfront sends to",
        ),
        ({"url": "http://[fe80::1]/in"}, "is not an address regfront sends to"),
        ({"url": "ftp://hooks.example/in"}, "Only http:// and https:// URLs."),
        ({"url": "https://user:pw@hooks.example/in"}, "no username or password"),
        ({"url": ""}, "Enter the URL"),
        ({"secret": ""}, "A webhook needs a secret"),
        ({"secret": "short"}, "at least 24 characters"),
    ],
)
def test_the_form_refuses(client, persona, reg, fields, error):
    persona("chris")
    response = client.post(url("notification_add", reg.name), form(**fields))
    assert response.status_code == 400
    assert error in response.content.decode()
    assert not NotificationEndpoint.objects.exists()


def test_private_addresses_are_refused_by_the_form_when_configured(client, persona, reg, settings):
    persona("chris")
    assert (
        client.post(url("notification_add", reg.name), form(url="http://10.0.0.5/in")).status_code
        == 302
    )
    settings.REGFRONT_DENY_PRIVATE_NETWORKS = True
    response = client.post(
        url("notification_add", reg.name), form(name="b", url="http://10.0.0.6/")
    )
    assert response.status_code == 400 and "10.0.0.6 is not an address" in response.content.decode()


def test_a_name_is_used_once_per_registry(client, persona, reg):
    endpoint(reg, "https://hooks.example/a", name="team-hook")
    persona("chris")
    response = client.post(url("notification_add", reg.name), form())
    assert response.status_code == 400 and "already has an endpoint" in response.content.decode()


# --- send test, the log, remove -----------------------------------------------------------


def test_send_test_queues_and_the_log_shows_it_delivered(client, persona, reg, receiver):
    hook = endpoint(reg, f"{receiver.url}/in")
    persona("chris")
    response = client.post(url("notification_test", reg.name, hook.pk), follow=True)
    assert "is queued" in response.content.decode()
    assert receiver.requests == []  # the page did not wait for the receiver
    assert "pending" in client.get(url("notifications", reg.name)).content.decode()
    run_queued()
    [got] = receiver.requests
    assert got.headers["X-Regfront-Signature"] == (
        "sha256=" + hmac.new(SECRET.encode(), got.body, hashlib.sha256).hexdigest()
    )
    body = json.loads(got.body)
    assert (body["event"], body["data"]) == ("test", {"requested_by": "chris"})
    html = client.get(url("notifications", reg.name)).content.decode()
    assert "delivered" in html and "HTTP 200: ok" in html


def test_a_failed_delivery_is_on_the_page_with_its_next_attempt(
    client, persona, reg, closed_port_url
):
    hook = endpoint(reg, f"{closed_port_url}/in")
    persona("chris")
    client.post(url("notification_test", reg.name, hook.pk))
    run_queued()
    html = client.get(url("notifications", reg.name)).content.decode()
    row = html[html.index('id="log-heading"') :]
    assert "Connection refused: nothing listens there." in row
    assert '<td class="delivery-pending">pending</td>' in row and "<time" in row
    NotificationDelivery.objects.update(state="failed", next_attempt_at=None)
    html = client.get(url("notifications", reg.name)).content.decode()
    assert '<td class="delivery-failed">failed</td>' in html


def test_receiver_answers_are_escaped_on_the_page(client, persona, reg, receiver):
    receiver.status, receiver.answer = 500, b"<script>alert(1)</script>"
    hook = endpoint(reg, receiver.url, name="<b>hook</b>")
    persona("chris")
    client.post(url("notification_test", reg.name, hook.pk))
    run_queued()
    html = client.get(url("notifications", reg.name)).content.decode()
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html
    assert "<b>hook</b>" not in html and "&lt;b&gt;hook&lt;/b&gt;" in html


def test_remove_takes_the_endpoint_and_its_log(client, persona, reg):
    hook = endpoint(reg, "https://hooks.example/in")
    NotificationDelivery.objects.create(endpoint=hook, event="push", payload={})
    persona("chris")
    response = client.post(url("notification_remove", reg.name, hook.pk))
    assert response.status_code == 302
    assert not NotificationEndpoint.objects.exists() and not NotificationDelivery.objects.exists()
    assert AuditRecord.objects.get().message == "Notification endpoint hook removed"
    assert client.get(url("notification_remove", reg.name, hook.pk)).status_code == 404


def test_the_admin_lists_endpoints_and_the_log_without_urls_or_secrets(client, persona, reg):
    hook = endpoint(reg, f"https://hooks.example{SLACK_PATH}")
    NotificationDelivery.objects.create(endpoint=hook, event="push", payload={}, state="failed")
    persona("sue")
    listing = client.get("/admin/registries/notificationendpoint/").content.decode()
    assert "hooks.example/…" in listing and SLACK_PATH not in listing
    change = client.get(f"/admin/registries/notificationendpoint/{hook.pk}/change/")
    assert change.status_code == 200
    assert SLACK_PATH not in change.content.decode() and SECRET not in change.content.decode()
    log = client.get("/admin/registries/notificationdelivery/")
    assert log.status_code == 200 and "failed" in log.content.decode()
    add = client.post(
        "/admin/registries/notificationendpoint/add/",
        form(registry=reg.pk, name="from-admin", url="http://169.254.169.254/"),
    )
    assert add.status_code == 200 and "is not an address regfront sends to" in add.content.decode()
    assert not NotificationEndpoint.objects.filter(name="from-admin").exists()
