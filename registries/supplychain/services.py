"""An image's supply chain for the pages and the API: what was found where, read, and each
signature checked against the registry's keys. Typed keyword-only services (HackSoft style).

Reading is cached forever by artifact digest (registries/supplychain/reading.py); checking a
signature costs microseconds, so it runs on every request against the keys as they are now.
"""

from __future__ import annotations

from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Literal

from django.conf import settings

from registries.client import errors
from registries.models import Registry
from registries.services import ManifestDetail
from registries.services.clients import fan_out
from registries.supplychain.cosign import (
    SIMPLE_SIGNING,
    PublicKey,
    Verification,
    is_keyless,
    load_public_key,
    verify_envelope,
    verify_simple_signing,
)
from registries.supplychain.discovery import Found, discover
from registries.supplychain.models import SigningKey
from registries.supplychain.reading import Artifact, Piece, artifact_read

BadgeState = Literal["verified", "failed", "signed", "unsigned", "unknown"]
BADGE_LABELS: dict[str, str] = {
    "verified": "signature verified",
    "failed": "signature does not verify",
    "signed": "signed, not verified",
    "unsigned": "unsigned",
    "unknown": "signatures not checked",
}


@dataclass(frozen=True)
class Row:
    """One piece with where it was found and, when it is signed, what its signature is."""

    found: Found
    piece: Piece
    verification: Verification | None = None


@dataclass(frozen=True)
class Problem:
    found: Found
    message: str


@dataclass(frozen=True)
class Badge:
    state: BadgeState
    message: str = ""

    @property
    def label(self) -> str:
        return BADGE_LABELS[self.state]


@dataclass
class SupplyChain:
    digest: str
    signatures: list[Row] = field(default_factory=list)
    sboms: list[Row] = field(default_factory=list)
    provenance: list[Row] = field(default_factory=list)
    attestations: list[Row] = field(default_factory=list)  # other predicates and artifacts
    problems: list[Problem] = field(default_factory=list)  # artifacts that cannot be read
    more: int = 0  # artifacts found past the reading limit

    @property
    def badge(self) -> Badge:
        return badge_of(self.signatures)

    @property
    def empty(self) -> bool:
        return not (
            self.signatures or self.sboms or self.provenance or self.attestations or self.problems
        )


def badge_of(signatures: list[Row]) -> Badge:
    """Verified when any signature verifies (as `cosign verify` passes), else the worst."""
    checked = [row.verification for row in signatures if row.verification is not None]
    for state in ("verified", "failed"):
        hit = next((v for v in checked if v.state == state), None)
        if hit is not None:
            return Badge(hit.state, hit.message)
    if checked:
        return Badge("signed", checked[0].message)
    return Badge("unsigned", "No signature was found for this digest.")


def registry_keys(*, registry: Registry) -> list[PublicKey]:
    """The registry's keys that parse (each was validated when saved)."""
    keys = []
    for row in SigningKey.objects.filter(registry=registry).only("name", "public_key"):
        try:
            keys.append(PublicKey(row.name, load_public_key(row.public_key)))
        except ValueError:
            continue
    return keys


def _verify(found: Found, piece: Piece, keys: list[PublicKey]) -> Verification | None:
    annotations = piece.layer.annotations
    if piece.kind == "signature":
        if piece.problem:
            state = "failed" if piece.layer.media_type == SIMPLE_SIGNING else "unverified"
            return Verification(state, piece.problem)
        return verify_simple_signing(
            payload=piece.payload, annotations=annotations, image_digest=found.subject, keys=keys
        )
    if piece.envelope is not None and piece.envelope.signatures:
        return verify_envelope(
            payload_type=piece.envelope.payload_type,
            payload=piece.envelope.payload,
            signatures=piece.envelope.signatures,
            subjects=piece.subjects,
            image_digest=found.subject,
            keyless=is_keyless(annotations),
            keys=keys,
        )
    return None


def _read_all(registry: Registry, repository: str, found: list[Found]) -> list[Artifact]:
    """Every artifact, concurrently within the registry's limit and the page's deadline."""
    futures = fan_out(
        registry,
        lambda f: artifact_read(registry=registry, repository=repository, digest=f.digest),
        found,
    )
    try:
        return [future.result(timeout=settings.REGFRONT_PAGE_DEADLINE) for future in futures]
    except FutureTimeout as exc:
        raise errors.Timeout("The registry did not send the image's artifacts in time.") from exc


def _assemble(digest: str, found: list[Found], artifacts: list[Artifact], keys) -> SupplyChain:
    chain = SupplyChain(digest=digest)
    lists = {
        "signature": chain.signatures,
        "sbom": chain.sboms,
        "provenance": chain.provenance,
        "attestation": chain.attestations,
        "other": chain.attestations,
    }
    for where, artifact in zip(found, artifacts, strict=True):
        if artifact.problem:
            chain.problems.append(Problem(where, artifact.problem))
        for piece in artifact.pieces:
            lists[piece.kind].append(Row(where, piece, _verify(where, piece, keys)))
    return chain


def supply_chain(*, registry: Registry, repository: str, detail: ManifestDetail) -> SupplyChain:
    """Everything found about the image (`detail` from services.manifest_detail)."""
    discovery = discover(registry=registry, repository=repository, detail=detail)
    artifacts = _read_all(registry, repository, discovery.found)
    keys = registry_keys(registry=registry)
    chain = _assemble(detail.digest, discovery.found, artifacts, keys)
    chain.more = discovery.more
    return chain


def supply_chain_badge(*, registry: Registry, repository: str, detail: ManifestDetail) -> Badge:
    """The tag page's badge: signatures only. The referrers come with `detail`; the `.sig`
    tag is looked up in the index or the cached tag list; what is read is cached by digest.
    A registry failing here leaves the page up, with the badge saying it could not check."""
    try:
        discovery = discover(
            registry=registry, repository=repository, detail=detail, signatures_only=True
        )
        if not discovery.found:
            return badge_of([])
        artifacts = _read_all(registry, repository, discovery.found)
    except errors.RegistryError as exc:
        return Badge("unknown", exc.user_message)
    chain = _assemble(detail.digest, discovery.found, artifacts, registry_keys(registry=registry))
    return chain.badge
