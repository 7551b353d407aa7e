"""`manage.py sync_registry`: output and exit codes."""

import pytest
from django.core.management import CommandError, call_command

from registries.inventory.models import IndexedRepository, SyncLease, SyncState
from registries.models import Registry
from tests.support.images import push_image

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def small(registry_factory):
    reg = registry_factory()
    push_image(reg, "team/app", "v1", seed="cmd-v1")
    push_image(reg, "team/app", "v2", seed="cmd-v2")
    push_image(reg, "other", "v1", seed="cmd-other")
    return reg


def run(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command("sync_registry", *args, stdout=out)
    return out.getvalue()


def test_it_syncs_a_registry_and_says_what_it_did(small, registry_row):
    registry_row(small, name="cmd")
    out = run("cmd")
    assert out.startswith("Synced cmd: 2 repositories synced, 3 tags, 3 manifests fetched in ")
    assert out.rstrip().endswith(" s.")
    assert "0 manifests fetched" in run("cmd")  # content addressed: fetched once


def test_it_syncs_one_repository(small, registry_row):
    row = registry_row(small, name="cmd")
    out = run("cmd", "--repository", "team/app")
    assert out.startswith("Synced cmd/team/app: 1 repositories synced, 2 tags, 2 manifests")
    assert list(IndexedRepository.objects.filter(registry=row).values_list("name", flat=True)) == [
        "team/app"
    ]


def test_an_unknown_registry_or_repository_name_is_a_clear_error(small, registry_row):
    registry_row(small, name="cmd")
    with pytest.raises(CommandError, match="No registry named 'nope'"):
        run("nope")
    with pytest.raises(CommandError, match="Not a repository name"):
        run("cmd", "--repository", "Not/Valid")


def test_a_sync_another_worker_runs_is_a_clear_error_and_the_summary_counts_held_ones(
    small, registry_row
):
    from datetime import timedelta

    from django.utils import timezone

    row = registry_row(small, name="cmd")
    expires = timezone.now() + timedelta(minutes=1)
    held = SyncLease.objects.create(registry=row, repository="", holder="w2", expires=expires)
    with pytest.raises(CommandError, match="Another sync is indexing 'cmd' now"):
        run("cmd")
    held.repository = "other"
    held.save()
    with pytest.raises(CommandError, match="Another sync is indexing 'other' now"):
        run("cmd", "--repository", "other")
    out = run("cmd")
    assert "1 repositories synced, 2 tags" in out
    assert "1 repositories left to the other syncs indexing them" in out


def test_a_registry_error_fails_with_its_message(closed_port_url):
    row = Registry.objects.create(name="down", url=closed_port_url)
    with pytest.raises(CommandError, match="Sync of 'down' failed: The registry could not be"):
        run("down")
    assert SyncState.objects.get(registry=row).state == "failed"


def test_the_exit_code_is_non_zero(closed_port_url, tmp_path):
    """As a process: manage.py exits 1 and prints the message on stderr."""
    import os
    import subprocess
    import sys

    from django.conf import settings

    db = tmp_path / "cmd.sqlite3"
    env = os.environ | {"DATABASE_URL": f"sqlite:///{db}", "CACHE_URL": "locmemcache://cmd"}
    env["DJANGO_SETTINGS_MODULE"] = "tests.settings"
    manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True, timeout=60)
    done = subprocess.run(
        [*manage, "sync_registry", "nope"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1
    assert "No registry named 'nope'" in done.stderr


def test_enqueue_all_starts_every_registry_chain_once(small, registry_row, closed_port_url):
    from registries.inventory.models import SyncRequest

    registry_row(small, name="cmd")
    Registry.objects.create(name="down", url=closed_port_url)
    out = run("--all", "--enqueue")
    assert "Sync of cmd pending" in out and "Sync of down pending" in out
    run("--all", "--enqueue")  # at every worker start: deduplicated
    assert SyncRequest.objects.filter(repository="").count() == 2
    with pytest.raises(CommandError, match="name a registry or use --all"):
        run("--enqueue")
    with pytest.raises(CommandError, match="Name a registry"):
        run()
