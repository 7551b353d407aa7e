"""The supply-chain API (`/api/v1/registries/<name>/repositories/<repo>/supply-chain`) on the
real registry: every body fits the OpenAPI document; signatures, packages and provenance
exactly; errors and group limits."""

import pytest
from django.contrib.auth.models import Group, User

from registries.api.auth import token_create
from tests.api_support import schema_errors
from tests.supplychain import documents as docs
from tests.supplychain.build import helper_tag
from tests.supplychain.dataset import APP

pytestmark = pytest.mark.django_db
API = f"/api/v1/registries/chain/repositories/{APP}/supply-chain"


def get(client, url: str, status: int = 200, **params) -> dict:
    response = client.get(url, params)
    assert response.status_code == status, response.content[:2000]
    body = response.json()
    assert schema_errors("SupplyChain" if status == 200 else "Error", body) == []
    return body


def test_a_verified_signature(client, reg, row):
    image = reg.images["signed"]
    body = get(client, API, reference="signed")
    assert (body["digest"], body["reference"]) == (image.digest, "signed")
    assert body["badge"] == {"state": "verified", "message": "Verified with key release."}
    [signature] = body["signatures"]
    assert signature["source"] == "tag"
    assert signature["found_by"] == helper_tag(image.digest, "sig")
    assert signature["about"] == image.digest
    assert signature["verification"] == {
        "state": "verified", "message": "Verified with key release.", "key": "release"
    }  # fmt: skip
    assert body["web_url"] == f"/registry/chain/{APP}:signed/supply-chain"
    by_digest = get(client, API, reference=image.digest)
    assert by_digest["signatures"] == body["signatures"]


def test_a_tampered_signature(client, row):
    body = get(client, API, reference="tampered")
    assert body["badge"]["state"] == "failed"
    assert body["signatures"][0]["verification"]["key"] is None


def test_packages_and_provenance_from_a_buildkit_index(client, reg, row):
    body = get(
        client, "/api/v1/registries/chain/repositories/chain/buildkit/supply-chain", reference="v1"
    )
    [sbom] = body["sboms"]
    assert (sbom["source"], sbom["platform"], sbom["format"], sbom["package_count"]) == (
        "index", "linux/amd64", "SPDX 2.3", 4
    )  # fmt: skip
    assert (
        sbom["about"] == reg.buildkit.image.digest and sbom["artifact"] == reg.buildkit.attestation
    )
    assert sbom["packages"] == [p.__dict__ for p in docs.SPDX_PACKAGES]
    [provenance] = body["provenance"]
    assert {
        k: provenance[k] for k in ("version", "builder_id", "source_repository", "source_commit")
    } == {
        "version": "v0.2",
        "builder_id": "https://github.com/example/app/actions/runs/1",
        "source_repository": "https://github.com/example/app",
        "source_commit": docs.COMMIT,
    }
    assert provenance["parameters"] == [
        {"name": k, "value": v} for k, v in docs.SLSA_V02_PARAMETERS
    ]
    assert provenance["materials"] == [
        {"uri": m.uri, "digest": m.digest} for m in docs.SLSA_V02_MATERIALS
    ]
    assert provenance["verification"] is None  # BuildKit's statements are not signed
    assert body["badge"]["state"] == "unsigned"


def test_q_filters_the_packages(client, row):
    body = get(client, API, reference="attested", q="deb")
    assert [p["name"] for p in body["sboms"][0]["packages"]] == ["debian", "debug", "openssl"]
    assert body["provenance"][0]["verification"]["state"] == "verified"


def test_a_hostile_sbom_is_an_error_field_not_a_failure(client, row):
    body = get(client, API, reference="malformed")
    assert body["sboms"][0]["error"] == "The SBOM is not valid JSON."
    assert body["sboms"][0]["packages"] == []


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({}, 400, "bad_request"),
        ({"reference": "-bad"}, 400, "invalid_reference"),
        ({"reference": "nope"}, 404, "not_found"),
        ({"reference": "signed", "q": "x" * 300}, 400, "bad_request"),
    ],
)
def test_errors(client, row, params, status, code):
    assert get(client, API, status, **params)["error"]["code"] == code


def test_a_group_limited_registry_is_404_for_a_token_of_someone_else(client, row):
    row.groups.add(Group.objects.create(name="secret"))
    _, token = token_create(user=User.objects.create_user("outsider"), name="ci")
    response = client.get(API, {"reference": "signed"}, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 404
