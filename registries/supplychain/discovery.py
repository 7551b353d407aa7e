"""Where an image's signatures, SBOMs and provenance are: the three places pushers put them.

- OCI referrers: manifests whose `subject` is the image, listed by the referrers API or,
  where the registry has none (distribution 2.8), by the `sha256-<hex>` index tag; the tag
  page already asks for them (services.manifest_referrers), so they come with its detail.
- BuildKit's attestation manifests inside an index (platform unknown/unknown, annotation
  `vnd.docker.reference.type: attestation-manifest`, `vnd.docker.reference.digest` naming
  the platform image): no request at all.
  https://docs.docker.com/build/metadata/attestations/attestation-storage/
- cosign's tag scheme, `sha256-<hex>.sig`, `.att` and `.sbom`: from the index when it has
  the repository (one query), else from the tag list (cached; the tag page lists it for its
  sibling tags), a HEAD only for the helper tags it names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from registries.client import errors
from registries.client.models import ImageIndex
from registries.client.pagination import ListingTooLong
from registries.inventory.models import IndexedTag
from registries.inventory.reads import indexed_repository
from registries.models import Registry
from registries.services import ManifestDetail, tag_digest, tag_list
from registries.services.cache import get_or_compute, make_key, repository_generation
from registries.supplychain.folding import helper_tags_of

Source = Literal["referrer", "index", "tag"]
SOURCE_LABELS: dict[str, str] = {
    "referrer": "OCI referrer",
    "index": "index attestation",
    "tag": "cosign tag",
}
REFERENCE_DIGEST = "vnd.docker.reference.digest"
ARTIFACTS_MAX = 50  # read per image; a registry listing thousands of referrers is cut here
SIGNATURE_ARTIFACT_TYPES = frozenset(
    {
        "application/vnd.dev.cosign.simplesigning.v1+json",
        "application/vnd.dev.sigstore.bundle.v0.3+json",
        "application/vnd.dev.sigstore.bundle+json;version=0.3",
        "application/vnd.cncf.notary.signature",
    }
)


@dataclass(frozen=True)
class Found:
    digest: str  # the artifact's manifest
    source: Source
    subject: str  # the image it is about
    via: str = ""  # the helper tag it was found by
    platform: str = ""  # an index attestation's platform image
    artifact_type: str = ""

    @property
    def source_label(self) -> str:
        return SOURCE_LABELS[self.source]


@dataclass(frozen=True)
class Discovery:
    found: list[Found]
    more: int  # found past ARTIFACTS_MAX, not read


def _referrers(detail: ManifestDetail) -> list[Found]:
    return [
        Found(d.digest, "referrer", detail.digest, artifact_type=d.artifact_type or "")
        for d in detail.referrers or []
    ]


def _index_attestations(detail: ManifestDetail) -> list[Found]:
    parsed = detail.manifest.parsed
    if not isinstance(parsed, ImageIndex):
        return []
    platforms = {d.digest: str(d.platform) for d in parsed.manifests if d.platform}
    found = []
    for descriptor in parsed.manifests:
        if not descriptor.is_attestation:
            continue
        subject = descriptor.annotations.get(REFERENCE_DIGEST, "")
        found.append(
            Found(
                descriptor.digest,
                "index",
                subject,
                platform=platforms.get(subject, ""),
                artifact_type=descriptor.artifact_type or "",
            )
        )
    return found


def _probe(registry: Registry, repository: str, tag: str) -> str | None:
    """A helper tag's digest, None when it does not exist; the answer is cached either way."""

    def head() -> str | None:
        try:
            return tag_digest(registry=registry, repository=repository, tag=tag)
        except errors.NotFound:
            return None

    generation = repository_generation(registry.pk, repository)
    return get_or_compute(
        make_key("supplychain-tags", registry.pk, repository, generation, tag), head
    )


def helper_tag_digests(
    *, registry: Registry, repository: str, digest: str, kinds: tuple[str, ...]
) -> dict[str, tuple[str, str]]:
    """kind → (helper tag, the digest it points at), for the helper tags that exist."""
    names = {kind: tag for kind, tag in helper_tags_of(digest).items() if kind in kinds}
    if not names:
        return {}
    indexed = indexed_repository(registry=registry, name=repository)
    if indexed is not None:
        rows = IndexedTag.objects.filter(repository=indexed, name__in=names.values())
        present = dict(rows.values_list("name", "digest"))
        return {kind: (tag, present[tag]) for kind, tag in names.items() if tag in present}
    try:
        listed: set[str] | None = set(tag_list(registry=registry, repository=repository))
    except ListingTooLong:
        listed = None  # too many tags to list: ask for each helper tag instead
    except errors.NotFound:
        return {}
    found = {}
    for kind, tag in names.items():
        if listed is not None and tag not in listed:
            continue
        target = _probe(registry, repository, tag)
        if target is not None:
            found[kind] = (tag, target)
    return found


def _tag_scheme(
    registry: Registry, repository: str, detail: ManifestDetail, kinds: tuple[str, ...]
) -> list[Found]:
    found = helper_tag_digests(
        registry=registry, repository=repository, digest=detail.digest, kinds=kinds
    )
    return [Found(digest, "tag", detail.digest, via=tag) for tag, digest in found.values()]


def discover(
    *, registry: Registry, repository: str, detail: ManifestDetail, signatures_only: bool = False
) -> Discovery:
    """The artifacts about this image, each once (the first place found wins).

    `signatures_only`: what the tag page's badge needs — the `.sig` tag and referrers that
    announce a signature type (or no type at all) — so it reads no SBOM.
    """
    if signatures_only:
        referrers = [
            f
            for f in _referrers(detail)
            if not f.artifact_type or f.artifact_type in SIGNATURE_ARTIFACT_TYPES
        ]
        candidates = referrers + _tag_scheme(registry, repository, detail, ("signature",))
    else:
        candidates = (
            _referrers(detail)
            + _index_attestations(detail)
            + _tag_scheme(registry, repository, detail, ("signature", "attestation", "SBOM"))
        )
    seen: set[str] = set()
    unique = []
    for found in candidates:
        if found.digest not in seen:
            seen.add(found.digest)
            unique.append(found)
    return Discovery(unique[:ARTIFACTS_MAX], max(len(unique) - ARTIFACTS_MAX, 0))
