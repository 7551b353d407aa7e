"""Removing a tag alone: detected per registry, never assumed. Distribution 2.8 (the real
registry here) deletes by digest only, so a registry that removes a tag alone (OCI
distribution spec 1.1: distribution 3, zot, Harbor) is faked with `responses`, the one thing
the real registry cannot be made to do."""

import re

import pytest
import responses
from django.urls import reverse
from django.utils import timezone

from registries.client import errors
from registries.inventory.models import IndexedManifest, IndexedRepository, IndexedTag
from registries.models import Registry
from registries.retention.models import RetentionRun
from registries.retention.run import run_execute
from registries.services.clients import client_for
from tests.retention.support import tags_now
from tests.support.images import push_image, tag_existing

pytestmark = pytest.mark.django_db
OCI = "https://oci11.test"
IMAGE = "sha256:" + "a" * 64
OTHER = "sha256:" + "b" * 64


def test_distribution_2_8_deletes_by_digest_only(registry_factory, registry_row, unique_repo_name):
    reg = registry_factory()
    name = unique_repo_name("digest-only")
    image = push_image(reg, name, "1.0")
    tag_existing(reg, name, "stable", image.manifest_bytes, image.media_type)
    client = client_for(registry_row(reg, name="digestonly"))
    assert client.delete_support(name) == "digest"
    with pytest.raises(errors.Unsupported) as refused:
        client.delete_tag(name, "1.0")
    assert refused.value.status == 400 and "by digest only" in refused.value.user_message
    assert tags_now(reg, name) == {"1.0": image.digest, "stable": image.digest}
    off = registry_factory(delete_enabled=False)
    push_image(off, name, "1.0")
    assert client_for(registry_row(off, name="off")).delete_support(name) == "off"


@pytest.fixture
def oci11(db):
    """A registry row for the faked OCI 1.1 registry, its repository `app` indexed: 1.0 and
    stable on IMAGE, 2.0 on OTHER."""
    row = Registry.objects.create(name="oci11", url=OCI)
    now = timezone.now()
    repository = IndexedRepository.objects.create(
        registry=row, name="app", first_seen=now, last_seen=now, last_synced=now
    )
    for tag, digest in (("1.0", IMAGE), ("stable", IMAGE), ("2.0", OTHER)):
        IndexedTag.objects.create(repository=repository, name=tag, digest=digest,
                                  first_seen=now, last_seen=now)  # fmt: skip
    for digest in (IMAGE, OTHER):
        IndexedManifest.objects.create(
            registry=row, digest=digest, kind="image", fetched_at=now,
            media_type="application/vnd.oci.image.manifest.v1+json",
        )  # fmt: skip
    return row


def fake_oci11(fake: responses.RequestsMock, *, now_on: str = IMAGE) -> list[str]:
    """Tag-only DELETEs answered as OCI 1.1 says; returns the DELETEd URLs as they come."""
    deleted: list[str] = []

    def delete(request):
        deleted.append(request.url)
        if "regfront-probe-" in request.url:
            return 404, {}, b'{"errors":[{"code":"MANIFEST_UNKNOWN","message":"unknown"}]}'
        return 202, {}, b""

    fake.add_callback(responses.DELETE, re.compile(rf"{OCI}/v2/app/manifests/.*"), callback=delete)
    fake.get(
        f"{OCI}/v2/app/tags/list?n=1000", json={"name": "app", "tags": ["1.0", "stable", "2.0"]}
    )
    fake.head(f"{OCI}/v2/app/manifests/1.0", headers={"Docker-Content-Digest": now_on})
    return deleted


def test_a_chosen_tag_whose_image_another_tag_keeps_is_removed_alone(
    client, persona, oci11, settings
):
    settings.REGFRONT_RETENTION_RATE = 1000
    persona("dora")
    url = reverse("registries:tags_delete", args=[oci11.name])
    form = {"repository": "app", "tag": ["1.0"]}
    with responses.RequestsMock(assert_all_requests_are_fired=False) as fake:
        deleted = fake_oci11(fake)
        page = client.post(url, form)
        selection = page.context["selection"]
        assert selection.support == "tag"
        (group,) = selection.groups
        assert (group.digest, group.action, group.chosen) == (IMAGE, "untag", ["1.0"])
        assert group.staying == ["stable"]
        assert "Remove 1 tag alone" in page.content.decode()
        answer = client.post(url, form | {"step": "confirm", "plan": page.context["fingerprint"]})
        assert answer.status_code == 302
        run = run_execute(run_id=RetentionRun.objects.get().pk)
    (item,) = run.items.all()
    assert item.tag_only and item.state == "deleted" and item.tags == ["1.0"]
    removals = [u for u in deleted if "regfront-probe-" not in u]
    assert removals == [f"{OCI}/v2/app/manifests/1.0"]  # the tag, never the digest


def test_a_tag_moved_since_the_review_is_not_removed(client, persona, oci11, settings):
    settings.REGFRONT_RETENTION_RATE = 1000
    persona("dora")
    url = reverse("registries:tags_delete", args=[oci11.name])
    form = {"repository": "app", "tag": ["1.0"]}
    with responses.RequestsMock(assert_all_requests_are_fired=False) as fake:
        deleted = fake_oci11(fake, now_on=OTHER)  # pushed over by the time the run starts
        page = client.post(url, form)
        client.post(url, form | {"step": "confirm", "plan": page.context["fingerprint"]})
        run = run_execute(run_id=RetentionRun.objects.get().pk)
    (item,) = run.items.all()
    assert item.state == "skipped" and "moved" in item.reason
    assert [u for u in deleted if "regfront-probe-" not in u] == []
