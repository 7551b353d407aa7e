"""Runs against a real registry: exactly the plan, siblings of a kept tag never taken, a tag
moved since the plan skipped, resumable, once per digest, pause, a 405 registry."""

import time

import pytest
import requests

from registries.models import AuditRecord
from registries.retention.lease import RunHeld, lease_take
from registries.retention.models import RetentionItem, RetentionPolicy, RetentionRun
from registries.retention.rules import Rules
from registries.retention.run import run_create, run_execute, run_result
from tests.retention.support import ACCEPT, indexed, policy, stock, tags_now
from tests.support.images import push_image, tag_existing

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast(settings):
    settings.REGFRONT_RETENTION_RATE = 1000


@pytest.fixture(scope="module")
def reg(registry_factory):
    return registry_factory()


def new_run(p: RetentionPolicy) -> RetentionRun:
    return run_create(registry=p.registry, rules=Rules.from_policy(p), policy=p,
                      trigger=RetentionRun.Trigger.PORTAL)  # fmt: skip


def deletes(seen) -> list[str]:
    return [r.path for r in seen if r.method == "DELETE"]


def test_it_deletes_nothing_a_kept_tag_points_at(
    reg, registry_row, unique_repo_name, registry_requests
):
    name = unique_repo_name("keep")
    stocked = stock(reg, name)
    row = indexed(registry_row(reg, name="keep"), name)
    run = run_execute(run_id=new_run(policy(row, name)).pk)
    older, old, new = (stocked.images[k].digest for k in ("older", "old", "new"))
    assert run.state == "done" and (run.deleted, run.skipped, run.errors) == (1, 0, 0)
    assert tags_now(reg, name) == {"1.0": old, "stable": old, "latest": old, "2.0": new}
    assert deletes(registry_requests) == [f"/v2/{name}/manifests/{older}"]
    record = AuditRecord.objects.get(digest=older)
    assert (record.source, record.tags, record.outcome) == ("retention", ["0.9"], "ok")
    assert run_result(run)["repositories"][0]["delete"] == [{"digest": older, "tags": ["0.9"]}]


def test_a_tag_moved_or_added_since_the_plan_is_skipped(reg, registry_row, unique_repo_name):
    name = unique_repo_name("moved")
    stock(reg, name)
    push_image(reg, name, "0.8", seed=f"{name}-oldest", created="2022-01-01T00:00:00Z")
    row = indexed(registry_row(reg, name="moved"), name)
    run = new_run(policy(row, name))
    assert RetentionItem.objects.filter(run=run).count() == 2  # 0.8 and 0.9
    moved = push_image(reg, name, "0.9", seed=f"{name}-rebuilt")  # the tag moves
    oldest = tags_now(reg, name)["0.8"]
    tag_existing(reg, name, "keep-this", *_manifest_of(reg, name, "0.8"))
    run = run_execute(run_id=run.pk)
    assert (run.deleted, run.skipped) == (0, 2)
    by_tag = {tuple(i.tags): i.reason for i in run.items.all()}
    assert by_tag[("0.9",)] == f"tag 0.9 moved to {moved.digest} since the plan"
    assert by_tag[("0.8",)] == "tag keep-this was pushed onto it since the plan"
    now = tags_now(reg, name)
    assert now["0.9"] == moved.digest and now["0.8"] == oldest and now["keep-this"] == oldest


def _manifest_of(reg, name, tag):
    got = requests.get(f"{reg.url}/v2/{name}/manifests/{tag}", headers={"Accept": ACCEPT},
                       timeout=10)  # fmt: skip
    return got.content, got.headers["Content-Type"]


def test_a_rerun_resumes_and_a_second_run_deletes_nothing_twice(
    reg, registry_row, unique_repo_name, registry_requests
):
    name = unique_repo_name("twice")
    stock(reg, name)
    push_image(reg, name, "0.8", seed=f"{name}-oldest", created="2022-01-01T00:00:00Z")
    row = indexed(registry_row(reg, name="twice"), name)
    p = policy(row, name)
    first, second = new_run(p), new_run(p)  # two runs of one plan
    # The first was killed after its first digest: that item is done, the other pending.
    done = first.items.order_by("pk").first()
    run_execute(run_id=first.pk)
    assert run_execute(run_id=first.pk).deleted == 2  # a rerun of a finished run: nothing new
    second = run_execute(run_id=second.pk)
    assert (second.deleted, second.skipped) == (0, 2)
    assert {i.reason for i in second.items.all()} == {
        "already gone: none of its tags exists any more"
    }
    assert len(deletes(registry_requests)) == 2 and done.digest in deletes(registry_requests)[0]


def test_a_killed_run_resumes_without_redoing_finished_digests(
    reg, registry_row, unique_repo_name, registry_requests
):
    name = unique_repo_name("resume")
    stock(reg, name)
    push_image(reg, name, "0.8", seed=f"{name}-oldest", created="2022-01-01T00:00:00Z")
    row = indexed(registry_row(reg, name="resume"), name)
    run = new_run(policy(row, name))
    first, rest = run.items.order_by("pk")
    # As a killed worker leaves it: one item done, one claimed and never finished.
    RetentionItem.objects.filter(pk=first.pk).update(state="deleted")
    RetentionItem.objects.filter(pk=rest.pk).update(state="working", holder="dead")
    RetentionRun.objects.filter(pk=run.pk).update(state="running")
    run = run_execute(run_id=run.pk)
    assert run.state == "done" and run.deleted == 2
    assert deletes(registry_requests) == [f"/v2/{name}/manifests/{rest.digest}"]


def test_a_run_waits_while_another_run_of_its_policy_holds_the_lease(
    reg, registry_row, unique_repo_name
):
    name = unique_repo_name("held")
    stock(reg, name)
    row = indexed(registry_row(reg, name="held"), name)
    p = policy(row, name)
    lease_take(policy_id=p.pk, holder="someone-else")
    run = new_run(p)
    with pytest.raises(RunHeld):
        run_execute(run_id=run.pk)
    assert RetentionRun.objects.get(pk=run.pk).state == "queued"
    assert len(tags_now(reg, name)) == 5


def test_a_paused_policy_stops_its_run_before_the_next_digest(reg, registry_row, unique_repo_name):
    name = unique_repo_name("paused")
    stock(reg, name)
    row = indexed(registry_row(reg, name="paused"), name)
    p = policy(row, name)
    run = new_run(p)
    RetentionPolicy.objects.filter(pk=p.pk).update(paused=True)
    run = run_execute(run_id=run.pk)
    assert run.state == "paused" and run.deleted == 0 and "paused" in run.message
    assert len(tags_now(reg, name)) == 5
    RetentionPolicy.objects.filter(pk=p.pk).update(paused=False)
    assert run_execute(run_id=run.pk).deleted == 1  # and it resumes


def test_a_registry_with_deletes_off_stops_the_run_with_one_sentence(
    registry_nodelete, registry_row
):
    row = indexed(registry_row(registry_nodelete, name="nodelete"), "app")
    p = policy(row, "app")
    run = run_execute(run_id=new_run(p).pk)
    assert run.state == "failed" and run.deleted == 0 and run.errors == 1
    assert run.message == (
        "The registry nodelete has deletes turned off (405 UNSUPPORTED), so the run stopped: "
        "enable them with REGISTRY_STORAGE_DELETE_ENABLED=true, then run again."
    )
    assert run.items.filter(state="pending").count() == 1  # the next digest was not tried
    assert set(tags_now(registry_nodelete, "app")) == {"1.2.0", "1.9.3", "1.10.0", "latest"}


def test_deletes_keep_to_the_configured_rate_with_one_head_and_one_delete_each(
    reg, registry_row, unique_repo_name, settings, registry_requests
):
    name = unique_repo_name("rate")
    for n in range(4):
        push_image(reg, name, f"0.{n}", seed=f"{name}-{n}", created=f"2023-0{n + 1}-01T00:00:00Z",
                   layers=1)  # fmt: skip
    row = indexed(registry_row(reg, name="rate"), name)
    run = new_run(policy(row, name))
    settings.REGFRONT_RETENTION_RATE = 5
    registry_requests.clear()  # the sync's requests
    started = time.monotonic()
    run = run_execute(run_id=run.pk)
    assert run.deleted == 3 and time.monotonic() - started >= 2 * 0.2
    # One tag list for the repository, then one HEAD and one DELETE per digest.
    sent = [(r.method, r.path.rsplit("/", 2)[-2]) for r in registry_requests]
    assert sorted(sent) == sorted([("GET", "tags")] + [("HEAD", "manifests")] * 3
                                  + [("DELETE", "manifests")] * 3)  # fmt: skip
