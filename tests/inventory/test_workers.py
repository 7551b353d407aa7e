"""Two real `db_worker` processes on PostgreSQL racing on the syncs of one registry: the index
ends exactly as the registry is, no row twice, no failed task, and no repository indexed by
both workers at overlapping times (each sync logs who indexed what when)."""

import json
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from itertools import combinations
from pathlib import Path

import pytest
from django.db import connection
from django.db.models import Q
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

from registries.inventory.models import IndexedManifest, IndexedTag, SyncLease
from registries.inventory.services import inventory_enqueue_registry, inventory_enqueue_repository
from registries.models import Registry
from tests.inventory.test_sync import index_of, registry_truth
from tests.production_support import ROOT
from tests.support.images import push_image

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

REPOSITORIES = [f"race/app-{n:02d}" for n in range(30)]
WAVES = 3  # rounds of enqueues; each lands while the previous round's syncs still run
LEASE = 3  # seconds: a sync found held is retried this soon


def worker_env(log_level: str = "DEBUG") -> dict[str, str]:
    """The workers use the test database pytest-django made (and the test's settings)."""
    db = connection.settings_dict
    return os.environ | {
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CACHE_URL": "locmemcache://workers",
        "REGFRONT_LOG_FORMAT": "json",
        "REGFRONT_LOG_LEVEL": log_level,
        "REGFRONT_SYNC_LEASE": str(LEASE),
        "REGFRONT_REQUEST_DEADLINE": "2.5",
        "REGFRONT_LISTING_DEADLINE": "2.5",
        "REGFRONT_MAX_CONCURRENCY": "4",
    }


def start_worker(name: str, log: Path) -> subprocess.Popen:
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "manage.py", "db_worker", "--worker-id", name, "--interval", "0.1",
             "--no-startup-delay", "--no-reload"],
            cwd=ROOT, env=worker_env(), stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip


def pending_now():
    """Tasks queued or running, the periodic successor (due an interval later) aside; a
    task enqueued without run_after has the backend's far-future marker."""
    soon = timezone.now() + timedelta(minutes=5)
    due = Q(run_after=get_date_max()) | Q(run_after__lte=soon)
    return DBTaskResult.objects.filter(due, status__in=["READY", "RUNNING"])


def wait_until(done, *, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def indexed_records(log: Path) -> list[dict]:
    records = []
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("{") and '"repository indexed"' in line:
            records.append(json.loads(line))
    return records


def test_two_workers_never_index_a_repository_at_once_nor_duplicate_a_row(
    registry_factory, tmp_path
):
    reg = registry_factory()
    for name in REPOSITORIES:
        for tag in ("v1", "v2"):
            push_image(reg, name, tag, seed=f"{name}:{tag}", layer_seed="race", layers=1)
    row = Registry.objects.create(name="race", url=reg.url)
    logs = [tmp_path / "worker-a.log", tmp_path / "worker-b.log"]
    workers = [start_worker(f"worker-{n}", log) for n, log in zip("ab", logs, strict=True)]
    try:
        for _wave in range(WAVES):
            # Each wave's requests are new once the last wave's were claimed (a claimed
            # request leaves the table), so full and repository syncs race for real.
            wait_until(
                lambda: not pending_now().filter(status="READY", run_after=get_date_max()).exists(),
                seconds=20,
                what="the workers to claim the last wave",
            )
            inventory_enqueue_registry(registry=row)
            for name in REPOSITORIES:
                inventory_enqueue_repository(registry=row, repository=name)
        wait_until(lambda: not pending_now().exists(), seconds=40, what="the queue to drain")
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            worker.wait(15)

    failed = DBTaskResult.objects.filter(status="FAILED")
    assert not failed.exists(), [(r.task_path, r.exception_class_path, r.traceback) for r in failed]
    truth = registry_truth(reg)
    assert index_of(row) == truth
    assert IndexedTag.objects.filter(repository__registry=row).count() == 2 * len(REPOSITORIES)
    digests = {digest for tags in truth.values() for digest in tags.values()}
    assert set(IndexedManifest.objects.filter(registry=row).values_list("digest", flat=True)) >= (
        digests
    )
    assert not SyncLease.objects.exists()  # every lease was released

    by_worker = [indexed_records(log) for log in logs]
    assert all(by_worker), "both workers indexed repositories"
    for mine, theirs in combinations(by_worker, 2):
        for a in mine:
            for b in theirs:
                if a["repository"] == b["repository"]:
                    assert a["ended"] < b["began"] or b["ended"] < a["began"], (a, b)
    results = [r.return_value for r in DBTaskResult.objects.filter(status="SUCCESSFUL")]
    contended = sum(int(r.get("held", 0)) for r in results)  # full syncs: skipped or skipping
    retried = sum("held_until" in r for r in results)  # repository syncs found held
    assert contended + retried > 0, "the workers met on a repository at least once"
