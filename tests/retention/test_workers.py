"""Two real `db_worker` processes on PostgreSQL running two runs of one policy at once: every
digest is deleted once (one DELETE each, one `deleted` item across both runs), nothing kept
is touched, no task fails."""

import signal

import pytest
from django_tasks_db.models import DBTaskResult

from registries.retention.models import RetentionItem, RetentionRun
from registries.retention.rules import Rules
from registries.retention.run import run_create
from registries.retention.tasks import retention_enqueue_run
from tests.inventory.test_workers import pending_now, start_worker, wait_until
from tests.retention.support import indexed, policy, tags_now
from tests.support.images import push_image

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_workers_running_one_policy_twice_delete_each_digest_once(
    registry_factory, registry_row, tmp_path
):
    reg = registry_factory()
    name = "race/app"
    for n in range(12):
        push_image(reg, name, f"1.{n}", seed=f"race-{n}", layers=1,
                   created=f"2023-01-{n + 1:02d}T00:00:00Z")  # fmt: skip
    row = indexed(registry_row(reg, name="race"), name)
    p = policy(row, name, keep_last=2, protect="")
    runs = [run_create(registry=row, rules=Rules.from_policy(p), policy=p,
                       trigger=RetentionRun.Trigger.PORTAL) for _ in range(2)]  # fmt: skip
    logs = [tmp_path / "worker-a.log", tmp_path / "worker-b.log"]
    workers = [start_worker(f"worker-{n}", log) for n, log in zip("ab", logs, strict=True)]
    try:
        for run in runs:
            retention_enqueue_run(run=run)
        wait_until(
            lambda: (
                RetentionRun.objects.filter(state="done").count() == 2
                and not pending_now().filter(task_path__contains="retention").exists()
            ),
            seconds=60,
            what="both runs to finish",
        )
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            worker.wait(15)
    failed = DBTaskResult.objects.filter(status="FAILED")
    assert not failed.exists(), [(r.task_path, r.traceback) for r in failed]
    assert set(tags_now(reg, name)) == {"1.10", "1.11"}
    deleted = RetentionItem.objects.filter(state="deleted")
    assert deleted.count() == 10
    assert len(set(deleted.values_list("digest", flat=True))) == 10  # once each
    assert RetentionItem.objects.filter(state="skipped").count() == 10
    results = [r.return_value for r in DBTaskResult.objects.filter(status="SUCCESSFUL")]
    assert any("held_until" in r for r in results), "the runs met on the policy's lease"
