"""The supply-chain tests' registry content: images signed, attested and given SBOMs in each
of the places pushers put them (tests/supplychain/build.py)."""

import json

from tests.supplychain import documents as docs
from tests.supplychain.build import (
    SIGNATURE,
    SLSA_02,
    SLSA_1,
    SPDX_PREDICATE,
    KeyPair,
    envelope,
    push_attestations,
    push_buildkit_index,
    push_referrer,
    push_sbom_tag,
    push_signature,
    simple_signing_payload,
    statement,
)
from tests.support.images import push_image

APP = "chain/app"
KEY = KeyPair.generate()
OTHER_DIGEST = "sha256:" + "cd" * 32
MANY = {"spdxVersion": "SPDX-2.3", "packages": [{"name": f"pkg-{i:03d}"} for i in range(150)]}


def _signed(reg, tag: str, *, payload_for: str | None = None, tamper: bool = False, **notes):
    image = push_image(reg, APP, tag)
    payload = simple_signing_payload(payload_for or image.digest)
    signature = (notes.pop("key", None) or KEY).sign(payload)
    if tamper:
        payload = payload.replace(b"127.0.0.1/app", b"127.0.0.1/bad")
    push_signature(reg, APP, image.digest, [(payload, {SIGNATURE: signature, **notes})])
    return image


def push_dataset(reg) -> None:
    """Everything the tests read, pushed once per module; kept on `reg`."""
    images = {
        "signed": _signed(reg, "signed"),
        "tampered": _signed(reg, "tampered", tamper=True),
        "elsewhere": _signed(reg, "elsewhere", payload_for=OTHER_DIGEST),
        "keyless": _signed(
            reg,
            "keyless",
            key=KeyPair.generate(),
            **{"dev.sigstore.cosign/certificate": "-----BEGIN CERTIFICATE-----"},
        ),
        "unsigned": push_image(reg, APP, "unsigned"),
        "attested": push_image(reg, APP, "attested"),
        "paged": push_image(reg, APP, "paged"),
        "huge": push_image(reg, APP, "huge"),
        "malformed": push_image(reg, APP, "malformed"),
    }
    attested = images["attested"].digest
    provenance = statement(SLSA_1, docs.SLSA_V1, attested)
    push_attestations(reg, APP, attested, [(envelope(provenance, KEY), SLSA_1)])
    push_sbom_tag(
        reg, APP, attested, json.dumps(docs.CYCLONEDX).encode(), "application/vnd.cyclonedx+json"
    )
    push_sbom_tag(reg, APP, images["paged"].digest, json.dumps(MANY).encode(), "text/spdx+json")
    huge = json.dumps(MANY | {"padding": "x" * 20_000}).encode()
    push_sbom_tag(reg, APP, images["huge"].digest, huge, "text/spdx+json")
    push_sbom_tag(
        reg,
        APP,
        images["malformed"].digest,
        b'{"spdxVersion": "SPDX-2.3", "packages": [',
        "text/spdx+json",
    )
    reg.images = images
    reg.buildkit = push_buildkit_index(
        reg,
        "chain/buildkit",
        "v1",
        [statement(SPDX_PREDICATE, docs.SPDX, "x"), statement(SLSA_02, docs.SLSA_V02, "x")],
    )
    referred = push_image(reg, "chain/referred", "v1")
    reg.referrer = push_referrer(
        reg, "chain/referred", referred, artifact_type="application/spdx+json",
        blob=json.dumps(docs.SPDX).encode(), media_type="application/spdx+json",
    )  # fmt: skip
