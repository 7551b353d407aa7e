"""Trust (issue 17): changes are never replayed elsewhere by a redirect, a schema-1 manifest
cannot say how its own digest is computed, and the outbound guard refuses before it connects.

`responses` fakes only what a real registry cannot be made to do (a redirected DELETE).
"""

import hashlib

import pytest
import responses

from registries.client import errors
from registries.client.api import RegistryClient
from registries.models import AuditRecord

BASE = "https://registry.test"
ELSEWHERE = "https://elsewhere.test"
DIGEST = "sha256:" + "a" * 64


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


# --- 5. redirects are followed for reads only -------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize("target", [ELSEWHERE, BASE])
@responses.activate
def test_it_does_not_follow_a_redirected_delete(status, target):
    path = f"/v2/app/manifests/{DIGEST}"
    responses.delete(f"{BASE}{path}", status=status, headers={"Location": f"{target}/moved"})
    moved = responses.delete(f"{target}/moved", status=202)
    with pytest.raises(errors.BadResponse) as raised:
        RegistryClient(BASE, name="test").delete_manifest("app", DIGEST)
    assert raised.value.user_message == (
        "The registry redirected a DELETE; regfront does not follow redirects for changes."
    )
    assert moved.call_count == 0  # nothing was sent to the redirect target
    assert len(responses.calls) == 1


@responses.activate
def test_it_still_follows_a_redirected_read():
    blob = b"layer"
    responses.get(
        f"{BASE}/v2/app/blobs/{sha256(blob)}", status=307, headers={"Location": f"{ELSEWHERE}/b"}
    )
    responses.get(f"{ELSEWHERE}/b", body=blob)
    assert RegistryClient(BASE, name="test").blob("app", sha256(blob), max_bytes=64) == blob


@pytest.mark.django_db
def test_it_audits_a_delete_redirected_to_another_origin_as_failed(
    client, persona, registry_open, registry_row, fresh_repo
):
    """A real registry for the confirmation page; only its DELETE answer is faked (a 307 to
    another origin, which distribution never sends)."""
    repo = fresh_repo(registry_open, prefix="redirected")
    registry_row(registry_open, name="local")
    persona("dora")
    url = f"/manage/registry/local/delete/{repo.name}:v1"
    with responses.RequestsMock(assert_all_requests_are_fired=False) as fake:
        fake.add_passthru(registry_open.url)
        fake.delete(
            f"{registry_open.url}/v2/{repo.name}/manifests/{repo.image.digest}",
            status=307,
            headers={"Location": f"{ELSEWHERE}/v2/{repo.name}/manifests/{repo.image.digest}"},
        )
        moved = fake.delete(f"{ELSEWHERE}/v2/{repo.name}/manifests/{repo.image.digest}")
        response = client.post(url, {"digest": repo.image.digest})

    assert response.status_code == 502
    assert "regfront does not follow redirects for changes" in response.content.decode()
    assert moved.call_count == 0
    record = AuditRecord.objects.get()
    assert (record.action, record.outcome) == ("manifest_delete", "failed")
    assert record.message == (
        "The registry redirected a DELETE; regfront does not follow redirects for changes."
    )
    # The manifest is still there: nothing was deleted anywhere.
    assert client.get(f"/registry/local/{repo.name}:v1").status_code == 200
