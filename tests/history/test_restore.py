"""Tag history from the index, restore and add-a-tag against a real registry: a moved tag
restored points at the exact old digest again; a digest the registry lost is refused with a
sentence; nobody without `change_manifest` changes anything."""

import pytest
import requests
from django.test import Client
from django.urls import reverse

from registries.audit import AuditRecord
from registries.history.services import tag_history
from registries.inventory.services import repository_sync
from tests.retention.support import tags_now
from tests.support.images import push_image

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def reg(registry_factory):
    return registry_factory()


@pytest.fixture
def moved(reg, registry_row, unique_repo_name):
    """1.0 pushed (old), indexed, pushed over (new), indexed again."""
    name = unique_repo_name("hist")
    row = registry_row(reg, name="hist")
    old = push_image(reg, name, "1.0", seed=f"{name}-old")
    repository_sync(registry=row, repository=name)
    new = push_image(reg, name, "1.0", seed=f"{name}-new")
    repository_sync(registry=row, repository=name)
    return row, name, old, new


def url(name, row, reference):
    return reverse(f"registries:{name}", args=[row.name, reference])


def test_the_history_lists_every_digest_newest_first(client, moved):
    row, name, old, new = moved
    entries = tag_history(registry=row, repository=name, tag="1.0")
    assert [(e.digest, e.current) for e in entries] == [(new.digest, True), (old.digest, False)]
    page = client.get(url("tag_history", row, f"{name}:1.0"))
    html = page.content.decode()
    assert page.status_code == 200 and old.digest[7:19] in html and "current" in html
    assert "Restore…" not in html  # only for who may restore
    assert "sends regfront no events" in html


def test_restore_puts_the_exact_old_digest_back(client, persona, moved, reg):
    row, name, old, _ = moved
    user = persona("cara")
    review = client.get(url("tag_history_restore", row, f"{name}:1.0"), {"digest": old.digest})
    assert review.status_code == 200 and review.context["found"].ok
    assert "Restore…" in client.get(url("tag_history", row, f"{name}:1.0")).content.decode()
    answer = client.post(url("tag_history_restore", row, f"{name}:1.0"), {"digest": old.digest})
    assert answer.status_code == 302
    assert tags_now(reg, name)["1.0"] == old.digest
    record = AuditRecord.objects.get(action="tag_restore")
    assert record.digest == old.digest and record.tags == ["1.0"] and record.actor == user
    (latest, *_) = tag_history(registry=row, repository=name, tag="1.0")
    assert latest.digest == old.digest and latest.actor == "cara" and latest.source == "portal"


def test_a_digest_the_registry_lost_is_refused_with_a_sentence(client, persona, moved, reg):
    row, name, old, new = moved
    persona("cara")
    gone = requests.delete(f"{reg.url}/v2/{name}/manifests/{old.digest}", timeout=10)
    assert gone.status_code == 202
    review = client.get(url("tag_history_restore", row, f"{name}:1.0"), {"digest": old.digest})
    assert review.status_code == 409 and "garbage collection" in review.content.decode()
    answer = client.post(url("tag_history_restore", row, f"{name}:1.0"), {"digest": old.digest})
    assert answer.status_code == 409
    assert tags_now(reg, name)["1.0"] == new.digest
    assert AuditRecord.objects.get(action="tag_restore").outcome == "failed"


@pytest.mark.parametrize("who", [None, "pat", "dora"])
def test_without_change_manifest_nothing_changes(client, persona, moved, reg, who):
    row, name, old, new = moved
    if who:
        persona(who)
    answer = client.post(url("tag_history_restore", row, f"{name}:1.0"), {"digest": old.digest})
    assert answer.status_code in (302, 403)
    if answer.status_code == 302:
        assert answer.url.startswith(reverse("login"))
    added = client.post(url("tag_add", row, f"{name}:1.0"), {"new_tag": "stable"})
    assert added.status_code == answer.status_code
    assert tags_now(reg, name) == {"1.0": new.digest}


def test_csrf_and_bad_references(persona, moved, client):
    row, name, old, _ = moved
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(persona("cara"))
    restore = url("tag_history_restore", row, f"{name}:1.0")
    assert strict.post(restore, {"digest": old.digest}).status_code == 403
    assert client.get(restore, {"digest": "sha256:nothex"}).status_code in (400, 404)
    assert client.get(url("tag_history", row, f"{name}:Bad!Tag")).status_code in (400, 404)


def test_add_a_tag_and_move_one_only_when_asked(client, persona, moved, reg):
    row, name, old, new = moved
    persona("cara")
    add = url("tag_add", row, f"{name}:1.0")
    assert client.get(add).status_code == 200
    answer = client.post(add, {"new_tag": "stable"})
    assert answer.status_code == 302 and tags_now(reg, name)["stable"] == new.digest
    assert AuditRecord.objects.get(action="tag_add").tags == ["stable"]
    bad = client.post(add, {"new_tag": "no good"})
    assert bad.status_code == 400 and "no tag name" in bad.content.decode()
    from_old = url("tag_add", row, f"{name}@{old.digest}")
    refused = client.post(from_old, {"new_tag": "stable"})
    assert refused.status_code == 409 and "Move it" in refused.content.decode()
    assert tags_now(reg, name)["stable"] == new.digest
    moved_now = client.post(from_old, {"new_tag": "stable", "move": "1"})
    assert moved_now.status_code == 302 and tags_now(reg, name)["stable"] == old.digest


def test_the_tag_page_links_the_history_and_add_a_tag_for_who_may(client, persona, moved):
    row, name, _, _ = moved
    tag_page = reverse("registries:reference", args=[row.name, f"{name}:1.0"])
    anonymous = client.get(tag_page).content.decode()
    assert url("tag_history", row, f"{name}:1.0") in anonymous and "Add a tag" not in anonymous
    persona("cara")
    assert url("tag_add", row, f"{name}:1.0") in client.get(tag_page).content.decode()
