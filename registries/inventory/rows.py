"""Manifests (and their configs) as IndexedManifest rows. No database access: this runs on
the fan-out's pool threads."""

from django.utils import timezone

from registries.client.api import RegistryClient
from registries.client.models import (
    Descriptor,
    FetchedManifest,
    ImageIndex,
    ImageManifest,
    ParsedManifest,
    Schema1Manifest,
)
from registries.inventory.models import IndexedManifest
from registries.models import Registry

Kind = IndexedManifest.Kind
# Signatures: cosign's simple signing payload, Notary v2's artifact type.
SIGNATURE_TYPES = frozenset(
    {"application/vnd.dev.cosign.simplesigning.v1+json", "application/vnd.cncf.notary.signature"}
)


def _kind(parsed: ParsedManifest) -> str:
    """The client's kind, with signatures told apart (attestations are known only from the
    index that lists them). cosign's classic signatures (the `sha256-<hex>.sig` tags) carry
    an image config, so their layers decide, not the client's image/artifact split."""
    if not isinstance(parsed, ImageManifest):
        return parsed.kind
    types = {parsed.artifact_type, parsed.config.media_type} | {d.media_type for d in parsed.layers}
    return Kind.SIGNATURE if types & SIGNATURE_TYPES else parsed.kind


def manifest_row(
    client: RegistryClient,
    *,
    registry: Registry,
    repository: str,
    digest: str,
    fetched: FetchedManifest | None,
) -> tuple[IndexedManifest, list[Descriptor]]:
    """One manifest (fetched by digest unless already `fetched`, e.g. by tag) and its config
    when it is an image, as a row; plus an index's children."""
    if fetched is None:
        fetched = client.manifest(repository, digest)
        assert fetched is not None  # no If-None-Match was sent
    parsed = fetched.parsed
    row = IndexedManifest(
        registry=registry,
        digest=fetched.digest,
        media_type=fetched.media_type[:255],
        kind=_kind(parsed),
        fetched_at=timezone.now(),
    )
    children: list[Descriptor] = []
    if isinstance(parsed, Schema1Manifest):
        row.platforms = [parsed.platform] if parsed.architecture else []
        row.created = parsed.created
        row.layers = [{"digest": d, "size": None, "media_type": ""} for d in parsed.fs_layers]
        return row, children
    row.annotations = parsed.annotations
    row.artifact_type = (parsed.artifact_type or "")[:255]
    row.subject_digest = parsed.subject.digest if parsed.subject else ""
    if isinstance(parsed, ImageIndex):
        children = list(parsed.manifests)
        row.image_children = [d.digest for d in children if not d.is_attestation]
        row.platforms = sorted(
            {str(d.platform) for d in children if d.platform and not d.is_attestation}
        )
        return row, children
    row.config_digest = parsed.config.digest
    row.size = parsed.size
    row.layers = [
        {"digest": d.digest, "size": d.size, "media_type": d.media_type} for d in parsed.layers
    ]
    if parsed.is_image:
        config = client.config(repository, parsed.config)
        row.created = config.created
        row.labels = config.labels
        row.platforms = [config.platform] if config.platform else []
    return row, children
