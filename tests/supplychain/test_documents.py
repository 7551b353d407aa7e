"""SBOMs, provenance, statements and helper tags read exactly, and hostile documents refused
with a sentence (never a traceback)."""

import base64
import json

import pytest

from registries.supplychain.documents import Unreadable
from registries.supplychain.folding import fold_helper_tags, helper_tag, helper_tags_of
from registries.supplychain.provenance import Material, read_provenance
from registries.supplychain.sbom import PACKAGES_MAX, read_sbom, sbom_from_layer
from registries.supplychain.statements import statement_from_layer
from tests.supplychain import documents as docs
from tests.supplychain.build import SLSA_02, SLSA_1, SPDX_PREDICATE, envelope, statement

DIGEST = "sha256:" + "ab" * 32


def test_spdx_becomes_a_package_table():
    sbom = read_sbom(docs.SPDX)
    assert (sbom.format, sbom.name, sbom.total) == ("SPDX 2.3", "sbom-app", 4)
    assert list(sbom.packages) == docs.SPDX_PACKAGES


def test_cyclonedx_nested_components_are_packages_too():
    sbom = read_sbom(docs.CYCLONEDX)
    assert (sbom.format, sbom.name, sbom.total) == ("CycloneDX 1.5", "app-image", 4)
    assert list(sbom.packages) == docs.CYCLONEDX_PACKAGES


def test_a_package_matches_in_any_column_and_case():
    busybox = docs.SPDX_PACKAGES[1]
    assert busybox.matches("gpl-2") and busybox.matches("pkg:apk") and not busybox.matches("zlib")


def test_slsa_v02_from_buildkit():
    p = read_provenance(SLSA_02, docs.SLSA_V02)
    assert p.version == "v0.2"
    assert p.builder_id == "https://github.com/example/app/actions/runs/1"
    assert p.build_type == "https://mobyproject.org/buildkit@v1"
    assert (p.source_repository, p.source_commit) == ("https://github.com/example/app", docs.COMMIT)
    assert p.parameters == docs.SLSA_V02_PARAMETERS
    assert p.materials == docs.SLSA_V02_MATERIALS and p.materials_total == 2
    assert p.invocation_id == "inv-123"
    assert p.started.isoformat() == "2024-01-02T03:04:05+00:00"
    assert p.finished.isoformat() == "2024-01-02T03:05:06+00:00"


def test_slsa_v1_from_github():
    p = read_provenance(SLSA_1, docs.SLSA_V1)
    assert p.version == "v1"
    assert p.builder_id == "https://github.com/actions/runner/github-hosted"
    assert p.build_type == "https://actions.github.io/buildtypes/workflow/v1"
    assert (p.source_repository, p.source_commit) == ("https://github.com/example/app", docs.COMMIT)
    assert p.parameters == docs.SLSA_V1_PARAMETERS
    assert p.materials == (
        Material("git+https://github.com/example/app@refs/heads/main", f"gitCommit:{docs.COMMIT}"),
    )
    assert p.invocation_id == "https://github.com/example/app/actions/runs/42/attempts/1"
    assert p.finished is None


def test_slsa_v1_from_buildkit_names_its_config_source():
    predicate = {
        "buildDefinition": {
            "externalParameters": {
                "configSource": {
                    "uri": "https://github.com/example/app.git#v1",
                    "digest": {"sha1": docs.COMMIT},
                },
                "request": {"frontend": "dockerfile.v0", "args": {"build-arg:X": "1"}},
            }
        },
        "runDetails": {"builder": {"id": ""}},
    }
    p = read_provenance(SLSA_1, predicate)
    assert (p.source_repository, p.source_commit) == (
        "https://github.com/example/app.git#v1",
        docs.COMMIT,
    )
    assert ("request.args.build-arg:X", "1") in p.parameters


def test_statements_raw_and_in_dsse_envelopes():
    raw = json.dumps(statement(SPDX_PREDICATE, docs.SPDX, DIGEST)).encode()
    parsed, wrapped = statement_from_layer(raw, "application/vnd.in-toto+json")
    assert (parsed.predicate_type, parsed.subjects, wrapped) == (SPDX_PREDICATE, (DIGEST,), None)
    enveloped = envelope(statement(SLSA_02, docs.SLSA_V02, DIGEST), None)
    parsed, wrapped = statement_from_layer(enveloped, "application/vnd.dsse.envelope.v1+json")
    assert (
        parsed.predicate_type == SLSA_02 and wrapped.payload_type == "application/vnd.in-toto+json"
    )


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"{not json", "The SBOM is not valid JSON."),
        (b"[" * 100_000 + b"]" * 100_000, "The SBOM is not valid JSON."),
        (b'{"spdxVersion": NaN}', "The SBOM is not valid JSON."),
        (b"\xff\xfe", "The SBOM is not valid JSON."),
        (b'{"hello": "world"}', "neither an SPDX 2.x nor a CycloneDX"),
        (b'{"@context": "https://spdx.org/rdf/3.0.0/spdx-context.jsonld"}', "SPDX 3"),
    ],
)
def test_hostile_sboms_are_refused_with_a_reason(raw, message):
    with pytest.raises(Unreadable, match=message):
        sbom_from_layer(raw, "application/spdx+json")


def test_wrong_types_inside_an_sbom_are_read_as_empty():
    sbom = read_sbom(
        {"spdxVersion": "SPDX-2.2", "packages": [7, {"name": ["x"], "externalRefs": "y"}, None]}
    )
    assert [p.name for p in sbom.packages] == ["", "", ""]
    components = {"bomFormat": "CycloneDX", "components": {"a": 1}}
    assert read_sbom(components).packages == ()


def test_a_deep_cyclonedx_tree_needs_no_recursion():
    node: dict = {"name": "leaf"}
    for i in range(5000):
        node = {"name": f"n{i}", "components": [node]}
    sbom = read_sbom({"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [node]})
    assert sbom.total == 5001


def test_an_sbom_keeps_at_most_packages_max_and_says_how_many_there_are():
    many = {
        "spdxVersion": "SPDX-2.3",
        "packages": [{"name": f"p{i}"} for i in range(PACKAGES_MAX + 5)],
    }
    sbom = read_sbom(many)
    assert (len(sbom.packages), sbom.total, sbom.cut) == (PACKAGES_MAX, PACKAGES_MAX + 5, True)


@pytest.mark.parametrize(
    "raw",
    [
        b'{"payloadType": "application/vnd.in-toto+json", "payload": "%%%"}',
        b'{"payloadType": "application/vnd.in-toto+json", "payload": ""}',
        b'{"_type": "https://example.com/NotAStatement"}',
        json.dumps({"payloadType": "x", "payload": base64.b64encode(b"[1]").decode()}).encode(),
    ],
)
def test_broken_statements_are_unreadable(raw):
    with pytest.raises(Unreadable):
        statement_from_layer(raw, "application/vnd.dsse.envelope.v1+json")


def test_helper_tags_fold_under_their_image():
    hex_ = "ab" * 32
    tags = [
        "1.0",
        f"sha256-{hex_}.sig",
        f"sha256-{hex_}.sbom",
        f"sha256-{hex_}",
        "sha256-short.sig",
        "latest",
    ]
    folded = fold_helper_tags(tags)
    assert folded.tags == ["1.0", "sha256-short.sig", "latest"]
    assert folded.helpers == {f"sha256:{hex_}": ["signature", "SBOM", "referrers"]}
    assert folded.folded == 3
    assert helper_tag(f"sha256-{hex_}.att") == (f"sha256:{hex_}", "attestation")
    assert helper_tag(f"sha256-{hex_.upper()}.sig") is None
    assert helper_tags_of(f"sha256:{hex_}")["signature"] == f"sha256-{hex_}.sig"
    assert helper_tags_of("sha512:" + "ab" * 64) == {}
