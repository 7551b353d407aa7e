"""Issue 17 (hardening): ordinary or hostile registry content answers a clear page or JSON
error, never a 500.

Real registries hold what they can (OCI artifacts, configs without `created` or with far-off
offsets, malformed delete forms, webhook events); `responses` fakes only what distribution
refuses to store: tag and repository names outside the reference grammar, deeply nested JSON,
and manifests addressed by sha512.
"""

import re
from datetime import timedelta

import pytest
import responses
from django.utils import timezone

from registries.client.digests import compute
from registries.models import AuditRecord, Registry, RegistryEvent
from tests.api_support import EVENTS_TYPE, WEBHOOK_SECRET, envelope, event
from tests.support import images
from tests.support.images import (
    OCI_CONFIG,
    OCI_LAYER,
    OCI_MANIFEST,
    Blob,
    canonical_json,
    make_config,
    make_layer,
    push_artifact_with_subject,
    tag_existing,
)

pytestmark = pytest.mark.django_db

DASH = '<span class="muted">—</span>'
FAR_OFF = ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59"]


@pytest.fixture
def open_row(registry_open, registry_row):
    return registry_row(registry_open, name="open")


def ok_page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, response.content[:500]
    return response.content.decode()


def api_json(client, path: str) -> dict:
    response = client.get(f"/api/v1/registries/{path}".rstrip("/"))
    assert response.status_code == 200, response.content[:500]
    return response.json()


def push_with_config(reg, repo: str, tag: str, config: dict) -> str:
    """An OCI image whose config blob is exactly `config` (distribution stores any blob)."""
    pusher = images.client_for(reg)
    _, gz = make_layer(repo, 0, size=256)
    layer, config_blob = Blob(gz, OCI_LAYER), Blob(canonical_json(config), OCI_CONFIG)
    for blob in (layer, config_blob):
        pusher.ensure_blob(repo, blob)
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": config_blob.descriptor(),
        "layers": [layer.descriptor()],
    }
    return pusher.put_manifest(repo, tag, canonical_json(manifest), OCI_MANIFEST)


def config_without_created() -> dict:
    config = make_config(
        platform=("linux", "amd64", None), created="2024-01-01T00:00:00Z", diff_ids=[],
        labels={}, env=[], cmd=None, entrypoint=None, workdir="/", user="",
        exposed_ports=[], volumes=[],
    )  # fmt: skip
    del config[
        "created"
    ]  # optional: https://github.com/opencontainers/image-spec/blob/main/config.md
    for step in config["history"]:
        del step["created"]
    return config


# --- OCI artifacts and configs without (sane) created times, on a real registry -----------


def test_it_shows_a_tagged_oci_artifact_on_the_repository_and_tag_pages(
    client, open_row, registry_open, fresh_repo
):
    repo = fresh_repo(registry_open, kind="oci")
    sbom = push_artifact_with_subject(registry_open, repo.name, repo.image)
    tag_existing(registry_open, repo.name, "sbom", sbom.manifest_bytes, OCI_MANIFEST)

    page = ok_page(client, f"/registry/open/{repo.name}/")
    assert f'{repo.name}:sbom"' in page and '<span class="badge">artifact</span>' in page
    assert DASH in page  # the artifact's created time
    tag_page = ok_page(client, f"/registry/open/{repo.name}:sbom")
    assert "application/vnd.example.sbom" in tag_page
    assert ok_page(client, f"/registry/open/{repo.name}/?sort=newest").count("tag-link") == 2

    tags = {t["tag"]: t for t in api_json(client, f"open/repositories/{repo.name}/tags")["tags"]}
    assert (tags["sbom"]["kind"], tags["sbom"]["created"]) == ("artifact", None)


def image_rows(page: str) -> str:
    """The page without the line saying how old its tag list is (a time of its own)."""
    return re.sub(r'<p class="muted index-origin">.*?</p>', "", page)


def test_it_shows_an_image_whose_config_has_no_created_time(
    client, open_row, registry_open, unique_repo_name
):
    repo = unique_repo_name("nocreated")
    push_with_config(registry_open, repo, "v1", config_without_created())

    page = ok_page(client, f"/registry/open/{repo}/")
    assert f'{repo}:v1"' in page and "<time" not in image_rows(page) and DASH in page
    tag_page = ok_page(client, f"/registry/open/{repo}:v1")
    assert f"<dt>Created</dt><dd>{DASH}</dd>" in tag_page
    assert "ENV APP_ENV=test" in tag_page  # the history, without times, still shows

    body = api_json(client, f"open/repositories/{repo}/manifests/v1")
    assert body["config"]["created"] is None
    assert {step["created"] for step in body["config"]["history"]} == {None}


@pytest.mark.parametrize("created", FAR_OFF)
def test_it_shows_created_times_that_leave_utc_as_unknown(
    client, open_row, registry_open, fresh_repo, created
):
    repo = fresh_repo(registry_open, created=created)

    for path in (f"{repo.name}/", f"{repo.name}/?sort=newest", f"{repo.name}:v1"):
        page = ok_page(client, f"/registry/open/{path}")
        assert "<time" not in image_rows(page) and DASH in page
    tags = api_json(client, f"open/repositories/{repo.name}/tags")["tags"]
    assert [(t["tag"], t["created"]) for t in tags] == [("v1", None)]
    manifest = api_json(client, f"open/repositories/{repo.name}/manifests/v1")
    assert manifest["config"]["created"] is None


def test_it_shows_a_created_time_with_an_offset_in_utc(client, open_row, registry_open, fresh_repo):
    repo = fresh_repo(registry_open, created="2024-01-02T03:04:05+05:00")
    page = ok_page(client, f"/registry/open/{repo.name}/")
    assert 'datetime="2024-01-01T22:04:05+00:00" title="2024-01-01 22:04:05 UTC"' in page
    tags = api_json(client, f"open/repositories/{repo.name}/tags")["tags"]
    assert tags[0]["created"] == "2024-01-01T22:04:05+00:00"


# --- the webhook: whatever an event holds, the batch is acknowledged ---------------------


@pytest.fixture
def hooked():
    return Registry.objects.create(
        name="hooked", url="https://hooked.example", webhook_secret=WEBHOOK_SECRET
    )


def post_events(client, *events: dict):
    body = envelope(*events)
    return client.generic(
        "POST", "/hooks/registry/hooked/events", body, content_type=EVENTS_TYPE,
        HTTP_AUTHORIZATION=f"Bearer {WEBHOOK_SECRET}", CONTENT_LENGTH=str(len(body)),
    )  # fmt: skip


def with_size(size: object, **kwargs) -> dict:
    pushed = event("push", **kwargs)
    pushed["target"]["size"] = size
    return pushed


def test_it_stores_events_whose_timestamps_leave_utc_at_the_time_of_receipt(client, hooked):
    before = timezone.now()
    far = [event("push", tag=f"t{i}", timestamp=value) for i, value in enumerate(FAR_OFF)]
    ahead = event("push", tag="ahead", timestamp="9999-01-01T00:00:00Z")
    offset = event("push", tag="offset", timestamp="2026-01-02T03:04:05+05:00")
    response = post_events(client, *far, ahead, offset)
    assert response.status_code == 200
    assert response.json() == {"accepted": 4, "duplicates": 0, "ignored": 0}
    stored = {e.tag: e.occurred_at for e in RegistryEvent.objects.all()}
    for tag in ("t0", "t1", "ahead"):
        assert before <= stored[tag] <= timezone.now()
    assert stored["offset"].isoformat() == "2026-01-01T22:04:05+00:00"


def test_it_stores_events_whose_size_does_not_fit_the_column_without_one(client, hooked):
    sizes = {"huge": 2**63, "huger": 2**64 + 1, "negative": -1, "largest": 2**63 - 1}
    response = post_events(client, *(with_size(size, tag=tag) for tag, size in sizes.items()))
    assert response.status_code == 200
    assert response.json()["accepted"] == 4
    stored = dict(RegistryEvent.objects.values_list("tag", "size"))
    assert stored == {"huge": None, "huger": None, "negative": None, "largest": 2**63 - 1}


def test_it_stores_text_the_database_cannot_hold_in_a_form_it_can(client, hooked):
    hostile = event("push", actor={"name": "ali\x00ce\ud800"}, request={"addr": "\x00"})
    unstorable_id = event("push", tag="other", event_id="id-\x00")
    response = post_events(client, hostile, unstorable_id)
    assert response.status_code == 200
    assert response.json() == {"accepted": 1, "duplicates": 0, "ignored": 1}
    stored = RegistryEvent.objects.get()
    assert (stored.actor, stored.client_addr) == ("alice?", "")


# --- the delete confirmation --------------------------------------------------------------


@pytest.mark.parametrize("digest", ["sha256:short", "", "md5:" + "0" * 32, "<b>sha256</b>"])
def test_it_refuses_a_malformed_digest_posted_to_the_delete_with_a_400(
    client, persona, registry_open, registry_row, fresh_repo, digest
):
    repo = fresh_repo(registry_open)
    registry_row(registry_open, name="local")
    persona("dora")
    response = client.post(f"/manage/registry/local/delete/{repo.name}:v1", {"digest": digest})
    assert response.status_code == 400
    assert "Not a valid image reference" in response.content.decode()
    record = AuditRecord.objects.get()
    assert (record.outcome, record.repository, record.digest) == ("failed", repo.name, "")
    assert "digest" in record.message
    # Nothing was deleted.
    assert ok_page(client, f"/registry/local/{repo.name}:v1")


# --- what a real registry cannot hold: faked ----------------------------------------------

HOSTILE = "https://hostile.example"
ARTIFACT = canonical_json(
    {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "artifactType": "application/vnd.example.sbom",
        "config": {"mediaType": "application/vnd.oci.empty.v1+json", "size": 2,
                   "digest": compute(b"{}")},
        "layers": [],
    }
)  # fmt: skip
DEEP = b"[" * 100_000 + b"]" * 100_000


@pytest.fixture
def hostile(db):
    return Registry.objects.create(name="hostile", url=HOSTILE)


@pytest.fixture
def fake():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def serve_manifest(fake, repository: str, reference: str, body: bytes) -> str:
    """`body` at manifests/<reference> and at its digest; referrers unknown (404)."""
    digest = compute(body, reference.partition(":")[0] if ":" in reference else "sha256")
    headers = {"Docker-Content-Digest": digest}
    for ref in {reference, digest}:
        url = f"{HOSTILE}/v2/{repository}/manifests/{ref}"
        fake.get(url, body=body, content_type=OCI_MANIFEST, headers=headers)
        fake.head(url, content_type=OCI_MANIFEST, headers=headers)
    fake.get(re.compile(rf"{HOSTILE}/v2/{repository}/referrers/.*"), status=404)
    fake.get(re.compile(rf"{HOSTILE}/v2/{repository}/manifests/sha(256|512)-.*"), status=404)
    return digest


def tags_on(page: str) -> list[str]:
    return re.findall(r'class="tag-link" href="/registry/hostile/[^"]+:([^"]+)"', page)


def test_it_hides_tags_that_break_the_reference_grammar(client, hostile, fake):
    listed = ["v1", "..", "<b>bold</b>", "a" * 129, "v1", 7, None]
    fake.get(f"{HOSTILE}/v2/app/tags/list?n=1000", json={"name": "app", "tags": listed})
    serve_manifest(fake, "app", "v1", ARTIFACT)

    page = ok_page(client, "/registry/hostile/app/")
    assert tags_on(page) == ["v1"]
    assert "1 tag · " in page and "3 tags with invalid names not shown" in page
    assert "<b>bold</b>" not in page
    assert tags_on(ok_page(client, "/registry/hostile/app/?sort=newest")) == ["v1"]
    assert "artifact" in ok_page(client, "/registry/hostile/app:v1")  # the sibling tags too
    body = api_json(client, "hostile/repositories/app/tags")
    assert (body["count"], [t["tag"] for t in body["tags"]]) == (1, ["v1"])


def test_it_hides_repositories_with_invalid_names_from_the_catalog(client, hostile, fake):
    listed = ["app", "../etc", "UPPER/case", "<script>x</script>", "team/app"]
    fake.get(f"{HOSTILE}/v2/_catalog?n=1000", json={"repositories": listed})

    page = ok_page(client, "/registry/hostile/")
    assert "2 repositories at" in page
    assert "3 repositories with invalid names not shown" in page
    assert "<script>x</script>" not in page
    names = [r["name"] for r in api_json(client, "hostile/repositories")["repositories"]]
    assert names == ["app", "team/app"]


def test_it_shows_a_manifest_addressed_by_sha512(client, hostile, fake):
    """Its referrers tag (sha512-<hex>) is cut to 64 hex characters, as the spec says."""
    digest = compute(ARTIFACT, "sha512")
    serve_manifest(fake, "app", digest, ARTIFACT)
    fake.get(f"{HOSTILE}/v2/app/tags/list?n=1000", json={"name": "app", "tags": []})
    page = ok_page(client, f"/registry/hostile/app@{digest}")
    assert digest in page
    asked = [call.request.url for call in fake.calls]
    assert f"{HOSTILE}/v2/app/manifests/sha512-{digest[7:71]}" in asked


@pytest.mark.parametrize(
    ("path", "url", "status"),
    [
        ("", "/v2/_catalog?n=1000", 502),
        ("app/", "/v2/app/tags/list?n=1000", 502),
        ("app:v1", "/v2/app/manifests/v1", 502),
    ],
)
def test_it_answers_deeply_nested_registry_json_with_a_clear_error(
    client, hostile, fake, path, url, status
):
    fake.get(f"{HOSTILE}{url}", body=DEEP, content_type="application/json")
    response = client.get(f"/registry/hostile/{path}")
    assert response.status_code == status
    assert "not valid JSON" in response.content.decode()


def test_it_reads_a_deeply_nested_error_body_as_no_error_code(client, hostile, fake):
    fake.get(f"{HOSTILE}/v2/app/tags/list?n=1000", body=DEEP, status=404)
    response = client.get("/registry/hostile/app/")
    assert response.status_code == 404
    assert "Not found" in response.content.decode()


def test_it_shows_a_registry_whose_token_server_sends_deep_json_as_broken(
    client, hostile, open_row, fake
):
    challenge = f'Bearer realm="{HOSTILE}/token",service="hostile"'
    fake.get(f"{HOSTILE}/v2/", status=401, headers={"WWW-Authenticate": challenge})
    fake.get(re.compile(rf"{HOSTILE}/token.*"), body=DEEP, content_type="application/json")
    fake.add_passthru(open_row.url)  # the real registry beside it

    page = ok_page(client, "/")
    assert "The token server sent a token response that is not valid JSON." in page
    assert "Online" in page  # the other registry is unharmed
    states = {r["name"]: r["status"]["state"] for r in api_json(client, "")["registries"]}
    assert states == {"hostile": "error", "open": "online"}


def test_it_shows_a_registry_row_the_client_cannot_use_as_broken(client, open_row):
    """A row written around Registry.save() (raw SQL, an old import) with an unusable URL:
    not a RegistryError, yet only its own card may suffer."""
    odd = Registry.objects.create(name="odd", url="https://odd.example")
    Registry.objects.filter(pk=odd.pk).update(url="ftp://odd.example")

    page = ok_page(client, "/")
    assert "regfront could not check this registry" in page and "Online" in page
    states = {r["name"]: r["status"]["state"] for r in api_json(client, "")["registries"]}
    assert states == {"odd": "error", "open": "online"}


# --- the services guard callers that bring their own tag names ---------------------------


def test_it_turns_invalid_tag_names_given_to_the_summaries_into_error_lines(open_row):
    from registries import services

    summaries = services.tag_summaries(registry=open_row, repository="app", tags=["..", "1.2.0"])
    assert summaries[0].error == "This tag name is not valid." and summaries[0].image is None
    assert summaries[1].image is not None
    groups = services.tags_by_digest(registry=open_row, repository="app", tags=["..", "1.2.0"])
    assert [tags for tags in groups.values()] == [["1.2.0"]]


def test_it_keeps_an_event_timestamp_within_the_clock_skew(client, hooked):
    soon = (timezone.now() + timedelta(hours=1)).isoformat()
    assert post_events(client, event("push", timestamp=soon)).status_code == 200
    assert RegistryEvent.objects.get().occurred_at.isoformat() == soon
