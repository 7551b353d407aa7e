"""The tasks: a scheduled run deletes and schedules its successor `interval` later (run_after);
a superseded schedule task or a paused policy does nothing; a held run waits for the lease."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from registries.retention.lease import lease_take
from registries.retention.models import RetentionPolicy, RetentionRun
from registries.retention.rules import Rules
from registries.retention.run import run_create
from registries.retention.tasks import (
    retention_run,
    retention_schedule_policy,
    retention_scheduled,
)
from tests.retention.support import indexed, policy, stock, tags_now

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def reg(registry_factory):
    return registry_factory()


@pytest.fixture(autouse=True)
def _fast(settings):
    settings.REGFRONT_RETENTION_RATE = 1000


def scheduled() -> list[DBTaskResult]:
    path = "registries.retention.tasks.retention_scheduled"
    return list(DBTaskResult.objects.filter(task_path=path, status="READY"))


def test_a_scheduled_run_deletes_and_schedules_the_next(reg, registry_row, unique_repo_name):
    name = unique_repo_name("sched")
    stock(reg, name)
    row = indexed(registry_row(reg, name="sched"), name)
    p = policy(row, name, interval=3600)
    retention_schedule_policy(policy=p)
    first = scheduled()[0]
    assert first.run_after > timezone.now() + timedelta(seconds=3500)
    result = retention_scheduled.call(policy_id=p.pk, key=p.schedule_key)
    assert result["deleted"] == 1 and "0.9" not in tags_now(reg, name)
    assert RetentionRun.objects.get().trigger == "schedule"
    later = RetentionPolicy.objects.get(pk=p.pk).schedule_key
    assert later != p.schedule_key
    assert [t.args_kwargs["kwargs"]["key"] for t in scheduled()][-1] == later
    # The first task, superseded, does nothing if it is delivered again.
    assert retention_scheduled.call(policy_id=p.pk, key=p.schedule_key) == {"skipped": True}


def test_a_paused_policy_s_schedule_runs_nothing(reg, registry_row, unique_repo_name):
    name = unique_repo_name("sched-paused")
    stock(reg, name)
    row = indexed(registry_row(reg, name="schedpaused"), name)
    p = policy(row, name, interval=60, paused=True)
    retention_schedule_policy(policy=p)
    assert retention_scheduled.call(policy_id=p.pk, key=p.schedule_key)["paused"]
    assert not RetentionRun.objects.exists() and len(tags_now(reg, name)) == 5


def test_a_held_run_is_enqueued_again_for_when_the_lease_ends(reg, registry_row, unique_repo_name):
    name = unique_repo_name("task-held")
    stock(reg, name)
    row = indexed(registry_row(reg, name="taskheld"), name)
    p = policy(row, name)
    run = run_create(registry=row, rules=Rules.from_policy(p), policy=p, trigger="portal")
    lease_take(policy_id=p.pk, holder="someone-else")
    result = retention_run.call(run_id=run.pk)
    assert "held_until" in result
    again = DBTaskResult.objects.get(task_path="registries.retention.tasks.retention_run")
    assert again.args_kwargs["kwargs"] == {"run_id": run.pk} and again.run_after > timezone.now()
    assert len(tags_now(reg, name)) == 5
