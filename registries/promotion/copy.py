"""Copying an image between repositories or registries, exactly: the target gets the same
manifest bytes, so the same digests, including every platform image of an index.

Order matters to the target registry, which refuses a manifest naming content it lacks:
blobs first, then platform manifests (by digest), then the index or image under its tag,
then signatures and other referrers. Blobs the target has are skipped (one HEAD each);
within one registry they are mounted from the source repository; between registries they
stream through, one chunk in memory, their digest checked as they pass. Whatever is done
stays done, so a job that failed or whose worker died resumes where it stopped.
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from registries.audit import Action, Outcome, audit_record
from registries.client import errors
from registries.client.api import RegistryClient
from registries.client.models import Descriptor, FetchedManifest, ImageIndex, ImageManifest
from registries.events.notify import notify_promotion
from registries.history.models import TagChange
from registries.history.services import history_record
from registries.inventory.services import inventory_enqueue_repository
from registries.models import Registry
from registries.promotion.models import CopyJob, PromotionRoute
from registries.services.cache import repository_touch
from registries.services.clients import client_for
from registries.services.manifests import tag_digest
from registries.supplychain.folding import helper_tags_of

State = CopyJob.State


@dataclass
class Manifests:
    """What to put on the target, in order, and the blobs they need."""

    children: list[FetchedManifest] = field(default_factory=list)  # an index's images
    top: FetchedManifest | None = None
    referrers: list[tuple[str, FetchedManifest]] = field(default_factory=list)  # (tag, ...)
    blobs: dict[str, int] = field(default_factory=dict)  # digest -> size

    def add_blobs(self, fetched: FetchedManifest) -> None:
        parsed = fetched.parsed
        if isinstance(parsed, ImageManifest):
            for blob in (parsed.config, *parsed.layers):
                if blob is not None:
                    self.blobs.setdefault(blob.digest, blob.size)


def _fetch(client: RegistryClient, repository: str, digest: str) -> FetchedManifest:
    fetched = client.manifest(repository, digest)
    if fetched is None:  # cannot happen: no If-None-Match was sent
        raise errors.BadResponse("The registry answered 304 to a plain GET.")
    return fetched


def _image_and_children(client: RegistryClient, repository: str, digest: str,
                        into: Manifests) -> FetchedManifest:  # fmt: skip
    fetched = _fetch(client, repository, digest)
    if isinstance(fetched.parsed, ImageIndex):
        for child in fetched.parsed.manifests:
            image = _fetch(client, repository, child.digest)
            into.children.append(image)
            into.add_blobs(image)
    into.add_blobs(fetched)
    return fetched


def _referrers(client: RegistryClient, repository: str, digest: str) -> list[tuple[str, str]]:
    """(tag or "", digest) of what refers to the image: cosign's helper tags and the
    referrers API's manifests."""
    found: dict[str, str] = {}
    for tag in helper_tags_of(digest).values():  # a HEAD each, not the whole tag list
        try:
            found[client.manifest_digest(repository, tag)] = tag
        except errors.NotFound:
            continue
    listed: list[Descriptor] = client.referrers(repository, digest) or []
    for descriptor in listed:
        found.setdefault(descriptor.digest, "")
    return [(tag, referrer) for referrer, tag in found.items()]


def copy_plan(job: CopyJob, source: RegistryClient) -> Manifests:
    plan = Manifests()
    repository = job.source_repository
    plan.top = _image_and_children(source, repository, job.digest, plan)
    if job.with_referrers:
        for tag, digest in _referrers(source, repository, job.digest):
            referrer = Manifests()
            fetched = _image_and_children(source, repository, digest, referrer)
            plan.children += referrer.children
            plan.referrers.append((tag, fetched))
            for blob, size in referrer.blobs.items():
                plan.blobs.setdefault(blob, size)
    return plan


def _progress(job: CopyJob, **added: int) -> None:
    counts = {name: F(name) + n for name, n in added.items()}
    CopyJob.objects.filter(pk=job.pk).update(updated_at=timezone.now(), **counts)


def _copy_blob(job: CopyJob, source: RegistryClient, target: RegistryClient, digest: str,
               size: int) -> None:  # fmt: skip
    repository = job.target_repository
    if target.blob_exists(repository, digest):
        return _progress(job, blobs_done=1, blobs_skipped=1, bytes_done=size)
    location = None
    if job.source_id == job.target_id:
        location = target.mount_blob(repository, digest, job.source_repository)
        if location is None:
            return _progress(job, blobs_done=1, blobs_mounted=1, bytes_done=size)
    reader = source.blob_stream(
        job.source_repository, digest, max_bytes=settings.REGFRONT_MAX_COPY_BLOB_BYTES,
        seconds=settings.REGFRONT_COPY_BLOB_SECONDS,
    )  # fmt: skip
    try:
        target.upload_blob(repository, digest, reader, location=location,
                           on_chunk=lambda sent: _progress(job, bytes_done=sent))  # fmt: skip
    finally:
        reader.close()
    _progress(job, blobs_done=1)


def _put(target: RegistryClient, job: CopyJob, reference: str, fetched: FetchedManifest) -> None:
    target.put_manifest(job.target_repository, reference, fetched.raw, fetched.media_type)


def _claim(job: CopyJob) -> bool:
    """One worker copies a job at a time: queued (or resumed) jobs only."""
    return CopyJob.objects.filter(pk=job.pk, state=State.QUEUED).update(
        state=State.RUNNING, started=timezone.now(), updated_at=timezone.now(), message="",
        blobs_done=0, blobs_skipped=0,
        blobs_mounted=0, bytes_done=0,
    ) == 1  # fmt: skip


def copy_execute(*, job_id: int) -> CopyJob:
    job = CopyJob.objects.select_related("source", "target", "requested_by").get(pk=job_id)
    if not _claim(job):
        return job  # done, or another worker has it
    source, target = client_for(job.source), client_for(job.target)
    try:
        plan = copy_plan(job, source)
        CopyJob.objects.filter(pk=job.pk).update(
            blobs_total=len(plan.blobs), bytes_total=sum(plan.blobs.values())
        )
        for digest, size in plan.blobs.items():
            _copy_blob(job, source, target, digest, size)
        for child in plan.children:
            _put(target, job, child.digest, child)
        _put(target, job, job.target_tag or job.digest, plan.top)
        for tag, referrer in plan.referrers:
            _put(target, job, tag or referrer.digest, referrer)
    except errors.RegistryError as exc:
        where = f"{job.source.name} → {job.target.name}"
        return _finish(job, State.FAILED, f"{exc.user_message} ({where}; resume to go on)")
    finally:
        repository_touch(job.target_id, job.target_repository)
    return _finish(job, State.DONE, "")


def _finish(job: CopyJob, state: str, message: str) -> CopyJob:
    CopyJob.objects.filter(pk=job.pk).update(state=state, message=message[:2000],
                                             finished=timezone.now())  # fmt: skip
    job.refresh_from_db()
    record = {"user": job.requested_by, "action": Action.IMAGE_COPY,
              "registry_name": job.target.name, "repository": job.target_repository,
              "digest": job.digest, "tags": [job.target_tag] if job.target_tag else []}  # fmt: skip
    where = f"from {job.source.name}/{job.source_repository}"
    if state == State.FAILED:
        audit_record(**record, outcome=Outcome.FAILED, message=f"{where}: {message}")
        return job
    audit_record(**record, message=where)
    if job.target_tag:
        actor = job.requested_by.get_username() if job.requested_by else ""
        history_record(
            registry=job.target, changes=[(job.target_repository, job.target_tag, job.digest)],
            at=timezone.now(), source=TagChange.Source.PORTAL, actor=actor,
        )  # fmt: skip
    inventory_enqueue_repository(registry=job.target, repository=job.target_repository)
    if job.route_id:
        _notify_promotion(job)
    return job


def _notify_promotion(job: CopyJob) -> None:
    notify_promotion(
        registry=job.target, repository=job.target_repository, tag=job.target_tag,
        digest=job.digest, source_registry=job.source.name,
        source_repository=job.source_repository, source_tag=job.source_tag,
        actor=job.requested_by.get_username() if job.requested_by else "",
    )  # fmt: skip


def copy_create(
    *, source: Registry, repository: str, tag: str | None, digest: str | None,
    target: Registry, target_repository: str, target_tag: str, with_referrers: bool, user,
    route: PromotionRoute | None = None,
) -> CopyJob:  # fmt: skip
    """A queued copy of what the tag points at now (or the digest): the job copies exactly
    that digest, even if the tag moves before the worker gets to it."""
    if not digest:
        digest = tag_digest(registry=source, repository=repository, tag=tag or "", refresh=True)
    authenticated = user is not None and user.is_authenticated
    return CopyJob.objects.create(
        source=source, source_repository=repository, source_tag=tag or "", digest=digest,
        target=target, target_repository=target_repository, target_tag=target_tag,
        with_referrers=with_referrers, route=route,
        requested_by=user if authenticated else None,
    )  # fmt: skip
