"""Delete selected, from the repository page, against a real registry (distribution 2.8:
deletes by digest only): the review groups the chosen tags by digest and names the sibling
tags a delete would take; a digest an unchosen tag points at stays unless the person says
"anyway"; the confirmed plan is what the run deletes, re-checked; nobody without
`delete_manifest` deletes anything."""

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from registries.audit import AuditRecord
from registries.retention.models import RetentionRun
from registries.retention.run import run_execute
from tests.retention.support import indexed, stock, tags_now
from tests.support.images import push_image

pytestmark = pytest.mark.django_db


def sig_tag(digest: str) -> str:
    return f"sha256-{digest.removeprefix('sha256:')}.sig"


@pytest.fixture(scope="module")
def reg(registry_factory):
    return registry_factory()


@pytest.fixture
def stocked(reg, registry_row, unique_repo_name, settings):
    """0.9 (signed), 1.0 = stable = latest, 2.0; indexed."""
    settings.REGFRONT_RETENTION_RATE = 1000
    name = unique_repo_name("pick")
    images = stock(reg, name)
    older = images.images["older"]
    push_image(reg, name, sig_tag(older.digest), seed=f"sig-{name}", layers=1)
    return indexed(registry_row(reg, name="pick"), name), images


def delete_url(row) -> str:
    return reverse("registries:tags_delete", args=[row.name])


def review(client, row, repository, tags, **extra):
    return client.post(delete_url(row), {"repository": repository, "tag": tags, **extra})


def confirm(client, row, repository, tags, page, **extra):
    form = {"repository": repository, "tag": tags, "step": "confirm",
            "plan": page.context["fingerprint"], **extra}  # fmt: skip
    return client.post(delete_url(row), form)


def groups(page) -> dict[str, object]:
    return {group.digest: group for group in page.context["selection"].groups}


def test_the_repository_page_offers_checkboxes_only_to_who_may_delete(client, persona, stocked):
    row, images = stocked
    page = reverse("registries:reference", args=[row.name, f"{images.name}/"])
    persona("pat")
    assert 'name="tag"' not in client.get(page).content.decode()
    client.logout()
    persona("dora")
    html = client.get(page).content.decode()
    assert 'aria-label="Select 1.0"' in html and 'name="matching"' in html
    assert delete_url(row) in html


def test_the_review_groups_by_digest_and_names_what_goes_with_each(client, persona, stocked, reg):
    row, images = stocked
    persona("dora")
    before = tags_now(reg, images.name)
    page = review(client, row, images.name, ["0.9", "1.0", "2.0"])
    assert page.status_code == 200
    selection, found = page.context["selection"], groups(page)
    assert selection.support == "digest" and selection.from_index
    older, old, new = (images.images[k].digest for k in ("older", "old", "new"))
    assert found[older].action == "delete" and found[older].also == [sig_tag(older)]
    assert found[new].action == "delete" and found[new].also == []
    assert found[old].action == "keep" and found[old].chosen == ["1.0"]
    assert found[old].staying == ["latest", "stable"] and found[old].offer_anyway
    html = page.content.decode()
    assert "Delete 2 images" in html and "Delete it anyway, and with it" in html
    assert tags_now(reg, images.name) == before  # a review changes nothing


def test_the_confirmed_plan_is_queued_and_the_run_deletes_exactly_it(client, persona, stocked, reg):
    row, images = stocked
    persona("dora")
    page = review(client, row, images.name, ["0.9", "1.0", "2.0"])
    answer = confirm(client, row, images.name, ["0.9", "1.0", "2.0"], page)
    run = RetentionRun.objects.get()
    assert answer.status_code == 302
    assert answer.url == reverse("registries:retention_run", args=[row.name, run.pk])
    assert run.trigger == "selection" and run.requested_by.username == "dora"
    assert DBTaskResult.objects.filter(task_path="registries.retention.tasks.retention_run")
    before = tags_now(reg, images.name)
    run_execute(run_id=run.pk)  # what the worker does
    left = tags_now(reg, images.name)
    assert sorted(left) == ["1.0", "latest", "stable"]
    assert left["1.0"] == images.images["old"].digest
    older, new = images.images["older"].digest, images.images["new"].digest
    gone = {older, new, before[sig_tag(older)]}
    assert set(run.items.filter(state="deleted").values_list("digest", flat=True)) == gone
    audited = AuditRecord.objects.filter(outcome="ok", repository=images.name, actor_name="dora")
    assert set(audited.values_list("digest", flat=True)) == gone
    follow = client.get(answer.url)  # the person follows the run without cleanup rights
    assert follow.status_code == 200 and "Deleted" in follow.content.decode()


def test_anyway_takes_the_sibling_tags_and_a_changed_choice_needs_a_new_review(
    client, persona, stocked, reg
):
    row, images = stocked
    persona("dora")
    old = images.images["old"].digest
    page = review(client, row, images.name, ["1.0"])
    changed = confirm(client, row, images.name, ["1.0"], page, anyway=[old])
    assert changed.status_code == 409 and not RetentionRun.objects.exists()
    forced = groups(changed)[old]
    assert forced.action == "delete" and forced.forced and forced.also == ["latest", "stable"]
    answer = confirm(client, row, images.name, ["1.0"], changed, anyway=[old])
    assert answer.status_code == 302
    run_execute(run_id=RetentionRun.objects.get().pk)
    assert sorted(tags_now(reg, images.name)) == [
        "0.9",
        "2.0",
        sig_tag(images.images["older"].digest),
    ]


def test_a_tag_moved_between_review_and_run_is_skipped(client, persona, stocked, reg):
    row, images = stocked
    persona("dora")
    page = review(client, row, images.name, ["2.0"])
    confirm(client, row, images.name, ["2.0"], page)
    moved = push_image(reg, images.name, "2.0", seed="moved-since")
    run = run_execute(run_id=RetentionRun.objects.get().pk)
    item = run.items.get()
    assert item.state == "skipped" and "moved" in item.reason
    assert tags_now(reg, images.name)["2.0"] == moved.digest


def test_select_all_matching_the_filter(client, persona, stocked):
    row, images = stocked
    persona("dora")
    page = client.post(delete_url(row), {"repository": images.name, "matching": "1", "q": "0.9"})
    assert page.context["chosen"] == ["0.9"]
    everything = client.post(delete_url(row), {"repository": images.name, "matching": "1"})
    assert everything.context["chosen"] == ["0.9", "1.0", "2.0", "latest", "stable"]
    found = groups(everything)
    assert all(group.action == "delete" for group in found.values())


@pytest.mark.parametrize("who", [None, "pat", "chris"])
def test_anonymous_and_unprivileged_posts_delete_nothing(client, persona, stocked, reg, who):
    row, images = stocked
    if who:
        persona(who)
    before = tags_now(reg, images.name)
    answer = client.post(delete_url(row), {"repository": images.name, "tag": ["2.0"],
                                           "step": "confirm", "plan": "x"})  # fmt: skip
    assert answer.status_code in (302, 403)
    if answer.status_code == 302:
        assert answer.url.startswith(reverse("login"))
    assert not RetentionRun.objects.exists() and tags_now(reg, images.name) == before


def test_csrf_hidden_registries_and_bad_repositories(persona, stocked, client):
    row, images = stocked
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(persona("dora"))
    assert (
        strict.post(delete_url(row), {"repository": images.name, "tag": "2.0"}).status_code == 403
    )
    bad = client.post(delete_url(row), {"repository": "Not//valid", "tag": "2.0"})
    assert bad.status_code in (400, 404)
    assert client.post(delete_url(row), {"repository": images.name}).status_code == 302
    row.groups.add(Group.objects.create(name="others"))
    assert (
        client.post(delete_url(row), {"repository": images.name, "tag": "2.0"}).status_code == 404
    )
    assert not RetentionRun.objects.exists()


def test_a_registry_with_deletes_off_says_so_and_queues_nothing(
    client, persona, registry_factory, registry_row, unique_repo_name
):
    off = registry_factory(delete_enabled=False)
    name = unique_repo_name("off")
    push_image(off, name, "1.0")
    row = registry_row(off, name="off")
    persona("dora")
    page = review(client, row, name, ["1.0"])
    assert page.context["selection"].support == "off"
    html = page.content.decode()
    assert "deletes turned off" in html and 'value="confirm"' not in html
    confirm(client, row, name, ["1.0"], page)
    assert not RetentionRun.objects.exists()
    assert not page.context["selection"].from_index  # not indexed: read from the registry
