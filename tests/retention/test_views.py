"""Cleanup pages: change_registry only (group limits: 404), CSRF, the plan page, Run now
queues a run of the plan as shown, pause, run history; anonymous and unprivileged POSTs
delete nothing."""

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from registries.retention.models import RetentionPolicy, RetentionRun
from registries.retention.rules import Rules
from registries.retention.run import run_create, run_execute
from tests.retention.support import indexed, policy, stock, tags_now

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def reg(registry_factory):
    return registry_factory()


@pytest.fixture
def stocked(reg, registry_row, unique_repo_name):
    name = unique_repo_name("pages")
    stocked = stock(reg, name)
    row = indexed(registry_row(reg, name="pages"), name)
    return row, policy(row, name), stocked


def url(name, *args):
    return reverse(f"registries:{name}", args=args)


def test_it_shows_the_plan_with_reasons_and_reclaimable_bytes(client, persona, stocked):
    row, p, images = stocked
    persona("chris")
    page = client.get(url("retention_policy", row.name, p.name))
    assert page.status_code == 200
    html = page.content.decode()
    assert "stays: protected (latest)" in html
    assert "stays: shares its digest with kept tag latest" in html
    assert "stays: among the last 1 images" in html
    older = images.images["older"]
    expected = older.size  # its layers and config are its own
    assert page.context["plan"].reclaimable_bytes == expected
    assert f"({expected} bytes)" in html
    assert "Run now: delete 1 digest" in html


def test_run_now_queues_a_run_of_the_plan_and_the_worker_runs_it(
    client, persona, stocked, reg, settings
):
    settings.REGFRONT_RETENTION_RATE = 1000
    row, p, images = stocked
    persona("chris")
    shown = client.get(url("retention_policy", row.name, p.name)).context["fingerprint"]
    answer = client.post(url("retention_run_now", row.name, p.name), {"plan": shown})
    run = RetentionRun.objects.get()
    assert answer.status_code == 302 and answer.url == url("retention_run", row.name, run.pk)
    task = DBTaskResult.objects.get(task_path="registries.retention.tasks.retention_run")
    assert task.args_kwargs["kwargs"] == {"run_id": run.pk}
    assert run.requested_by.username == "chris" and run.state == "queued"
    run_execute(run_id=run.pk)  # what the worker does
    page = client.get(url("retention_run", row.name, run.pk))
    assert (
        "Deleted" in page.content.decode()
        and images.images["older"].digest in page.content.decode()
    )
    assert "0.9" not in tags_now(reg, p.repositories)


@pytest.mark.parametrize("who", [None, "pat", "dora"])
def test_anonymous_and_unprivileged_posts_delete_nothing(client, persona, stocked, who):
    row, p, _ = stocked
    if who:
        persona(who)
    for name in ("retention_run_now", "retention_pause"):
        answer = client.post(url(name, row.name, p.name), {"paused": "1"})
        assert answer.status_code in (302, 403)
        if answer.status_code == 302:
            assert answer.url.startswith(reverse("login"))
    assert not RetentionRun.objects.exists() and not DBTaskResult.objects.exists()
    assert not RetentionPolicy.objects.get(pk=p.pk).paused
    assert client.get(url("retention_policy", row.name, p.name)).status_code in (302, 403)


def test_a_registry_of_other_groups_is_a_404(client, persona, stocked):
    row, p, _ = stocked
    row.groups.add(Group.objects.create(name="others"))
    persona("chris")
    assert client.get(url("retention", row.name)).status_code == 404
    assert client.post(url("retention_run_now", row.name, p.name)).status_code == 404
    assert not RetentionRun.objects.exists()


def test_posts_need_the_csrf_token(persona, stocked):
    row, p, _ = stocked
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(persona("chris"))
    assert strict.post(url("retention_run_now", row.name, p.name)).status_code == 403
    assert not RetentionRun.objects.exists()


def test_pause_and_resume(client, persona, stocked):
    row, p, _ = stocked
    persona("chris")
    client.post(url("retention_pause", row.name, p.name), {"paused": "1"})
    assert RetentionPolicy.objects.get(pk=p.pk).paused
    answer = client.post(url("retention_run_now", row.name, p.name))
    assert answer.status_code == 302 and not RetentionRun.objects.exists()
    client.post(url("retention_pause", row.name, p.name), {"paused": "0"})
    assert not RetentionPolicy.objects.get(pk=p.pk).paused


def test_it_adds_and_edits_policies_and_refuses_bad_rules(client, persona, stocked):
    row, _, _ = stocked
    persona("chris")
    form = {"name": "weekly", "repositories": "team/*", "keep_last": "5", "order": "version",
            "protect": "latest\nrelease-*", "interval": "86400"}  # fmt: skip
    answer = client.post(url("retention_add", row.name), form)
    assert answer.status_code == 302
    weekly = RetentionPolicy.objects.get(name="weekly")
    assert weekly.protect_patterns == ["latest", "release-*"] and weekly.schedule_key
    task = DBTaskResult.objects.get(task_path="registries.retention.tasks.retention_scheduled")
    assert task.args_kwargs["kwargs"] == {"policy_id": weekly.pk, "key": weekly.schedule_key}
    bad = client.post(url("retention_add", row.name), form | {"keep_last": "", "protect": ""})
    assert bad.status_code == 400 and "at least one keep rule" in bad.content.decode()
    taken = client.post(url("retention_add", row.name), form)
    assert taken.status_code == 400 and "already has a policy" in taken.content.decode()
    regex = client.post(url("retention_edit", row.name, "weekly"), form | {"keep_regex": "("})
    assert regex.status_code == 400 and "does not compile" in regex.content.decode()
    assert (
        client.post(
            url("retention_edit", row.name, "weekly"), form | {"keep_last": "7"}
        ).status_code
        == 302
    )
    assert RetentionPolicy.objects.get(name="weekly").keep_last == 7
    assert client.get(url("retention", row.name)).status_code == 200
    assert client.get(url("retention_policy", row.name, "nope")).status_code == 404


def test_a_stopped_run_can_be_queued_again_and_a_finished_one_not(client, persona, stocked):
    row, p, _ = stocked
    persona("chris")
    client.post(url("retention_pause", row.name, p.name), {"paused": "1"})
    run = run_create(registry=row, rules=Rules.from_policy(p), policy=p, trigger="portal")
    assert run_execute(run_id=run.pk).state == "paused"
    client.post(url("retention_pause", row.name, p.name), {"paused": "0"})
    assert "Resume this run" in client.get(url("retention_run", row.name, run.pk)).content.decode()
    answer = client.post(url("retention_run_resume", row.name, run.pk))
    assert answer.status_code == 302
    task = DBTaskResult.objects.get(task_path="registries.retention.tasks.retention_run")
    assert task.args_kwargs["kwargs"] == {"run_id": run.pk}
    RetentionRun.objects.filter(pk=run.pk).update(state="done")
    client.post(url("retention_run_resume", row.name, run.pk))
    assert DBTaskResult.objects.filter(task_path__endswith="retention_run").count() == 1


def test_run_now_refuses_a_plan_that_changed_since_the_page_showed_it(client, persona, stocked):
    row, p, _ = stocked
    persona("chris")
    shown = client.get(url("retention_policy", row.name, p.name)).context["fingerprint"]
    RetentionPolicy.objects.filter(pk=p.pk).update(keep_last=3)  # someone edits the policy
    answer = client.post(url("retention_run_now", row.name, p.name), {"plan": shown})
    assert answer.status_code == 302 and answer.url == url("retention_policy", row.name, p.name)
    assert not RetentionRun.objects.exists() and not DBTaskResult.objects.exists()
    page = client.get(answer.url)
    assert "The plan changed since the page showed it" in page.content.decode()
