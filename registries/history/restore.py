"""Putting a manifest under a tag: restore (a digest the tag pointed at before) and retag
(another tag for an image). Both PUT the exact bytes the digest names, with their media
type, so the tag points at that very digest again; the registry must still have the
manifest's blobs (and an index's platform manifests), which garbage collection may have
taken: that is checked first and said plainly."""

from dataclasses import dataclass

from django.utils import timezone

from registries.audit import Action, Outcome, audit_record
from registries.client import errors
from registries.client.api import RegistryClient
from registries.client.models import FetchedManifest, ImageIndex, ImageManifest
from registries.history.models import TagChange
from registries.history.services import history_record
from registries.inventory.services import inventory_enqueue_repository
from registries.models import Registry
from registries.services.cache import repository_touch
from registries.services.clients import client_for

GONE = (
    "The registry no longer has {what} of {digest}: garbage collection has probably taken "
    "it, so it cannot be put back."
)


@dataclass(frozen=True)
class Availability:
    manifest: FetchedManifest | None
    problem: str  # "" when the manifest can be put back as it was

    @property
    def ok(self) -> bool:
        return not self.problem


def _missing(client: RegistryClient, repository: str, fetched: FetchedManifest) -> str:
    """What of the manifest's content the registry lacks ("" for nothing)."""
    parsed = fetched.parsed
    if isinstance(parsed, ImageIndex):
        for child in parsed.manifests:
            try:
                client.manifest_digest(repository, child.digest)
            except errors.NotFound:
                return f"the platform manifest {child.digest}"
        return ""
    if isinstance(parsed, ImageManifest):
        for blob in (parsed.config, *parsed.layers):
            if blob is not None and not client.blob_exists(repository, blob.digest):
                return f"the blob {blob.digest}"
    return ""


def availability(*, registry: Registry, repository: str, digest: str) -> Availability:
    """Whether the registry still has the manifest and everything it names, asked now."""
    client = client_for(registry)
    try:
        fetched = client.manifest(repository, digest)
    except errors.NotFound:
        return Availability(None, GONE.format(what="the manifest", digest=digest))
    if fetched is None:  # cannot happen: no If-None-Match was sent
        raise errors.BadResponse("The registry answered 304 to a plain GET.")
    lacking = _missing(client, repository, fetched)
    problem = GONE.format(what=lacking, digest=digest) if lacking else ""
    return Availability(fetched, problem)


def tag_put(
    *, registry: Registry, repository: str, tag: str, digest: str, user, action: str
) -> Availability:
    """Point `tag` at `digest` by a PUT of its exact manifest; audited, recorded in the
    tag's history. Returns the check when the manifest cannot be put back."""
    found = availability(registry=registry, repository=repository, digest=digest)
    record = {"user": user, "action": action, "registry_name": registry.name,
              "repository": repository, "digest": digest, "tags": [tag]}  # fmt: skip
    if not found.ok:
        audit_record(**record, outcome=Outcome.FAILED, message=found.problem)
        return found
    manifest = found.manifest
    try:
        client_for(registry).put_manifest(repository, tag, manifest.raw, manifest.media_type)
    except errors.RegistryError as exc:
        audit_record(**record, outcome=Outcome.FAILED, message=exc.user_message)
        raise
    finally:
        repository_touch(registry.pk, repository)
    audit_record(**record)
    history_record(
        registry=registry, changes=[(repository, tag, digest)], at=timezone.now(),
        source=TagChange.Source.PORTAL, actor=user.get_username(),
    )  # fmt: skip
    inventory_enqueue_repository(registry=registry, repository=repository)
    return found


__all__ = ["GONE", "Action", "Availability", "availability", "tag_put"]
