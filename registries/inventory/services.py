"""Keeping the index in step with a registry. Typed keyword-only services (HackSoft style).

Tag lists and tag digests are read fresh from the registry every time (one HEAD per tag);
manifests and configs are content addressed, so each digest is fetched once and then only
read from the index. Each repository is written in its own transaction: an interrupted full
sync resumes where it stopped, and a failing registry leaves untouched what it did not reach.
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from registries.client import errors
from registries.client.api import RegistryClient
from registries.client.models import (
    Descriptor,
    ImageIndex,
    ImageManifest,
    ParsedManifest,
    Schema1Manifest,
)
from registries.client.reference import is_valid_tag
from registries.inventory.models import (
    IndexedManifest,
    IndexedRepository,
    IndexedTag,
    SyncRequest,
    SyncState,
)
from registries.models import Registry
from registries.services.catalog import catalog_names
from registries.services.clients import client_for, fan_out
from registries.services.listings import valid_names

Kind = IndexedManifest.Kind
# Signatures: cosign's simple signing payload, Notary v2's artifact type.
SIGNATURE_TYPES = frozenset(
    {"application/vnd.dev.cosign.simplesigning.v1+json", "application/vnd.cncf.notary.signature"}
)


@dataclass
class SyncReport:
    repositories: int = 0  # synced now
    skipped: int = 0  # already synced earlier in this (resumed) run
    removed_repositories: int = 0
    tags: int = 0
    removed_tags: int = 0
    manifests_fetched: int = 0
    duration: timedelta = timedelta(0)

    def add(self, other: "SyncReport") -> None:
        self.repositories += other.repositories
        self.removed_repositories += other.removed_repositories
        self.tags += other.tags
        self.removed_tags += other.removed_tags
        self.manifests_fetched += other.manifests_fetched


# -- manifests into rows --------------------------------------------------------------------


def _kind(parsed: ParsedManifest) -> str:
    """The client's kind, with signatures told apart (attestations are known only from the
    index that lists them). cosign's classic signatures (the `sha256-<hex>.sig` tags) carry
    an image config, so their layers decide, not the client's image/artifact split."""
    if not isinstance(parsed, ImageManifest):
        return parsed.kind
    types = {parsed.artifact_type, parsed.config.media_type} | {d.media_type for d in parsed.layers}
    return Kind.SIGNATURE if types & SIGNATURE_TYPES else parsed.kind


def _manifest_row(
    client: RegistryClient, *, registry: Registry, repository: str, digest: str
) -> tuple[IndexedManifest, list[Descriptor]]:
    """One manifest (and its config when it is an image) as a row, plus an index's children."""
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


def _fetch_missing(
    *, registry: Registry, repository: str, digests: Iterable[str]
) -> list[IndexedManifest]:
    """Rows for every digest the index lacks, an index's children included (two rounds, so
    no fan-out ever waits on another one's slots)."""
    client = client_for(registry)
    rows: list[IndexedManifest] = []
    wanted = set(digests)
    wanted -= set(
        IndexedManifest.objects.filter(registry=registry, digest__in=wanted).values_list(
            "digest", flat=True
        )
    )
    attestations: set[str] = set()
    for _round in range(2):
        if not wanted:
            break
        futures = fan_out(
            registry,
            lambda d: _manifest_row(client, registry=registry, repository=repository, digest=d),
            sorted(wanted),
        )
        children: dict[str, Descriptor] = {}
        for future in futures:
            row, kids = future.result()
            if row.digest in attestations:
                row.kind = Kind.ATTESTATION
            rows.append(row)
            children.update({d.digest: d for d in kids})
        attestations = {d for d, desc in children.items() if desc.is_attestation}
        known = {row.digest for row in rows}
        wanted = set(children) - known
        wanted -= set(
            IndexedManifest.objects.filter(registry=registry, digest__in=wanted).values_list(
                "digest", flat=True
            )
        )
    _index_totals(rows, registry=registry)
    return rows


def _index_totals(rows: list[IndexedManifest], *, registry: Registry) -> None:
    """An index's size and created time come from its image children (rows or indexed)."""
    wanted = {c for row in rows for c in getattr(row, "image_children", [])}
    children = {row.digest: row for row in rows if row.digest in wanted}
    children |= {
        row.digest: row
        for row in IndexedManifest.objects.filter(
            registry=registry, digest__in=wanted - set(children)
        ).only("digest", "size", "created")
    }
    for row in rows:
        kids = [children[c] for c in getattr(row, "image_children", []) if c in children]
        if kids:
            row.size = sum(kid.size or 0 for kid in kids)
            created = [kid.created for kid in kids if kid.created]
            row.created = max(created) if created else None


# -- repositories ---------------------------------------------------------------------------


def _tag_digests(*, registry: Registry, repository: str, tags: list[str]) -> dict[str, str]:
    """One HEAD per tag; a tag deleted between the listing and its HEAD is left out."""
    client = client_for(registry)
    futures = fan_out(registry, lambda tag: client.manifest_digest(repository, tag), tags)
    digests: dict[str, str] = {}
    for tag, future in zip(tags, futures, strict=True):
        try:
            digests[tag] = future.result()
        except errors.NotFound:
            continue
    return digests


def repository_sync(*, registry: Registry, repository: str) -> SyncReport:
    """Bring one repository's tags (and the manifests they point at) into the index; a
    repository the registry no longer has leaves the index."""
    report = SyncReport()
    clock = timezone.now()
    try:
        # Names no reference can hold are dropped, as for the pages (listing boundary).
        tags, _ = valid_names(client_for(registry).tags(repository), is_valid_tag)
    except errors.NotFound:
        tags = []
    digests = _tag_digests(registry=registry, repository=repository, tags=tags)
    rows = _fetch_missing(registry=registry, repository=repository, digests=digests.values())
    now = timezone.now()
    with transaction.atomic():
        IndexedManifest.objects.bulk_create(rows, ignore_conflicts=True)  # another worker won
        if not digests:
            _, by_model = IndexedRepository.objects.filter(
                registry=registry, name=repository
            ).delete()
            report.removed_repositories = by_model.get(IndexedRepository._meta.label, 0)
            return report
        repo, _ = IndexedRepository.objects.get_or_create(
            registry=registry,
            name=repository,
            defaults={"first_seen": now, "last_seen": now, "last_synced": now},
        )
        IndexedRepository.objects.filter(pk=repo.pk).update(last_seen=now, last_synced=now)
        known = dict(repo.tags.values_list("name", "digest"))
        gone = set(known) - set(digests)
        report.removed_tags, _ = repo.tags.filter(name__in=gone).delete()
        for name, digest in digests.items():
            if name in known and known[name] != digest:
                repo.tags.filter(name=name).update(digest=digest, last_seen=now)
        repo.tags.filter(name__in=set(digests) & set(known)).update(last_seen=now)
        IndexedTag.objects.bulk_create(
            [
                IndexedTag(repository=repo, name=n, digest=d, first_seen=now, last_seen=now)
                for n, d in digests.items()
                if n not in known
            ],
            ignore_conflicts=True,
        )
    report.repositories, report.tags, report.manifests_fetched = 1, len(digests), len(rows)
    report.duration = timezone.now() - clock
    return report


# -- registries -----------------------------------------------------------------------------


def _repository_names(registry: Registry) -> tuple[list[str], bool]:
    """Pinned names, then what the catalog lists, read fresh; and whether the catalog
    answered (only then may a repository missing from the list leave the index)."""
    catalog = catalog_names(registry=registry, refresh=True)
    return catalog.names, catalog.closed is None


def _resume_from(state: SyncState, now: datetime) -> datetime:
    """The start of the run to continue: an unfinished (running or failed) one that began
    within the sync interval, else a new run starting now."""
    recent = now - timedelta(seconds=settings.REGFRONT_SYNC_INTERVAL)
    if state.state != SyncState.State.IDLE and state.started and state.started > recent:
        return state.started
    return now


def registry_sync(*, registry: Registry) -> SyncReport:
    """A full sync: every repository on offer, skipping those this run already synced.
    On a registry error the state is failed (with the error's user_message) and it raises."""
    now = timezone.now()
    state, _ = SyncState.objects.get_or_create(registry=registry)
    run_start = _resume_from(state, now)
    state.state, state.started, state.last_error = SyncState.State.RUNNING, run_start, ""
    state.repositories_done = state.tags_done = state.tags_total = 0
    state.save()
    report = SyncReport()
    clock = timezone.now()
    try:
        names, complete = _repository_names(registry)
        state.repositories_total = len(names)
        state.save(update_fields=["repositories_total"])
        done = dict(
            IndexedRepository.objects.filter(
                registry=registry, name__in=names, last_synced__gte=run_start
            ).values_list("name", "pk")
        )
        for name in names:
            if name in done:
                report.skipped += 1
            else:
                report.add(repository_sync(registry=registry, repository=name))
            state.repositories_done += 1
            state.tags_done = state.tags_total = report.tags
            state.save(update_fields=["repositories_done", "tags_done", "tags_total"])
        if complete:
            _, by_model = (
                IndexedRepository.objects.filter(registry=registry).exclude(name__in=names).delete()
            )
            report.removed_repositories += by_model.get(IndexedRepository._meta.label, 0)
    except errors.RegistryError as exc:
        _finish(state, clock, error=exc.user_message)
        raise
    report.duration = _finish(state, clock, error="")
    return report


def _finish(state: SyncState, clock: datetime, *, error: str) -> timedelta:
    state.finished = timezone.now()
    state.duration = state.finished - clock
    state.state = SyncState.State.FAILED if error else SyncState.State.IDLE
    state.last_error = error
    state.save(update_fields=["finished", "duration", "state", "last_error"])
    return state.duration


def registry_by_name(*, name: str) -> Registry | None:
    return Registry.objects.filter(name=name).first()


# -- background syncs: one pending request per registry / repository -------------------------


def _enqueue(*, registry: Registry, repository: str, run_after: datetime | None) -> SyncRequest:
    """Enqueue a sync unless one is already pending that runs no later than wanted.

    The stored SyncRequest is the deduplication key: its `key` travels with the task, and a
    task whose key is no longer the stored one was superseded and does nothing. A request due
    more than REGFRONT_INDEX_MAX_AGE ago never ran (worker down, task lost): it is replaced.
    """
    from registries.inventory import tasks  # tasks import this module

    now = timezone.now()
    due = max(run_after, now) if run_after else now
    stale = now - timedelta(seconds=settings.REGFRONT_INDEX_MAX_AGE)
    mine = {"registry": registry, "repository": repository}
    with transaction.atomic():
        pending = SyncRequest.objects.select_for_update().filter(**mine).first()
        if pending is None:
            try:
                with transaction.atomic():  # another process may be creating the same row
                    pending = SyncRequest.objects.create(
                        **mine, key=uuid.uuid4().hex, due=due, enqueued_at=now
                    )
            except IntegrityError:
                return SyncRequest.objects.select_for_update().get(**mine)
        elif stale < pending.due <= due:
            return pending  # deduplicated: that one runs soon enough
        else:
            pending.key, pending.due, pending.enqueued_at = uuid.uuid4().hex, due, now
            pending.save(update_fields=["key", "due", "enqueued_at"])
        task = tasks.sync_repository if repository else tasks.sync_registry
        if due > now:
            task = task.using(run_after=due)
        kwargs = {"registry_id": registry.pk, "key": pending.key}
        result = task.enqueue(**kwargs, **({"repository": repository} if repository else {}))
        # An update, not save(): an immediate backend has already run (and claimed) it.
        SyncRequest.objects.filter(pk=pending.pk, key=pending.key).update(task_id=str(result.id))
        pending.task_id = str(result.id)
    return pending


def inventory_enqueue_registry(
    *, registry: Registry, run_after: datetime | None = None
) -> SyncRequest:
    """A full sync of the registry in the background (deduplicated)."""
    return _enqueue(registry=registry, repository="", run_after=run_after)


def inventory_enqueue_repository(*, registry: Registry, repository: str) -> SyncRequest:
    """A sync of one repository in the background (deduplicated), e.g. after a push."""
    return _enqueue(registry=registry, repository=repository, run_after=None)


def inventory_status(*, registry: Registry) -> SyncState | None:
    """The registry's sync state for pages (None: never synced)."""
    return SyncState.objects.filter(registry=registry).first()


def index_is_fresh(state: SyncState | None) -> bool:
    """A sync is running, or the last one succeeded within REGFRONT_INDEX_MAX_AGE."""
    if state is None:
        return False
    if state.state == SyncState.State.RUNNING:
        return True
    old = timezone.now() - timedelta(seconds=settings.REGFRONT_INDEX_MAX_AGE)
    return state.state == SyncState.State.IDLE and bool(state.finished and state.finished > old)


def inventory_ensure_fresh(*, registry: Registry) -> SyncRequest | None:
    """Enqueue a full sync when the index is stale."""
    fresh = index_is_fresh(inventory_status(registry=registry))
    return None if fresh else inventory_enqueue_registry(registry=registry)


def inventory_claim(*, registry_id: int, repository: str, key: str) -> bool:
    """A starting task takes its request off the table; False: it was superseded (or already
    ran), so it does nothing. Changes reported from now on get a new request."""
    deleted, _ = SyncRequest.objects.filter(
        registry_id=registry_id, repository=repository, key=key
    ).delete()
    return deleted > 0
