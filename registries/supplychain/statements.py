"""in-toto statements, raw (BuildKit's attestation layers) or inside a DSSE envelope
(cosign's `.att` layers). Spec: https://github.com/in-toto/attestation/blob/main/spec/v1/statement.md
DSSE: https://github.com/secure-systems-lab/dsse/blob/master/envelope.md"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from typing import Any, Literal

from registries.supplychain.documents import Unreadable, digest_text, items, load_json, obj, text

INTOTO_MEDIA_TYPE = "application/vnd.in-toto+json"
DSSE_MEDIA_TYPE = "application/vnd.dsse.envelope.v1+json"
# Where the predicate type is announced on a layer: BuildKit, then cosign.
PREDICATE_ANNOTATIONS = ("in-toto.io/predicate-type", "predicateType")
STATEMENT_TYPES = ("https://in-toto.io/Statement/",)
SUBJECTS_MAX = 1000

SPDX_PREDICATE = "https://spdx.dev/Document"
CYCLONEDX_PREDICATE = "https://cyclonedx.org/bom"
SLSA_PREDICATE = "https://slsa.dev/provenance/"


@dataclass(frozen=True)
class Envelope:
    payload_type: str
    payload: bytes = field(repr=False)
    signatures: tuple[str, ...]  # base64, as the envelope carries them


@dataclass(frozen=True)
class Statement:
    predicate_type: str
    subjects: tuple[str, ...]  # `sha256:<hex>` of each subject
    predicate: Any = field(repr=False)


def read_envelope(data: Any) -> Envelope:
    data = obj(data)
    payload_type = text(data.get("payloadType"))
    try:
        payload = base64.b64decode(text(data.get("payload"), limit=2**40), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise Unreadable("The DSSE envelope's payload is not base64.") from exc
    if not payload_type or not payload:
        raise Unreadable("The DSSE envelope has no payload.")
    signatures = tuple(text(obj(s).get("sig")) for s in items(data.get("signatures")))
    return Envelope(payload_type, payload, tuple(s for s in signatures if s))


def read_statement(data: Any) -> Statement:
    data = obj(data)
    kind = text(data.get("_type"))
    if not kind.startswith(STATEMENT_TYPES):
        raise Unreadable("The attestation is not an in-toto statement.")
    subjects = [digest_text(obj(s).get("digest")) for s in items(data.get("subject"))]
    predicate = data.get("predicate")
    if isinstance(predicate, str):  # some tools embed the document as a JSON string
        predicate = load_json(predicate.encode(), what="statement's predicate")
    return Statement(
        predicate_type=text(data.get("predicateType")),
        subjects=tuple(s for s in subjects[:SUBJECTS_MAX] if s),
        predicate=predicate,
    )


def statement_from_layer(raw: bytes, media_type: str) -> tuple[Statement, Envelope | None]:
    """The statement a layer holds, and its envelope when it came in one."""
    data = load_json(raw, what="attestation")
    if media_type == DSSE_MEDIA_TYPE or (isinstance(data, dict) and "payloadType" in data):
        envelope = read_envelope(data)
        return read_statement(load_json(envelope.payload, what="attestation's payload")), envelope
    return read_statement(data), None


def predicate_kind(predicate_type: str) -> Literal["sbom", "provenance", "attestation"]:
    """`sbom`, `provenance` or `attestation` (anything else: vulnerability scans, tests…)."""
    if predicate_type.startswith((SPDX_PREDICATE, CYCLONEDX_PREDICATE)):
        return "sbom"
    if predicate_type.startswith(SLSA_PREDICATE):
        return "provenance"
    return "attestation"
