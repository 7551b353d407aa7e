"""Deleting through the portal against real registries: siblings go, others stay, audited."""

import pytest
import requests

from registries.models import AuditRecord
from tests.support.images import ACCEPT_ALL, push_image, tag_existing

pytestmark = pytest.mark.django_db


def registry_tags(reg, repository: str) -> list[str]:
    response = requests.get(f"{reg.url}/v2/{repository}/tags/list", timeout=10)
    return response.json().get("tags") or [] if response.ok else []


def manifest_exists(reg, repository: str, digest: str) -> bool:
    response = requests.head(
        f"{reg.url}/v2/{repository}/manifests/{digest}", headers={"Accept": ACCEPT_ALL}, timeout=10
    )
    return response.status_code == 200


@pytest.fixture
def four_tags(registry_open, fresh_repo):
    """v1, v1.0 and stable share one digest; other has its own."""
    repo = fresh_repo(registry_open, tag="v1")
    for tag in ("v1.0", "stable"):
        tag_existing(
            registry_open, repo.name, tag, repo.image.manifest_bytes, repo.image.media_type
        )
    other = push_image(registry_open, repo.name, "other", seed=f"{repo.name}-other")
    return repo.name, repo.image.digest, other.digest


def test_deleting_one_tag_deletes_its_siblings_and_nothing_else(
    client, persona, registry_open, registry_row, four_tags
):
    repository, digest, other_digest = four_tags
    registry_row(registry_open, name="local")
    persona("dora")
    # The page is cached before the delete: it must be fresh right after.
    assert f'{repository}:stable"' in client.get(f"/registry/local/{repository}/").content.decode()

    confirm = client.get(f"/manage/registry/local/delete/{repository}:v1.0").content.decode()
    assert "every one of these 3 tags" in confirm
    for tag in ("v1", "v1.0", "stable"):
        assert f"<code>{tag}</code>" in confirm
    assert "<code>other</code>" not in confirm

    response = client.post(f"/manage/registry/local/delete/{repository}:v1.0", {"digest": digest})
    assert response.status_code == 302
    assert registry_tags(registry_open, repository) == ["other"]
    assert not manifest_exists(registry_open, repository, digest)
    assert manifest_exists(registry_open, repository, other_digest)

    page = client.get(f"/registry/local/{repository}/").content.decode()
    assert f'{repository}:stable"' not in page
    assert f'{repository}:other"' in page
    assert "Deleted sha256:" in page  # the message names what went
    record = AuditRecord.objects.get()
    assert (record.action, record.outcome, record.actor_name) == ("manifest_delete", "ok", "dora")
    assert record.digest == digest
    assert sorted(record.tags) == ["stable", "v1", "v1.0"]


@pytest.mark.parametrize("who", [None, "pat", "stella", "adam", "chris", "remy"])
def test_a_refused_delete_deletes_nothing(
    client, persona, registry_open, registry_row, four_tags, who
):
    repository, digest, _ = four_tags
    registry_row(registry_open, name="local")
    if who:
        persona(who)
    url = f"/manage/registry/local/delete/{repository}:v1"
    expected = 302 if who is None else 403
    assert client.get(url).status_code == expected
    assert client.post(url, {"digest": digest}).status_code == expected
    assert manifest_exists(registry_open, repository, digest)
    assert not AuditRecord.objects.exists()
    assert "Delete…" not in client.get(f"/registry/local/{repository}:v1").content.decode()


def test_holders_see_the_delete_action(client, persona, registry_open, registry_row):
    registry_row(registry_open, name="local")
    persona("dora")
    assert "Delete…" in client.get("/registry/local/app:1.2.0").content.decode()


def test_a_registry_with_deletion_off_gets_the_explaining_page(
    client, persona, registry_nodelete, registry_row
):
    registry_row(registry_nodelete, name="nodelete")
    digest = registry_nodelete.dataset.digest("app", "1.2.0")
    persona("sue")
    response = client.post("/manage/registry/nodelete/delete/app:1.2.0", {"digest": digest})
    assert response.status_code == 409
    assert "REGISTRY_STORAGE_DELETE_ENABLED" in response.content.decode()
    assert manifest_exists(registry_nodelete, "app", digest)
    record = AuditRecord.objects.get()
    assert (record.outcome, record.digest) == ("failed", digest)
    assert "not support" in record.message


def test_a_token_account_without_delete_rights_is_told_so(
    client, persona, registry_token, registry_row
):
    # No credentials: the token server grants anonymous pull but never delete.
    registry_row(registry_token, name="tokenanon", password="")
    row = registry_token
    digest = row.dataset.digest("app", "1.2.0")
    from registries.models import Registry

    Registry.objects.filter(name="tokenanon").update(username="")
    persona("sue")
    response = client.post("/manage/registry/tokenanon/delete/app:1.2.0", {"digest": digest})
    assert response.status_code == 403
    assert "Your registry account may not delete" in response.content.decode()
    assert AuditRecord.objects.get().outcome == "failed"


def test_an_invalid_reference_to_delete_is_a_400(client, persona, registry_open, registry_row):
    registry_row(registry_open, name="local")
    persona("dora")
    assert client.get("/manage/registry/local/delete/app/").status_code == 400
    assert client.get("/manage/registry/local/delete/BAD:tag").status_code == 400
