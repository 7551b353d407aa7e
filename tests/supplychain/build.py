"""Supply-chain artifacts built in the test, in the layouts the real tools push them:
cosign's tag scheme (`.sig` simple signing, `.att` DSSE, `.sbom`), BuildKit's attestation
manifests inside an index, and OCI 1.1 referrers (with the `sha256-<hex>` index tag that
stands in for the referrers API on distribution 2.8). Keys are made here with cryptography.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.support.images import (
    OCI_CONFIG,
    OCI_EMPTY,
    OCI_INDEX,
    OCI_MANIFEST,
    Blob,
    PushedImage,
    canonical_json,
    client_for,
    push_image,
    sha256_digest,
)
from tests.support.registry_server import RunningRegistry

SIMPLE_SIGNING = "application/vnd.dev.cosign.simplesigning.v1+json"
DSSE = "application/vnd.dsse.envelope.v1+json"
IN_TOTO = "application/vnd.in-toto+json"
SIGNATURE = "dev.cosignproject.cosign/signature"
SPDX_PREDICATE = "https://spdx.dev/Document"
CYCLONEDX_PREDICATE = "https://cyclonedx.org/bom"
SLSA_02 = "https://slsa.dev/provenance/v0.2"
SLSA_1 = "https://slsa.dev/provenance/v1"


# --- keys and signatures ----------------------------------------------------------------


@dataclass(frozen=True)
class KeyPair:
    private: ec.EllipticCurvePrivateKey

    @classmethod
    def generate(cls, curve: ec.EllipticCurve | None = None) -> KeyPair:
        return cls(ec.generate_private_key(curve or ec.SECP256R1()))

    @property
    def public_pem(self) -> str:
        return (
            self.private.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )

    def sign(self, data: bytes) -> str:
        """base64 ASN.1 DER ECDSA-SHA256, as cosign writes it."""
        return base64.b64encode(self.private.sign(data, ec.ECDSA(hashes.SHA256()))).decode()


def simple_signing_payload(digest: str, reference: str = "127.0.0.1/app") -> bytes:
    """cosign's payload for an image (payload.Cosign), as cosign serialises it."""
    payload = {
        "critical": {
            "identity": {"docker-reference": reference},
            "image": {"docker-manifest-digest": digest},
            "type": "cosign container image signature",
        },
        "optional": None,
    }
    return json.dumps(payload, separators=(",", ":")).encode()


def pae(payload_type: str, payload: bytes) -> bytes:
    kind = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def statement(predicate_type: str, predicate: Any, subject_digest: str) -> dict[str, Any]:
    return {
        "_type": "https://in-toto.io/Statement/v0.1",
        "predicateType": predicate_type,
        "subject": [{"name": "app", "digest": {"sha256": subject_digest.partition(":")[2]}}],
        "predicate": predicate,
    }


def envelope(statement_: dict[str, Any], key: KeyPair | None) -> bytes:
    payload = json.dumps(statement_).encode()
    signatures = [{"keyid": "", "sig": key.sign(pae(IN_TOTO, payload))}] if key else []
    return json.dumps(
        {
            "payloadType": IN_TOTO,
            "payload": base64.b64encode(payload).decode(),
            "signatures": signatures,
        }
    ).encode()


# --- pushing ----------------------------------------------------------------------------


def helper_tag(digest: str, suffix: str) -> str:
    return digest.replace(":", "-") + (f".{suffix}" if suffix else "")


def _cosign_config(layers: list[Blob]) -> Blob:
    """The config cosign writes for its signature/attestation images (empty platform)."""
    config = {
        "architecture": "",
        "created": "0001-01-01T00:00:00Z",
        "history": [{"created": "0001-01-01T00:00:00Z"}],
        "os": "",
        "rootfs": {"type": "layers", "diff_ids": [b.digest for b in layers]},
        "config": {},
    }
    return Blob(json.dumps(config, separators=(",", ":")).encode(), OCI_CONFIG)


def push_manifest(
    reg: RunningRegistry,
    repo: str,
    reference: str | None,
    layers: list[tuple[Blob, dict[str, str]]],
    *,
    config: Blob | None = None,
    extra: dict[str, Any] | None = None,
) -> tuple[str, bytes]:
    """An OCI manifest of these (blob, annotations) layers, by tag or by its own digest."""
    client = client_for(reg)
    config = config or _cosign_config([blob for blob, _ in layers])
    for blob in [config, *(b for b, _ in layers)]:
        client.ensure_blob(repo, blob)
    manifest: dict[str, Any] = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": config.descriptor(),
        "layers": [
            blob.descriptor() | ({"annotations": notes} if notes else {}) for blob, notes in layers
        ],
    } | (extra or {})
    data = canonical_json(manifest)
    reference = reference or sha256_digest(data)
    return client.put_manifest(repo, reference, data, OCI_MANIFEST), data


def push_signature(
    reg: RunningRegistry, repo: str, image_digest: str, signatures: list[tuple[bytes, dict]]
) -> str:
    """cosign's `sha256-<hex>.sig`: one simple-signing layer per (payload, annotations)."""
    layers = [(Blob(payload, SIMPLE_SIGNING), notes) for payload, notes in signatures]
    return push_manifest(reg, repo, helper_tag(image_digest, "sig"), layers)[0]


def push_attestations(
    reg: RunningRegistry, repo: str, image_digest: str, envelopes: list[tuple[bytes, str]]
) -> str:
    """cosign's `sha256-<hex>.att`: DSSE envelopes with their predicate type annotated."""
    layers = [
        (Blob(data, DSSE), {"predicateType": predicate_type, SIGNATURE: ""})
        for data, predicate_type in envelopes
    ]
    return push_manifest(reg, repo, helper_tag(image_digest, "att"), layers)[0]


def push_sbom_tag(
    reg: RunningRegistry, repo: str, image_digest: str, sbom: bytes, media_type: str
) -> str:
    """`cosign attach sbom`: `sha256-<hex>.sbom` with the document as its one layer."""
    return push_manifest(
        reg, repo, helper_tag(image_digest, "sbom"), [(Blob(sbom, media_type), {})]
    )[0]


@dataclass
class BuildKitIndex:
    digest: str
    image: PushedImage  # linux/amd64
    attestation: str  # the attestation manifest's digest


def push_buildkit_index(
    reg: RunningRegistry, repo: str, tag: str, statements: list[dict[str, Any]]
) -> BuildKitIndex:
    """An index as `docker buildx build --sbom --provenance` pushes it: the image, then an
    attestation manifest (in-toto layers) for it, platform unknown/unknown."""
    image = push_image(reg, repo, None, kind="oci", seed=f"{repo}:{tag}:buildkit")
    layers = [
        (
            Blob(json.dumps(s).encode(), IN_TOTO),
            {"in-toto.io/predicate-type": s["predicateType"]},
        )
        for s in statements
    ]
    config = Blob(b'{"architecture":"unknown","os":"unknown","rootfs":{"diff_ids":[]}}', OCI_CONFIG)
    attestation, data = push_manifest(reg, repo, None, layers, config=config)
    index = {
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": [
            {
                "mediaType": OCI_MANIFEST,
                "digest": image.digest,
                "size": len(image.manifest_bytes),
                "platform": {"architecture": "amd64", "os": "linux"},
            },
            {
                "mediaType": OCI_MANIFEST,
                "digest": attestation,
                "size": len(data),
                "annotations": {
                    "vnd.docker.reference.digest": image.digest,
                    "vnd.docker.reference.type": "attestation-manifest",
                },
                "platform": {"architecture": "unknown", "os": "unknown"},
            },
        ],
    }
    body = canonical_json(index)
    digest = client_for(reg).put_manifest(repo, tag, body, OCI_INDEX)
    return BuildKitIndex(digest, image, attestation)


def push_referrer(
    reg: RunningRegistry,
    repo: str,
    subject: PushedImage,
    *,
    artifact_type: str,
    blob: bytes,
    media_type: str,
    annotations: dict[str, str] | None = None,
    fallback_tag: bool = True,
) -> str:
    """An OCI 1.1 artifact whose `subject` is the image, and (as oras and cosign do on
    registries without the referrers API) the `sha256-<hex>` index listing it."""
    empty = Blob(b"{}", OCI_EMPTY)
    subject_descriptor = {
        "mediaType": subject.media_type,
        "digest": subject.digest,
        "size": len(subject.manifest_bytes),
    }
    digest, data = push_manifest(
        reg,
        repo,
        None,
        [(Blob(blob, media_type), annotations or {})],
        config=empty,
        extra={"artifactType": artifact_type, "subject": subject_descriptor},
    )
    if fallback_tag:
        index = {
            "schemaVersion": 2,
            "mediaType": OCI_INDEX,
            "manifests": [
                {
                    "mediaType": OCI_MANIFEST,
                    "digest": digest,
                    "size": len(data),
                    "artifactType": artifact_type,
                }
            ],
        }
        client_for(reg).put_manifest(
            repo, helper_tag(subject.digest, ""), canonical_json(index), OCI_INDEX
        )
    return digest
