"""Copy and promote between real registries: an open registry to a Basic-auth one gives
identical digests, a 3-platform index and its signature included; within one registry the
layers are mounted; a second copy skips what the target has; a target that is down stops the
job with a sentence and Resume queues it again; nobody without `change_manifest` copies."""

import pytest
import requests
from django.contrib.auth.models import Group
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from registries.audit import AuditRecord
from registries.history.services import tag_history
from registries.promotion.copy import copy_create, copy_execute
from registries.promotion.models import CopyJob, PromotionRoute
from tests.retention.support import ACCEPT
from tests.support.images import push_image, push_index

pytestmark = pytest.mark.django_db
THREE = [("linux", "amd64", None), ("linux", "arm64", "v8"), ("linux", "arm", "v7")]


def sig_tag(digest: str) -> str:
    return f"sha256-{digest.removeprefix('sha256:')}.sig"


@pytest.fixture(scope="module")
def staging(registry_factory):
    return registry_factory()


@pytest.fixture(scope="module")
def prod(registry_factory):
    return registry_factory(auth="basic")


@pytest.fixture
def rows(staging, prod, registry_row):
    return registry_row(staging, name="staging"), registry_row(prod, name="prod")


def digest_on(reg, repository: str, reference: str) -> str | None:
    answer = requests.head(f"{reg.url}/v2/{repository}/manifests/{reference}", timeout=10,
                           headers={"Accept": ACCEPT}, auth=reg.credentials)  # fmt: skip
    return answer.headers["Docker-Content-Digest"] if answer.status_code == 200 else None


def test_a_3_platform_index_and_its_signature_copy_with_identical_digests(
    staging, prod, rows, unique_repo_name
):
    source, target = rows
    name = unique_repo_name("app")
    index = push_index(staging, name, "1.0", platforms=THREE, seed=f"{name}-index")
    signature = push_image(staging, name, sig_tag(index.digest), seed=f"{name}-sig", layers=1)
    job = copy_create(source=source, repository=name, tag="1.0", digest=None, target=target,
                      target_repository=f"prod/{name}", target_tag="1.0", with_referrers=True,
                      user=None)  # fmt: skip
    job = copy_execute(job_id=job.pk)
    assert job.state == "done", job.message
    assert digest_on(prod, f"prod/{name}", "1.0") == index.digest
    for child in index.children:
        assert digest_on(prod, f"prod/{name}", child.digest) == child.digest
    assert digest_on(prod, f"prod/{name}", sig_tag(index.digest)) == signature.digest
    # Three platform images of two layers and a config each, and the signature's two blobs.
    assert job.blobs_total == job.blobs_done == 3 * 3 + 2 and job.blobs_skipped == 0
    assert job.bytes_done == job.bytes_total > 0
    assert AuditRecord.objects.get(action="image_copy").registry_name == "prod"

    again = copy_execute(job_id=copy_create(
        source=source, repository=name, tag="1.0", digest=None, target=target,
        target_repository=f"prod/{name}", target_tag="1.0", with_referrers=True, user=None,
    ).pk)  # fmt: skip
    assert again.state == "done" and again.blobs_skipped == again.blobs_total


def test_within_one_registry_the_layers_are_mounted(staging, rows, unique_repo_name):
    source, _ = rows
    name = unique_repo_name("mount")
    image = push_image(staging, name, "1.0", seed=f"{name}-img")
    job = copy_execute(job_id=copy_create(
        source=source, repository=name, tag="1.0", digest=None, target=source,
        target_repository=f"{name}-copy", target_tag="v1", with_referrers=False, user=None,
    ).pk)  # fmt: skip
    assert job.state == "done" and job.blobs_mounted == job.blobs_total == 3
    assert digest_on(staging, f"{name}-copy", "v1") == image.digest


def test_a_target_that_is_down_stops_the_job_and_resume_queues_it(
    client, persona, staging, rows, unique_repo_name, closed_port_url
):
    source, target = rows
    name = unique_repo_name("down")
    push_image(staging, name, "1.0", seed=f"{name}-img")
    target.url = closed_port_url
    target.save()
    persona("cara")
    job = copy_execute(job_id=copy_create(
        source=source, repository=name, tag="1.0", digest=None, target=target,
        target_repository=name, target_tag="1.0", with_referrers=False, user=None,
    ).pk)  # fmt: skip
    assert job.state == "failed" and "staging → prod" in job.message
    page = client.get(reverse("registries:copy_job", args=[job.pk])).content.decode()
    assert "Resume this copy" in page
    client.post(reverse("registries:copy_resume", args=[job.pk]))
    assert CopyJob.objects.get(pk=job.pk).state == "queued"
    assert DBTaskResult.objects.filter(task_path="registries.promotion.tasks.copy_image").exists()


def test_the_copy_form_and_promote_button_queue_jobs_for_the_worker(
    client, persona, staging, prod, rows, unique_repo_name
):
    source, target = rows
    name = unique_repo_name("ui")
    image = push_image(staging, name, "2.0", seed=f"{name}-img")
    route = PromotionRoute.objects.create(source=source, target=target, label="production")
    user = persona("cara")
    tag_page = client.get(reverse("registries:reference", args=["staging", f"{name}:2.0"]))
    assert "Promote to production" in tag_page.content.decode()
    copy_url = reverse("registries:copy", args=["staging", f"{name}:2.0"])
    assert client.get(copy_url).status_code == 200
    bad = client.post(copy_url, {"target": "prod", "repository": "Not Valid", "tag": "2.0"})
    assert bad.status_code == 400 and not CopyJob.objects.exists()
    answer = client.post(reverse("registries:promote", args=["staging", f"{name}:2.0"]),
                         {"route": route.pk})  # fmt: skip
    job = CopyJob.objects.get()
    assert answer.status_code == 302 and answer.url == reverse("registries:copy_job", args=[job.pk])
    assert job.route == route and job.requested_by == user and job.digest == image.digest
    copy_execute(job_id=job.pk)  # the worker's part
    assert digest_on(prod, name, "2.0") == image.digest
    (latest, *_) = tag_history(registry=target, repository=name, tag="2.0")
    assert latest.digest == image.digest and latest.actor == "cara"


@pytest.mark.parametrize("who", [None, "pat", "dora"])
def test_without_change_manifest_nothing_is_copied(client, persona, rows, unique_repo_name, who):
    source, target = rows
    route = PromotionRoute.objects.create(source=source, target=target, label="production")
    if who:
        persona(who)
    copy_url = reverse("registries:copy", args=["staging", "app:1.0"])
    answer = client.post(copy_url, {"target": "prod", "repository": "app", "tag": "1.0"})
    promote = client.post(reverse("registries:promote", args=["staging", "app:1.0"]),
                          {"route": route.pk})  # fmt: skip
    assert answer.status_code in (302, 403) and promote.status_code == answer.status_code
    assert not CopyJob.objects.exists()


def test_a_target_registry_the_person_cannot_see_is_no_choice(client, persona, rows, staging,
                                                              unique_repo_name):  # fmt: skip
    _, target = rows
    target.groups.add(Group.objects.create(name="prod-team"))
    name = unique_repo_name("hidden")
    push_image(staging, name, "1.0", seed=f"{name}-img")
    persona("cara")
    answer = client.post(reverse("registries:copy", args=["staging", f"{name}:1.0"]),
                         {"target": "prod", "repository": name, "tag": "1.0"})  # fmt: skip
    assert answer.status_code == 400 and not CopyJob.objects.exists()
