"""The sync service against real registries: the index matches, resyncs fetch nothing known,
interrupted syncs resume, a registry failing mid-sync leaves the index as it was."""

from datetime import timedelta

import pytest
import requests
from django.db import connection
from django.utils import timezone

from registries.client import errors
from registries.inventory.leases import LeaseHeld, LeaseLost
from registries.inventory.models import (
    IndexedManifest,
    IndexedRepository,
    IndexedTag,
    SyncLease,
    SyncState,
)
from registries.inventory.services import registry_sync, repository_sync
from registries.models import Registry
from tests.support.images import push_artifact_with_subject, push_image, push_index

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def stocked(registry_factory):
    """A registry of its own: `app` (4 tags, 3 digests), an index, an artifact, a namespace."""
    reg = registry_factory(dataset="small")
    index = push_index(reg, "team/multi", "v1", kind="oci")
    push_image(reg, "team/one", "1.0", kind="oci", labels={"org.example.team": "one"})
    push_artifact_with_subject(reg, "app", reg.dataset.image("app", "1.2.0"))
    reg.index = index
    return reg


def index_of(row: Registry) -> dict[str, dict[str, str]]:
    return {
        repo.name: dict(repo.tags.values_list("name", "digest"))
        for repo in IndexedRepository.objects.filter(registry=row)
    }


def registry_truth(reg) -> dict[str, dict[str, str]]:
    """What the registry holds, asked with plain requests (not regfront's client)."""
    accept = ", ".join(
        [
            "application/vnd.oci.image.index.v1+json",
            "application/vnd.oci.image.manifest.v1+json",
            "application/vnd.docker.distribution.manifest.list.v2+json",
            "application/vnd.docker.distribution.manifest.v2+json",
        ]
    )
    truth = {}
    for name in requests.get(f"{reg.url}/v2/_catalog", timeout=10).json()["repositories"]:
        tags = requests.get(f"{reg.url}/v2/{name}/tags/list", timeout=10).json()["tags"] or []
        truth[name] = {
            tag: requests.head(
                f"{reg.url}/v2/{name}/manifests/{tag}", headers={"Accept": accept}, timeout=10
            ).headers["Docker-Content-Digest"]
            for tag in tags
        }
    return {name: tags for name, tags in truth.items() if tags}


def manifest_gets(seen) -> list:
    return [
        r for r in seen if r.method == "GET" and ("/manifests/" in r.path or "/blobs/" in r.path)
    ]


def test_a_full_sync_matches_the_registry(stocked, registry_row):
    row = registry_row(stocked, name="stocked")
    report = registry_sync(registry=row)
    assert index_of(row) == registry_truth(stocked)
    assert report.repositories == 3 and report.tags == 6
    state = SyncState.objects.get(registry=row)
    assert (state.state, state.repositories_done, state.repositories_total) == ("idle", 3, 3)
    assert state.tags_done == 6 and state.duration is not None and not state.last_error

    latest = IndexedManifest.objects.get(
        registry=row, digest=stocked.dataset.digest("app", "latest")
    )
    image = stocked.dataset.image("app", "1.10.0")
    assert latest.kind == "image"
    assert latest.size == image.size
    assert latest.config_digest == image.config_digest
    assert [layer["digest"] for layer in latest.layers] == image.layer_digests
    assert latest.platforms == ["linux/amd64"]
    assert latest.labels["org.opencontainers.image.version"] == "1.10.0"
    assert latest.created.isoformat() == "2024-02-20T08:15:00+00:00"
    index = IndexedManifest.objects.get(registry=row, digest=stocked.index.digest)
    assert index.kind == "index"
    assert len(index.platforms) == len(stocked.index.children) > 1
    assert index.size == sum(child.size for child in stocked.index.children)
    children = IndexedManifest.objects.filter(
        registry=row, digest__in=[c.digest for c in stocked.index.children]
    )
    assert {c.kind for c in children} == {"image"} and children.count() == len(index.platforms)
    # Tags by digest: latest and 1.10.0 share one manifest.
    assert set(IndexedTag.objects.filter(digest=latest.digest).values_list("name", flat=True)) == {
        "latest",
        "1.10.0",
    }


def test_a_resync_with_nothing_changed_fetches_no_manifest_or_config(
    stocked, registry_row, registry_requests
):
    row = registry_row(stocked, name="stocked")
    first = registry_sync(registry=row)
    fetched = len(manifest_gets(registry_requests))
    assert first.manifests_fetched >= 6 and fetched >= first.manifests_fetched
    # Tags new to the index are read with one GET each (it carries the digest): no HEAD.
    assert not [r for r in registry_requests if r.method == "HEAD"]
    registry_requests.clear()
    again = registry_sync(registry=row)
    assert again.manifests_fetched == 0
    assert manifest_gets(registry_requests) == []
    heads = [r for r in registry_requests if r.method == "HEAD"]
    assert len(heads) == again.tags == 6
    assert index_of(row) == registry_truth(stocked)


def test_vanished_tags_and_repositories_leave_the_index(registry_factory, registry_row):
    reg = registry_factory()
    keep = push_image(reg, "keep", "v1", seed="keep")
    push_image(reg, "keep", "v2", seed="keep-v2")
    gone = push_image(reg, "gone", "v1", seed="gone")
    row = registry_row(reg, name="vanish")
    registry_sync(registry=row)
    assert index_of(row) == {"keep": {"v1": keep.digest, "v2": index_of(row)["keep"]["v2"]},
                             "gone": {"v1": gone.digest}}  # fmt: skip
    v2 = index_of(row)["keep"]["v2"]
    requests.delete(f"{reg.url}/v2/keep/manifests/{v2}", timeout=10).raise_for_status()
    requests.delete(f"{reg.url}/v2/gone/manifests/{gone.digest}", timeout=10).raise_for_status()
    report = registry_sync(registry=row)
    # distribution keeps listing a repository without tags: it has no tags, so no index row.
    assert index_of(row) == {"keep": {"v1": keep.digest}}
    assert report.removed_tags == 1 and report.removed_repositories == 1


def test_an_interrupted_sync_resumes_without_redoing_finished_repositories(
    stocked, registry_row, registry_requests
):
    row = registry_row(stocked, name="stocked")
    # A run that started, synced `app`, and then died (the worker was killed).
    state = SyncState.objects.create(registry=row, state="running")
    repository_sync(registry=row, repository="app")
    SyncState.objects.filter(pk=state.pk).update(
        started=IndexedRepository.objects.get(registry=row, name="app").last_synced
    )
    registry_requests.clear()
    report = registry_sync(registry=row)
    assert report.skipped == 1 and report.repositories == 2
    assert not [r for r in registry_requests if r.path.startswith("/v2/app/")]
    assert index_of(row) == registry_truth(stocked)
    # The progress counts the skipped repository's tags too (4 of app's, 2 others).
    state.refresh_from_db()
    assert (state.repositories_done, state.tags_done, state.tags_total) == (3, 6, 6)
    # The next run is a new one: everything is synced again.
    assert registry_sync(registry=row).repositories == 3


def test_a_registry_failing_mid_sync_leaves_the_index_and_marks_the_sync_failed(
    registry_factory, registry_row, registry_requests, settings
):
    settings.REGFRONT_MAX_CONCURRENCY = 1
    reg = registry_factory()
    for name in ("a1", "a2", "a3"):
        push_image(reg, name, "v1", seed=f"down-{name}")
    row = registry_row(reg, name="downreg")
    registry_sync(registry=row)
    before = index_of(row)
    for name in ("a1", "a2", "a3"):
        push_image(reg, name, "v2", seed=f"down-{name}-v2")

    def stop_after_a1(record) -> None:
        if record.path.startswith("/v2/a1/manifests/") and record.method == "HEAD":
            reg.stop()  # gone while the sync is in the middle of a1's tags

    registry_requests.clear()
    from registries.services.clients import add_observer, remove_observer

    add_observer(stop_after_a1)
    try:
        with pytest.raises(errors.RegistryError) as failed:
            registry_sync(registry=row)
    finally:
        remove_observer(stop_after_a1)
    assert index_of(row) == before  # a1 not half-written, a2 and a3 untouched
    state = SyncState.objects.get(registry=row)
    assert state.state == "failed"
    assert state.last_error == failed.value.user_message
    assert state.finished is not None


def test_signatures_and_attestations_get_their_kind(registry_factory, registry_row):
    from tests.support.images import tag_existing

    reg = registry_factory()
    image = push_image(reg, "signed", "v1", kind="oci", seed="signed")
    signature = push_artifact_with_subject(
        reg,
        "signed",
        image,
        artifact_type="application/vnd.dev.cosign.artifact.sig.v1+json",
        payload_type="application/vnd.dev.cosign.simplesigning.v1+json",
    )
    sbom = push_artifact_with_subject(reg, "signed", image)
    sig_tag = f"sha256-{image.digest[7:]}.sig"
    tag_existing(reg, "signed", sig_tag, signature.manifest_bytes, signature.media_type)
    tag_existing(reg, "signed", "sbom", sbom.manifest_bytes, sbom.media_type)
    multi = push_index(
        reg,
        "signed",
        "multi",
        kind="oci",
        platforms=[("linux", "amd64", None), ("unknown", "unknown", None)],
    )
    row = registry_row(reg, name="signed")
    registry_sync(registry=row)
    kinds = dict(IndexedManifest.objects.filter(registry=row).values_list("digest", "kind"))
    assert kinds[image.digest] == "image"
    assert kinds[signature.digest] == "signature"
    assert kinds[sbom.digest] == "artifact"
    assert kinds[multi.digest] == "index"
    assert kinds[multi.children[1].digest] == "attestation"
    index = IndexedManifest.objects.get(registry=row, digest=multi.digest)
    assert index.platforms == ["linux/amd64"] and index.size == multi.children[0].size
    stored = IndexedManifest.objects.get(registry=row, digest=signature.digest)
    assert stored.subject_digest == image.digest
    assert stored.artifact_type == "application/vnd.dev.cosign.artifact.sig.v1+json"


def test_a_classic_cosign_signature_is_indexed_as_a_signature(registry_factory, registry_row):
    """cosign's default format: an image config (with Go's zero time as `created`) and a
    simple-signing layer, tagged `sha256-<hex>.sig`."""
    from tests.support.images import OCI_CONFIG, OCI_MANIFEST, Blob, canonical_json, client_for
    from tests.support.images import sha256_digest as digest_of

    reg = registry_factory()
    image = push_image(reg, "cosigned", "v1", kind="oci", seed="cosigned")
    pusher = client_for(reg)
    payload = Blob(
        b'{"critical": {"image": {}}}', "application/vnd.dev.cosign.simplesigning.v1+json"
    )
    zero = "0001-01-01T00:00:00Z"
    config = Blob(
        canonical_json(
            {"architecture": "", "os": "", "created": zero, "config": {},
             "rootfs": {"type": "layers", "diff_ids": [payload.digest]}}
        ),
        OCI_CONFIG,
    )  # fmt: skip
    for blob in (config, payload):
        pusher.ensure_blob("cosigned", blob)
    manifest = canonical_json(
        {"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": config.descriptor(),
         "layers": [payload.descriptor()]}
    )  # fmt: skip
    sig_tag = f"sha256-{image.digest[7:]}.sig"
    pusher.put_manifest("cosigned", sig_tag, manifest, OCI_MANIFEST)

    row = registry_row(reg, name="cosigned")
    registry_sync(registry=row)
    stored = IndexedManifest.objects.get(registry=row, digest=digest_of(manifest))
    assert stored.kind == "signature"
    assert stored.created is None  # Go's zero time means unknown
    assert IndexedManifest.objects.get(registry=row, digest=image.digest).kind == "image"


def test_tags_the_grammar_refuses_are_left_out_of_the_index(db):
    """distribution refuses such names; registries that accept them exist, so faked."""
    import responses

    from tests.support.endless_registry import ARTIFACT, ARTIFACT_DIGEST, OCI_MANIFEST

    row = Registry.objects.create(name="lax", url="https://lax.test")
    with responses.RequestsMock() as fake:
        fake.get("https://lax.test/v2/_catalog?n=1000", json={"repositories": ["app"]})
        fake.get(
            "https://lax.test/v2/app/tags/list?n=1000",
            json={"name": "app", "tags": ["v1", "<b>x</b>", "a" * 129]},
        )
        fake.get(  # a tag new to the index: one GET by tag brings digest and manifest
            "https://lax.test/v2/app/manifests/v1",
            body=ARTIFACT,
            content_type=OCI_MANIFEST,
            headers={"Docker-Content-Digest": ARTIFACT_DIGEST},
        )
        report = registry_sync(registry=row)

    assert report.tags == 1
    assert dict(IndexedTag.objects.values_list("name", "digest")) == {"v1": ARTIFACT_DIGEST}


# -- leases: one sync per repository at a time ----------------------------------------------


def lease(row: Registry, repository: str, *, seconds: float) -> SyncLease:
    expires = timezone.now() + timedelta(seconds=seconds)
    return SyncLease.objects.create(
        registry=row, repository=repository, holder="other-worker", expires=expires
    )


def test_a_full_sync_leaves_a_repository_another_sync_holds_to_it(stocked, registry_row):
    row = registry_row(stocked, name="stocked")
    theirs = lease(row, "app", seconds=60)
    report = registry_sync(registry=row)
    assert report.held == 1 and report.repositories == 2
    assert set(index_of(row)) == {"team/multi", "team/one"}
    assert list(SyncLease.objects.all()) == [theirs]  # its own leases released, theirs kept


def test_a_repository_sync_refuses_while_another_holds_it(stocked, registry_row):
    row = registry_row(stocked, name="stocked")
    theirs = lease(row, "app", seconds=60)
    with pytest.raises(LeaseHeld) as held:
        repository_sync(registry=row, repository="app")
    assert held.value.expires == theirs.expires
    assert not IndexedRepository.objects.exists()


def test_a_second_full_sync_of_a_registry_refuses_while_one_runs(stocked, registry_row):
    row = registry_row(stocked, name="stocked")
    lease(row, "", seconds=60)
    with pytest.raises(LeaseHeld):
        registry_sync(registry=row)
    assert not SyncState.objects.exists() and not IndexedRepository.objects.exists()


def test_an_expired_lease_is_taken_over(stocked, registry_row):
    """Its holder died (a killed worker): its repositories are free again."""
    row = registry_row(stocked, name="stocked")
    lease(row, "app", seconds=-1)
    assert repository_sync(registry=row, repository="app").tags == 4
    assert not SyncLease.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_sync_whose_lease_was_taken_over_writes_nothing(registry_factory, registry_row):
    """A sync stalled past its lease, another took it over: the stalled one must not write
    what it read (it may be older than what the new holder writes)."""
    reg = registry_factory()
    push_image(reg, "stalled", "v1", seed="stalled")
    row = registry_row(reg, name="stalled")

    def take_over(record) -> None:
        if "/manifests/" in record.path:  # mid-crawl, on a pool thread
            SyncLease.objects.filter(registry=row).update(holder="thief")
            connection.close()  # this thread's own connection

    from registries.services.clients import add_observer, remove_observer

    add_observer(take_over)
    try:
        with pytest.raises(LeaseLost):
            registry_sync(registry=row)
    finally:
        remove_observer(take_over)
    assert not IndexedRepository.objects.exists()
    state = SyncState.objects.get(registry=row)
    assert state.state == "failed" and state.last_error == LeaseLost.user_message
