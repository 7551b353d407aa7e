"""An artifact's manifest and blobs, read into pieces: signatures, SBOMs, provenance and
other attestations. A manifest digest covers its layers' digests and annotations, so what is
read is cached forever under it.

What the blobs hold is hostile: a blob too big, missing, not matching its digest or not
parsing becomes the piece's `problem`, a sentence the page shows (and that is cached: it
will not change). A registry that fails meanwhile (down, slow) raises, and nothing is kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from django.conf import settings
from django.template.defaultfilters import filesizeformat

from registries.client import errors
from registries.client.models import Descriptor, ImageManifest
from registries.models import Registry
from registries.services import manifest_by_digest
from registries.services.cache import get_or_compute, make_key
from registries.services.clients import client_for
from registries.supplychain.cosign import SIMPLE_SIGNING
from registries.supplychain.documents import Unreadable
from registries.supplychain.provenance import Provenance, read_provenance
from registries.supplychain.sbom import SBOM_MEDIA_TYPES, Sbom, read_sbom, sbom_from_layer
from registries.supplychain.statements import (
    DSSE_MEDIA_TYPE,
    INTOTO_MEDIA_TYPE,
    PREDICATE_ANNOTATIONS,
    Envelope,
    predicate_kind,
    statement_from_layer,
)

READER_VERSION = 1  # part of the cache key: bump when what is read changes shape
LAYERS_MAX = 20  # read per artifact
MAX_BYTES = "REGFRONT_MAX_ATTESTATION_BYTES"
# Signatures regfront recognises but cannot check (no key-based simple signing inside).
UNCHECKED_SIGNATURES = {
    "application/vnd.cncf.notary.signature": "A Notary Project signature: not verified here.",
    "application/vnd.dev.sigstore.bundle.v0.3+json": "A Sigstore bundle: not verified here.",
}
Kind = Literal["signature", "sbom", "provenance", "attestation", "other"]


@dataclass(frozen=True)
class Piece:
    """One layer of an artifact, as far as it could be read."""

    layer: Descriptor
    kind: Kind
    problem: str = ""
    predicate_type: str = ""
    payload: bytes = field(default=b"", repr=False)  # a simple-signing payload, as signed
    envelope: Envelope | None = None  # a signed statement's DSSE envelope
    subjects: tuple[str, ...] = ()  # the digests a statement is about
    sbom: Sbom | None = None
    provenance: Provenance | None = None


@dataclass(frozen=True)
class Artifact:
    digest: str
    media_type: str
    artifact_type: str
    pieces: tuple[Piece, ...]
    problem: str = ""  # the manifest itself is unusable
    more: int = 0  # layers past LAYERS_MAX, not read


def _blob(registry: Registry, repository: str, layer: Descriptor) -> bytes:
    """The layer's bytes, or Unreadable when they are too big, absent or not as named."""
    cap = getattr(settings, MAX_BYTES)
    too_big = (
        f"It is larger than regfront reads ({filesizeformat(cap)}, {MAX_BYTES}): "
        f"{filesizeformat(layer.size)}."
    )
    if layer.size > cap:
        raise Unreadable(too_big)
    try:
        return client_for(registry).blob(repository, layer.digest, max_bytes=cap)
    except errors.TooLarge as exc:
        raise Unreadable(too_big) from exc
    except errors.NotFound as exc:
        raise Unreadable("The registry does not have this blob.") from exc
    except errors.DigestMismatch as exc:
        raise Unreadable(exc.user_message) from exc


def _announced(layer: Descriptor) -> str:
    """The predicate type the layer's annotations name (before its blob is read)."""
    return next((layer.annotations[a] for a in PREDICATE_ANNOTATIONS if a in layer.annotations), "")


def _statement(raw: bytes, layer: Descriptor) -> Piece:
    statement, envelope = statement_from_layer(raw, layer.media_type)
    predicate_type = statement.predicate_type or _announced(layer)
    kind = predicate_kind(predicate_type)
    base = {
        "layer": layer,
        "kind": kind,
        "predicate_type": predicate_type,
        "envelope": envelope,
        "subjects": statement.subjects,
    }
    try:
        if kind == "sbom":
            return Piece(**base, sbom=read_sbom(statement.predicate))
        if kind == "provenance":
            return Piece(**base, provenance=read_provenance(predicate_type, statement.predicate))
    except Unreadable as exc:
        return Piece(**base, problem=str(exc))
    return Piece(**base)


def _kind_of(layer: Descriptor, artifact_type: str) -> Kind:
    media_type = layer.media_type
    if media_type == SIMPLE_SIGNING or media_type in UNCHECKED_SIGNATURES:
        return "signature"
    if artifact_type in UNCHECKED_SIGNATURES:
        return "signature"
    if media_type in (INTOTO_MEDIA_TYPE, DSSE_MEDIA_TYPE):
        return "attestation"  # which one, its predicate type says once read
    if media_type in SBOM_MEDIA_TYPES:
        return "sbom"
    return "other"


def _piece(registry: Registry, repository: str, layer: Descriptor, artifact_type: str) -> Piece:
    kind = _kind_of(layer, artifact_type)
    if kind == "other":
        return Piece(layer, "other")
    if kind == "signature" and layer.media_type != SIMPLE_SIGNING:
        message = UNCHECKED_SIGNATURES.get(layer.media_type) or UNCHECKED_SIGNATURES[artifact_type]
        return Piece(layer, "signature", problem=message)
    announced = _announced(layer)
    try:
        raw = _blob(registry, repository, layer)
        if kind == "signature":
            return Piece(layer, "signature", payload=raw)
        if kind == "sbom":
            return Piece(layer, "sbom", sbom=sbom_from_layer(raw, layer.media_type))
        return _statement(raw, layer)
    except Unreadable as exc:
        # An unreadable statement is still listed as what its annotation says it is.
        shown = predicate_kind(announced) if kind == "attestation" and announced else kind
        return Piece(layer, shown, problem=str(exc), predicate_type=announced)


def _read(registry: Registry, repository: str, digest: str) -> Artifact:
    try:
        fetched = manifest_by_digest(registry=registry, repository=repository, digest=digest)
    except errors.NotFound:
        return Artifact(digest, "", "", (), problem="The registry does not have this manifest.")
    except errors.BadResponse as exc:  # malformed, too large or not matching its digest
        return Artifact(digest, "", "", (), problem=exc.user_message)
    parsed = fetched.parsed
    if not isinstance(parsed, ImageManifest):
        return Artifact(
            digest, fetched.media_type, "", (), problem="This is not an artifact manifest."
        )
    artifact_type = parsed.artifact_type or parsed.config.media_type
    layers = parsed.layers[:LAYERS_MAX]
    return Artifact(
        digest=digest,
        media_type=fetched.media_type,
        artifact_type=artifact_type,
        pieces=tuple(_piece(registry, repository, layer, artifact_type) for layer in layers),
        more=max(len(parsed.layers) - LAYERS_MAX, 0),
    )


def artifact_read(*, registry: Registry, repository: str, digest: str) -> Artifact:
    """The artifact's pieces; cached forever under its (content-addressed) digest."""
    return get_or_compute(
        # The size cap is part of the key: a blob refused as too big is read once it is raised.
        make_key(
            "supplychain",
            READER_VERSION,
            getattr(settings, MAX_BYTES),
            registry.pk,
            repository,
            digest,
        ),
        lambda: _read(registry, repository, digest),
    )
