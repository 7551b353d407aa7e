"""The registry event webhook: authentication, limits, idempotency and what events change."""

import io
import socket

import pytest
from django.test import Client

from registries.models import Registry, RegistryEvent
from registries.services.cache import repository_generation
from tests.api_support import EVENTS_TYPE, WEBHOOK_SECRET, envelope, event

pytestmark = pytest.mark.django_db
URL = "/hooks/registry/hooked/events"
AUTH = {"HTTP_AUTHORIZATION": f"Bearer {WEBHOOK_SECRET}"}


@pytest.fixture
def hooked():
    return Registry.objects.create(
        name="hooked", url="https://hooked.example", webhook_secret=WEBHOOK_SECRET
    )


def post(client, body: bytes, *, content_type: str = EVENTS_TYPE, **extra):
    # The test client leaves out both headers for an empty body; a registry would send them.
    headers = {"CONTENT_TYPE": content_type, "CONTENT_LENGTH": str(len(body))}
    return client.generic("POST", URL, body, content_type=content_type, **(AUTH | headers | extra))


def generation(registry, repository: str = "app") -> int:
    return repository_generation(registry.pk, repository)


# --- what events do -----------------------------------------------------------------------


def test_it_stores_pushes_and_deletes_and_makes_the_repository_fresh(client, hooked):
    before = generation(hooked)
    push = event("push", tag="v1", digest="sha256:" + "1" * 64)
    delete = event("delete", tag=None, digest="sha256:" + "2" * 64, repository="team/api")
    response = post(client, envelope(push, delete))
    assert response.status_code == 200
    assert response.json() == {"accepted": 2, "duplicates": 0, "ignored": 0}
    assert generation(hooked) == before + 1
    assert generation(hooked, "team/api") == generation(hooked, "team/api-other") + 1
    stored = {e.action: e for e in RegistryEvent.objects.all()}
    pushed = stored["push"]
    assert (pushed.repository, pushed.tag, pushed.digest) == ("app", "v1", "sha256:" + "1" * 64)
    assert (pushed.actor, pushed.source, pushed.client_addr) == (
        "alice",
        "registry-a:5000",
        "10.0.0.7:51234",
    )
    assert pushed.occurred_at.isoformat() == "2026-01-02T03:04:05.123456+00:00"
    assert pushed.size == 525
    assert (stored["delete"].repository, stored["delete"].tag) == ("team/api", "")


def test_it_ignores_pulls_blob_pushes_mounts_and_invalid_events(client, hooked):
    before = generation(hooked)
    ignored = [
        event("pull"),
        event("mount"),
        event("push", media_type="application/octet-stream", tag=None),  # a layer
        event("push", repository="Not/Valid"),
        event("push", tag="bad tag"),
        event("push", digest="md5:abc"),
        event("push", event_id="x" * 101),
        {"id": "only-an-id"},
        "not an object",
    ]
    response = post(client, envelope(*ignored))
    assert response.json() == {"accepted": 0, "duplicates": 0, "ignored": len(ignored)}
    assert not RegistryEvent.objects.exists()
    assert generation(hooked) == before


def test_a_tag_delete_and_a_repository_delete_are_kept_too(client, hooked):
    tag_delete = event("delete", tag="old", digest="")
    repo_delete = event("delete", tag=None, digest="", repository="gone/repo")
    assert post(client, envelope(tag_delete, repo_delete)).json()["accepted"] == 2


def test_it_answers_plain_json_content_type_too(client, hooked):
    response = post(client, envelope(event()), content_type="application/json; charset=utf-8")
    assert response.status_code == 200


# --- refusals without effect --------------------------------------------------------------


def assert_no_effect(hooked, before: int) -> None:
    assert not RegistryEvent.objects.exists()
    assert generation(hooked) == before


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer wrong-token",
        f"Bearer {WEBHOOK_SECRET}x",
        f"Basic {WEBHOOK_SECRET}",
        f"Bearer {WEBHOOK_SECRET[:-1]}",
        WEBHOOK_SECRET,
    ],
)
def test_it_refuses_a_wrong_or_missing_token(client, hooked, authorization):
    before = generation(hooked)
    headers = {} if authorization is None else {"HTTP_AUTHORIZATION": authorization}
    response = client.generic("POST", URL, envelope(event()), content_type=EVENTS_TYPE, **headers)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["error"]["code"] == "unauthenticated"
    assert_no_effect(hooked, before)


def test_a_replayed_envelope_is_acknowledged_without_effect(client, hooked):
    body = envelope(event("push", tag="v1"), event("delete", tag=None))
    assert post(client, body).json()["accepted"] == 2
    after_first = generation(hooked)
    rows = list(RegistryEvent.objects.values_list("pk", flat=True))
    # 200, not an error: distribution retries every non-2xx delivery, forever.
    replay = post(client, body)
    assert replay.status_code == 200
    assert replay.json() == {"accepted": 0, "duplicates": 2, "ignored": 0}
    assert list(RegistryEvent.objects.values_list("pk", flat=True)) == rows
    assert generation(hooked) == after_first


class CountingStream(io.RawIOBase):
    """A request body that counts what the server reads from it."""

    def __init__(self, size: int) -> None:
        self.size, self.served = size, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = min(len(buffer), self.size - self.served)
        buffer[:n] = b"x" * n
        self.served += n
        return n


def test_a_10_mib_body_is_refused_before_it_is_read(client, hooked):
    before = generation(hooked)
    stream = CountingStream(10 * 1024 * 1024)
    response = client.generic(
        "POST",
        URL,
        content_type=EVENTS_TYPE,
        **AUTH,
        **{"wsgi.input": stream, "CONTENT_LENGTH": str(stream.size), "CONTENT_TYPE": EVENTS_TYPE},
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
    assert stream.served == 0
    assert_no_effect(hooked, before)


def test_a_body_longer_than_its_length_is_read_only_up_to_the_cap(client, hooked):
    """Content-Length is trusted only to refuse: what is read stops at the cap."""
    stream = CountingStream(10 * 1024 * 1024)
    response = client.generic(
        "POST",
        URL,
        content_type=EVENTS_TYPE,
        **AUTH,
        **{"wsgi.input": stream, "CONTENT_LENGTH": "100", "CONTENT_TYPE": EVENTS_TYPE},
    )
    assert response.status_code == 400  # 100 bytes of "x" are not JSON
    assert stream.served <= 1024 * 1024 + 1


def test_a_missing_or_broken_length_is_refused(client, hooked):
    body = envelope(event())
    for length, status in (("", 411), ("ten", 400)):
        environ = {
            "wsgi.input": io.BytesIO(body),
            "CONTENT_LENGTH": length,
            "CONTENT_TYPE": EVENTS_TYPE,
        }
        response = client.generic("POST", URL, content_type=EVENTS_TYPE, **AUTH, **environ)
        assert response.status_code == status
    assert not RegistryEvent.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"",
        b"\xff\xfe",
        b"[]",
        b'{"events": {}}',
        b'{"no_events": []}',
        b"[" * 100_000 + b"]" * 100_000,
    ],
)
def test_malformed_json_is_refused(client, hooked, body):
    before = generation(hooked)
    response = post(client, body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"
    assert_no_effect(hooked, before)


def test_other_content_types_are_refused(client, hooked):
    response = post(client, envelope(event()), content_type="text/plain")
    assert response.status_code == 415
    assert not RegistryEvent.objects.exists()


def test_only_post_is_allowed(client, hooked):
    response = client.get(URL, **AUTH)
    assert response.status_code == 405
    assert response["Allow"] == "POST"


def test_it_answers_unknown_tokenless_and_wrong_token_registries_alike(client, hooked):
    """Issue 17: a 404 for unknown names and a 403 for registries without a token told an
    unauthenticated caller which registries exist; now every refusal is the same 401."""
    Registry.objects.create(name="plain", url="https://plain.example")
    Registry.objects.create(name="other", url="https://other.example", webhook_secret="o" * 32)
    refusals = [
        client.generic("POST", f"/hooks/registry/{name}/events", envelope(event()), EVENTS_TYPE,
                       **headers)
        for name, headers in [
            ("nosuch", AUTH), ("nosuch", {}), ("plain", AUTH), ("plain", {}),
            ("other", AUTH), ("hooked", {}),
        ]
    ]  # fmt: skip
    answers = {(r.status_code, r.content, r["WWW-Authenticate"]) for r in refusals}
    assert answers == {
        (401, refusals[0].content, 'Bearer realm="regfront"'),
    }
    assert refusals[0].json()["error"]["code"] == "unauthenticated"
    assert not RegistryEvent.objects.exists()


def test_it_needs_no_csrf_token_and_no_login(hooked, settings):
    settings.REGFRONT_REQUIRE_LOGIN = True
    strict = Client(enforce_csrf_checks=True)
    response = post(strict, envelope(event()))
    assert response.status_code == 200
    assert RegistryEvent.objects.count() == 1


def test_a_10_mib_body_over_http_is_answered_without_being_read(live_server, transactional_db):
    """Through a real server: the 413 arrives while the client has sent almost nothing."""
    Registry.objects.create(name="hooked", url="https://h.example", webhook_secret=WEBHOOK_SECRET)
    host, port = live_server.thread.host, live_server.thread.port
    with socket.create_connection((host, port), timeout=10) as conn:
        conn.sendall(
            (
                f"POST {URL} HTTP/1.1\r\nHost: {host}\r\nContent-Type: {EVENTS_TYPE}\r\n"
                f"Authorization: Bearer {WEBHOOK_SECRET}\r\n"
                f"Content-Length: {10 * 1024 * 1024}\r\n\r\n"
            ).encode()
            + b'{"events": ['
        )
        answer = conn.recv(4096).decode(errors="replace")
    assert answer.startswith("HTTP/1.1 413")
    assert not RegistryEvent.objects.exists()


# --- the registry form --------------------------------------------------------------------


def test_the_webhook_token_is_write_only_in_the_portal_form(client, persona, hooked):
    persona("chris")
    url = "/manage/registries/hooked/edit/"
    form = client.get(url).content.decode()
    assert WEBHOOK_SECRET not in form
    assert "Remove the webhook token" in form
    data = {"name": "hooked", "url": "https://hooked.example", "version": ""}
    assert client.post(url, data).status_code == 302
    hooked.refresh_from_db()
    assert hooked.webhook_secret == WEBHOOK_SECRET  # blank keeps the stored token
    short = client.post(url, data | {"webhook_secret": "short"})
    assert short.status_code == 400
    new = "another-webhook-token-0123456789"
    client.post(url, data | {"webhook_secret": new})
    hooked.refresh_from_db()
    assert hooked.webhook_secret == new
    client.post(url, data | {"clear_webhook_secret": "on"})
    hooked.refresh_from_db()
    assert hooked.webhook_secret == ""


def test_the_webhook_token_is_encrypted_at_rest(hooked):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT webhook_secret FROM registries_registry WHERE id = %s", [hooked.pk])
        stored = cursor.fetchone()[0]
    assert WEBHOOK_SECRET not in stored and stored.startswith("gAAAA")


# --- where events show --------------------------------------------------------------------


def test_activity_merges_registry_events_with_the_audit_trail(client, persona, hooked):
    from registries.audit import Action, audit_record

    post(client, envelope(event("push", tag="v9", repository="team/api")))
    persona("stella")
    audit_record(user=None, action=Action.REGISTRY_ADD, registry_name="hooked", source="admin")
    page = client.get("/activity/").content.decode()
    assert 'Pushed: <span class="break">v9</span>' in page
    assert 'href="/registry/hooked/team/api/"' in page
    assert 'alice <span class="muted">(registry)</span>' in page
    assert "Registry added" in page
    # Newest first: the audit record is from now, the event from 2026-01-02.
    assert page.index("Registry added") < page.index("Pushed:")


def test_activity_pages_through_both_kinds(client, persona, hooked):
    from registries.audit import Action, audit_record

    post(client, envelope(*[event("push", tag=f"v{i}") for i in range(30)]))
    for _ in range(30):
        audit_record(user=None, action=Action.REGISTRY_CHANGE, registry_name="hooked")
    persona("stella")
    first = client.get("/activity/").content.decode()
    second = client.get("/activity/?page=2").content.decode()
    assert first.count("<tr") - 1 == 50 and second.count("<tr") - 1 == 10
    assert "Page 1 of 2" in first


def test_activity_stays_staff_only(client, persona, hooked):
    persona("pat")
    assert client.get("/activity/").status_code == 403


def received_in_2019(registry) -> RegistryEvent:
    """An event stored long ago (received_at is set on insert, so backdate it after)."""
    ancient = RegistryEvent.objects.create(
        registry=registry,
        event_id="ancient",
        action="push",
        repository="app",
        occurred_at="2019-01-01T00:00:00Z",
    )
    RegistryEvent.objects.filter(pk=ancient.pk).update(received_at="2019-01-01T00:00:00Z")
    return ancient


def test_events_kept_longer_than_the_retention_are_forgotten(client, hooked, settings):
    settings.REGFRONT_EVENT_RETENTION_DAYS = 30
    received_in_2019(hooked)
    # The event's own time does not matter: a registry may deliver late.
    late = event("push", tag="late", timestamp="2020-01-01T00:00:00Z")
    assert post(client, envelope(late)).json()["accepted"] == 1
    assert list(RegistryEvent.objects.values_list("tag", flat=True)) == ["late"]


def test_a_retention_of_zero_keeps_everything(client, hooked, settings):
    settings.REGFRONT_EVENT_RETENTION_DAYS = 0
    received_in_2019(hooked)
    post(client, envelope(event("push")))
    assert RegistryEvent.objects.count() == 2
