import base64
import hashlib
import json
from datetime import UTC, datetime

import pytest

from registries.client import digests, errors
from registries.client import media_types as mt
from registries.client.models import (
    ImageIndex,
    ImageManifest,
    Platform,
    Schema1Manifest,
    parse_config,
    parse_manifest,
)

SHA = "sha256:" + "a" * 64


def descriptor(media_type=mt.OCI_LAYER_GZIP, size=10, **extra):
    return {"mediaType": media_type, "digest": SHA, "size": size, **extra}


def test_it_parses_an_oci_manifest_with_subject_and_artifact_type():
    raw = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": mt.OCI_MANIFEST,
            "artifactType": "application/vnd.example.sbom",
            "config": descriptor(mt.OCI_EMPTY, 2),
            "layers": [descriptor(size=5), descriptor(size=7, urls=["https://x"])],
            "subject": descriptor(mt.OCI_MANIFEST, 100),
            "annotations": {"a": "b", "bad": 1},
        }
    ).encode()
    parsed = parse_manifest(raw, "application/json")
    assert isinstance(parsed, ImageManifest)
    assert parsed.media_type == mt.OCI_MANIFEST
    assert parsed.size == 14
    assert parsed.artifact_type == "application/vnd.example.sbom"
    assert parsed.subject.size == 100
    assert parsed.layers[1].urls == ("https://x",)
    assert parsed.annotations == {"a": "b"}


def test_it_dispatches_on_the_header_when_the_body_has_no_media_type():
    raw = json.dumps({"schemaVersion": 2, "manifests": [descriptor(mt.OCI_MANIFEST)]}).encode()
    parsed = parse_manifest(raw, f"{mt.DOCKER_MANIFEST_LIST}; charset=utf-8")
    assert isinstance(parsed, ImageIndex)
    assert parsed.media_type == mt.DOCKER_MANIFEST_LIST
    # No header either: the shape decides.
    assert parse_manifest(raw, None).media_type == mt.OCI_INDEX


def test_it_formats_platforms():
    assert str(Platform("linux", "arm64", "v8")) == "linux/arm64/v8"
    assert str(Platform("windows", "amd64", os_version="10.0.17763")) == "windows/amd64"
    index = parse_manifest(
        json.dumps(
            {
                "mediaType": mt.OCI_INDEX,
                "manifests": [
                    descriptor(mt.OCI_MANIFEST, platform={"os": "linux", "architecture": "arm"})
                ],
            }
        ).encode(),
        None,
    )
    assert str(index.manifests[0].platform) == "linux/arm"


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"not json",
        b"[1, 2]",
        b'"string"',
        b"\xff\xfe",
        b'{"mediaType": "application/vnd.unknown+json"}',
        json.dumps({"mediaType": mt.OCI_MANIFEST, "config": "x", "layers": []}).encode(),
        json.dumps({"mediaType": mt.OCI_MANIFEST, "config": descriptor(), "layers": {}}).encode(),
        json.dumps(
            {"mediaType": mt.OCI_MANIFEST, "config": {"digest": "sha256:zz"}, "layers": []}
        ).encode(),
        json.dumps({"mediaType": mt.OCI_INDEX, "manifests": [descriptor(size=-1)]}).encode(),
        json.dumps({"mediaType": mt.OCI_INDEX, "manifests": [descriptor(size="1")]}).encode(),
    ],
)
def test_it_rejects_garbage_manifests(raw):
    with pytest.raises(errors.BadResponse):
        parse_manifest(raw, mt.OCI_MANIFEST)


def _signed_schema1() -> tuple[bytes, bytes]:
    payload = {
        "schemaVersion": 1,
        "name": "legacy/app",
        "tag": "old",
        "architecture": "amd64",
        "fsLayers": [{"blobSum": SHA}],
        "history": [{"v1Compatibility": json.dumps({"id": "x", "created": "2016-01-01"})}],
    }
    unsigned = json.dumps(payload, indent=3).encode()
    body, tail = unsigned[:-2], unsigned[-2:]  # cut before the closing "\n}"

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).decode().rstrip("=")

    protected = b64(json.dumps({"formatLength": len(body), "formatTail": b64(tail)}).encode())
    signature = {"header": {"alg": "ES256"}, "signature": "c2ln", "protected": protected}
    signed = body + b',\n   "signatures": [' + json.dumps(signature).encode() + b"]" + tail
    return signed, unsigned


def test_it_reads_signed_schema1_manifests_and_their_digest():
    signed, unsigned = _signed_schema1()
    parsed = parse_manifest(signed, mt.DOCKER_SCHEMA1_SIGNED)
    assert isinstance(parsed, Schema1Manifest)
    assert parsed.name == "legacy/app"
    assert parsed.fs_layers == (SHA,)
    assert parsed.history[0]["id"] == "x"
    assert digests.schema1_payload(signed) == unsigned
    expected = "sha256:" + hashlib.sha256(unsigned).hexdigest()
    assert digests.verify(expected, digests.schema1_payload(signed)) == expected


def test_it_parses_a_config_best_effort():
    raw = json.dumps(
        {
            "created": "2024-01-02T03:04:05.123456789Z",
            "architecture": "arm64",
            "variant": "v8",
            "os": "linux",
            "config": {
                "Env": ["PATH=/bin"],
                "Cmd": ["run"],
                "ExposedPorts": {"8080/tcp": {}, "443/tcp": {}},
                "Volumes": {"/data": {}},
                "Labels": {"a": "<b>"},
                "WorkingDir": "/app",
                "User": "app",
            },
            "history": [
                {"created": "0001-01-01T00:00:00Z", "created_by": "ADD x", "empty_layer": True},
                {"created": "garbage", "comment": "buildkit"},
            ],
            "rootfs": {"type": "layers", "diff_ids": [SHA]},
        }
    ).encode()
    config = parse_config(raw)
    assert config.created == datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)
    assert config.exposed_ports == ("443/tcp", "8080/tcp")
    assert config.volumes == ("/data",)
    assert config.labels == {"a": "<b>"}
    assert config.entrypoint == ()
    assert [h.created for h in config.history] == [None, None]
    assert config.history[0].empty_layer
    assert config.history[1].comment == "buildkit"
    assert config.diff_ids == (SHA,)


def test_it_accepts_a_minimal_config_and_rejects_non_json():
    config = parse_config(b"{}")
    assert config.created is None and config.env == () and config.labels == {}
    with pytest.raises(errors.BadResponse):
        parse_config(b"<html>")


def test_it_makes_descriptors_hashable_despite_annotations():
    raw = json.dumps({"mediaType": mt.OCI_INDEX, "manifests": [descriptor(annotations={"a": "b"})]})
    [parsed] = parse_manifest(raw.encode(), None).manifests
    assert {parsed: 1}[parsed] == 1
