"""Django-aware services over the registry client: definitions, status, listings, manifests.

Functions are typed, keyword-only, and named <thing>_<action> (HackSoft style). Everything
fetched by digest is verified by the client and cached forever; what a registry can change is
cached for REGFRONT_CACHE_TTL seconds (see registries/cache.py).
"""

import json
import re
import secrets
import threading
from collections import OrderedDict
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures import wait
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, IntegrityError, transaction

from registries.browsing import NamespaceListing, namespace_listing
from registries.cache import (
    FOREVER,
    get_many,
    get_or_compute,
    make_key,
    peek,
    repository_generation,
    repository_touch,
)
from registries.client import errors
from registries.client import media_types as mt
from registries.client.api import RegistryClient
from registries.client.models import (
    Descriptor,
    FetchedManifest,
    ImageConfig,
    ImageIndex,
    ImageManifest,
    Schema1Manifest,
    parse_config,
)
from registries.clients import client_for, fan_out, submit
from registries.forms import RegistryForm
from registries.models import Registry

# --- registry definitions ------------------------------------------------------------------

NAME_TAKEN = Registry._meta.get_field("name").error_messages["unique"]
GONE_MEANWHILE = "This registry was removed by someone else meanwhile."
CHANGED_MEANWHILE = (
    "Someone else changed this registry since you opened this page. Reload it to see their "
    "changes, then make yours again."
)


def registry_save(*, form: RegistryForm) -> Registry | None:
    """Save a validated form; a race lost to another writer becomes a form error, not a 500.

    Validation checks name uniqueness with a SELECT, so two people adding the same name at
    once both pass it; the unique constraint decides, and the loser is told why. Edits lock
    the row and, when the form carries the version it was shown with, refuse to overwrite a
    newer one.
    """
    creating = form.instance.pk is None
    try:
        with transaction.atomic():
            if not creating:
                current = (
                    Registry.objects.select_for_update()
                    .filter(pk=form.instance.pk)
                    .values_list("updated_at", flat=True)
                    .first()
                )
                if current is None:
                    form.add_error(None, GONE_MEANWHILE)
                    return None
                shown = form.cleaned_data.get("version")
                if shown and shown != current.isoformat():
                    form.add_error(None, CHANGED_MEANWHILE)
                    return None
            registry = form.save(commit=False)
            # force_update: saving a row deleted meanwhile must not silently re-create it.
            registry.save(force_insert=creating, force_update=not creating)
            form.save_m2m()
            return registry
    except IntegrityError:
        form.add_error("name", NAME_TAKEN)
    except DatabaseError:
        if creating:
            raise
        form.add_error(None, GONE_MEANWHILE)
    return None


def registry_delete(*, name: str) -> bool:
    """Remove a registry; removing one that is already gone is not an error."""
    deleted, _ = Registry.objects.filter(name=name).delete()
    return bool(deleted)


# --- status --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegistryStatus:
    state: str  # "online", "unauthorized", "unreachable", "slow" or "error"
    message: str
    auth_mode: str | None = None
    api_version: str | None = None


def _status_of(client: RegistryClient) -> RegistryStatus:
    try:
        ping = client.ping()
    except errors.Unauthorized as exc:
        return RegistryStatus("unauthorized", exc.user_message)
    except (errors.Unreachable, errors.Timeout, errors.TLSError, errors.Refused) as exc:
        return RegistryStatus("unreachable", exc.user_message)
    except errors.RegistryError as exc:
        return RegistryStatus("error", exc.user_message)
    return RegistryStatus("online", "Online", ping.auth_mode, ping.api_version)


def registry_ping(*, client: RegistryClient) -> RegistryStatus:
    """Check one registry now, uncached (e.g. "test connection" before saving)."""
    return _status_of(client)


def registries_status(*, registries: list[Registry]) -> dict[int, RegistryStatus]:
    """Status of every registry, checked concurrently; one dead registry never slows the page.

    Checks still running at the deadline are reported "slow" and finish in the background,
    caching their answer for the next page view.
    """
    statuses: dict[int, RegistryStatus] = {}
    pending = {}
    for registry in registries:
        key = make_key("status", registry.pk, registry.url)
        cached = peek(key)
        if cached is not None:
            statuses[registry.pk] = cached
            continue
        client = client_for(registry)
        pending[registry.pk] = submit(
            lambda key=key, client=client: get_or_compute(
                key, lambda: _status_of(client), timeout=settings.REGFRONT_STATUS_TTL
            )
        )
    wait(pending.values(), timeout=settings.REGFRONT_STATUS_DEADLINE)
    for pk, future in pending.items():
        statuses[pk] = (
            future.result()
            if future.done()
            else RegistryStatus("slow", "The registry did not answer within the page deadline.")
        )
    return statuses


# --- listings ------------------------------------------------------------------------------

_NATURAL_PART = re.compile(r"(\d+)")


def natural_key(text: str) -> tuple:
    """1.2.0 before 1.10.0: digit runs compare as numbers."""
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part)
        for part in _NATURAL_PART.split(text)
        if part
    )


def _catalog_stamp_key(registry: Registry) -> str:
    return make_key("catalog-stamp", registry.pk, registry.url)


def _catalog_entry(registry: Registry, refresh: bool) -> tuple[str, list[str]]:
    """(stamp, sorted names): the stamp names this listing, so that every process can keep
    what it derives from it (namespace levels, filters) until the listing changes."""

    def fetch() -> tuple[str, list[str]]:
        names = sorted(client_for(registry).catalog())
        stamp = secrets.token_hex(8)
        cache.set(_catalog_stamp_key(registry), (stamp, len(names)), settings.REGFRONT_CACHE_TTL)
        return stamp, names

    return get_or_compute(
        make_key("catalog", registry.pk, registry.url),
        fetch,
        timeout=settings.REGFRONT_CACHE_TTL,
        refresh=refresh,
    )


def catalog_list(*, registry: Registry, refresh: bool = False) -> list[str]:
    """Every repository, following the registry's pagination to the end; sorted."""
    return _catalog_entry(registry, refresh)[1]


def catalog_cached_size(*, registry: Registry) -> int | None:
    """The repository count when the catalog is in the cache; None rather than fetching it."""
    stamp = peek(_catalog_stamp_key(registry))
    return None if stamp is None else stamp[1]


class _CatalogViews:
    """One process's views over one catalog listing: namespace levels and filter results,
    each built once per listing (per TTL), not per page view. Bounded."""

    MAX_VIEWS = 64

    def __init__(self, stamp: str, names: list[str]) -> None:
        self.stamp, self.names = stamp, names
        self._views: OrderedDict[tuple[str, str], NamespaceListing] = OrderedDict()
        self._guard = threading.Lock()

    def listing(self, *, namespace: str, query: str) -> NamespaceListing:
        key = ("q", query.lower()) if query else ("ns", namespace)
        with self._guard:
            if key in self._views:
                self._views.move_to_end(key)
                return self._views[key]
        if query:
            needle = query.lower()
            matches = [name for name in self.names if needle in name.lower()]
            built = namespace_listing(matches, namespace="", flat=True)
        else:
            built = namespace_listing(self.names, namespace=namespace)
        with self._guard:
            self._views[key] = built
            while len(self._views) > self.MAX_VIEWS:
                self._views.popitem(last=False)
        return built


_catalog_views: dict[tuple[int, str], _CatalogViews] = {}


def catalog_listing(
    *, registry: Registry, namespace: str = "", query: str = "", refresh: bool = False
) -> tuple[int, NamespaceListing]:
    """(repository count, one namespace level or the repositories matching `query`).

    Warm, this costs one small cache read (the listing's stamp): the sorted listing and the
    views over it stay in process memory until the cached listing changes or expires.
    """
    slot = (registry.pk, registry.url)
    known = _catalog_views.get(slot)
    stamp = None if refresh else peek(_catalog_stamp_key(registry))
    if known is None or stamp is None or known.stamp != stamp[0]:
        fresh_stamp, names = _catalog_entry(registry, refresh)
        if known is None or known.stamp != fresh_stamp:
            known = _CatalogViews(fresh_stamp, names)
            _catalog_views[slot] = known
    return len(known.names), known.listing(namespace=namespace, query=query)


def tag_list(*, registry: Registry, repository: str, refresh: bool = False) -> list[str]:
    """Every tag of a repository, naturally sorted.

    `refresh` also makes every short-lived entry of the repository stale (tag -> digest, the
    tag page's sibling groups), in every process: what a "Refresh" link promises.
    """
    if refresh:
        repository_touch(registry.pk, repository)
    generation = repository_generation(registry.pk, repository)
    return get_or_compute(
        make_key("tags", registry.pk, repository, generation),
        lambda: sorted(client_for(registry).tags(repository), key=natural_key),
        timeout=settings.REGFRONT_CACHE_TTL,
        refresh=refresh,
    )


# --- manifests and configs -----------------------------------------------------------------


def _manifest_key(registry: Registry, repository: str, digest: str) -> str:
    return make_key("manifest", registry.pk, repository, digest)


def manifest_by_digest(*, registry: Registry, repository: str, digest: str) -> FetchedManifest:
    """Immutable and verified by the client, so cached forever."""
    return get_or_compute(
        _manifest_key(registry, repository, digest),
        lambda: client_for(registry).manifest(repository, digest),
        timeout=FOREVER,
    )


def _fresh_tag_key(registry: Registry, repository: str, tag: str) -> str:
    generation = repository_generation(registry.pk, repository)
    return make_key("tag", registry.pk, repository, generation, tag)


def _seen_tag_key(registry: Registry, repository: str, tag: str) -> str:
    return make_key("tag-seen", registry.pk, repository, tag)


def _fresh_digests(registry: Registry, repository: str, tags: list[str]) -> dict[str, str]:
    """tag -> digest for the tags resolved within the TTL, in one cache round trip."""
    generation = repository_generation(registry.pk, repository)
    keys = {make_key("tag", registry.pk, repository, generation, tag): tag for tag in tags}
    return {keys[key]: digest for key, digest in get_many(list(keys)).items()}


def _remember_tag(registry: Registry, repository: str, tag: str, digest: str) -> None:
    # The last digest seen lets a stale tag be revalidated with a HEAD instead of a GET.
    cache.set(_seen_tag_key(registry, repository, tag), digest, settings.REGFRONT_SEEN_TTL)


def tag_digest(*, registry: Registry, repository: str, tag: str, refresh: bool = False) -> str:
    """The digest a tag points at: cached briefly, then revalidated with one HEAD."""

    def resolve() -> str:
        digest = client_for(registry).manifest_digest(repository, tag)
        _remember_tag(registry, repository, tag, digest)
        return digest

    return get_or_compute(
        _fresh_tag_key(registry, repository, tag),
        resolve,
        timeout=settings.REGFRONT_CACHE_TTL,
        refresh=refresh,
    )


def tag_manifest(
    *, registry: Registry, repository: str, tag: str, refresh: bool = False
) -> FetchedManifest:
    """The manifest a tag points at, costing at most one registry request.

    Cold: one GET by tag (gives the body and the digest). Stale but seen before: one
    conditional GET (If-None-Match: the digest seen last); a 304 means the body is the
    cached one, a 200 is the changed manifest, so a moved tag also costs one request.
    """

    def resolve() -> str:
        client = client_for(registry)
        seen = peek(_seen_tag_key(registry, repository, tag))
        known = peek(_manifest_key(registry, repository, seen)) if seen else None
        # distribution's ETag is the quoted digest; other registries may ignore the header
        # and answer 200 with the (verified) body, which is still one request.
        etag = (known.etag or f'"{seen}"') if known is not None else None
        fetched = client.manifest(repository, tag, if_none_match=etag)
        if fetched is None:  # 304: unchanged
            _remember_tag(registry, repository, tag, seen)
            return seen
        cache.set(_manifest_key(registry, repository, fetched.digest), fetched, FOREVER)
        _remember_tag(registry, repository, tag, fetched.digest)
        return fetched.digest

    digest = get_or_compute(
        _fresh_tag_key(registry, repository, tag),
        resolve,
        timeout=settings.REGFRONT_CACHE_TTL,
        refresh=refresh,
    )
    return manifest_by_digest(registry=registry, repository=repository, digest=digest)


def config_raw(*, registry: Registry, repository: str, descriptor: Descriptor) -> bytes:
    """The config blob (verified by the client), cached forever."""
    limit = settings.REGFRONT_MAX_MANIFEST_BYTES
    if descriptor.size > limit:
        raise errors.TooLarge("The image config is larger than regfront reads.")
    return get_or_compute(
        make_key("config", registry.pk, repository, descriptor.digest),
        lambda: client_for(registry).blob(repository, descriptor.digest, max_bytes=limit),
        timeout=FOREVER,
    )


def image_config(*, registry: Registry, repository: str, manifest: ImageManifest) -> ImageConfig:
    return parse_config(
        config_raw(registry=registry, repository=repository, descriptor=manifest.config)
    )


def is_image(manifest: ImageManifest) -> bool:
    """An image (has a runnable config), not an artifact such as a signature or SBOM."""
    return manifest.config.media_type in mt.IMAGE_CONFIG_TYPES


def is_attestation(descriptor: Descriptor) -> bool:
    """BuildKit attaches provenance/SBOM manifests to indexes as platform unknown/unknown."""
    platform = descriptor.platform
    reference_type = descriptor.annotations.get("vnd.docker.reference.type", "")
    return reference_type == "attestation-manifest" or (
        platform is not None and platform.os == "unknown" and platform.architecture == "unknown"
    )


# --- tag summaries (repository page) -------------------------------------------------------


@dataclass(frozen=True)
class ImageSummary:
    """What a repository page shows for one digest; immutable, so cached forever."""

    digest: str
    media_type: str
    kind: str  # "image", "index", "artifact" or "schema1"
    size: int | None
    created: datetime | None
    platforms: tuple[str, ...]


@dataclass(frozen=True)
class TagSummary:
    tag: str
    image: ImageSummary | None = None
    error: str | None = None


def _representative(index: ImageIndex) -> Descriptor | None:
    """The platform whose created time and size stand for the index (linux/amd64 first)."""
    images = [d for d in index.manifests if not is_attestation(d)]
    for descriptor in images:
        platform = descriptor.platform
        if platform and (platform.os, platform.architecture) == ("linux", "amd64"):
            return descriptor
    return images[0] if images else None


def _summarise(registry: Registry, repository: str, fetched: FetchedManifest) -> ImageSummary:
    parsed = fetched.parsed
    base = {"digest": fetched.digest, "media_type": fetched.media_type}
    if isinstance(parsed, ImageIndex):
        platforms = tuple(
            str(d.platform) for d in parsed.manifests if d.platform and not is_attestation(d)
        )
        child = _representative(parsed)
        size = created = None
        if child is not None:
            child_manifest = manifest_by_digest(
                registry=registry, repository=repository, digest=child.digest
            )
            if isinstance(child_manifest.parsed, ImageManifest):
                size = child_manifest.parsed.size
                if is_image(child_manifest.parsed):
                    created = image_config(
                        registry=registry, repository=repository, manifest=child_manifest.parsed
                    ).created
        return ImageSummary(**base, kind="index", size=size, created=created, platforms=platforms)
    if isinstance(parsed, Schema1Manifest):
        v1 = parsed.history[0] if parsed.history else {}
        return ImageSummary(
            **base,
            kind="schema1",
            size=None,
            created=_parse_time(v1.get("created")),
            platforms=(f"{v1.get('os', 'linux')}/{parsed.architecture}",),
        )
    if not is_image(parsed):
        return ImageSummary(**base, kind="artifact", size=parsed.size, created=None, platforms=())
    config = image_config(registry=registry, repository=repository, manifest=parsed)
    platform = "/".join(p for p in (config.os, config.architecture, config.variant) if p)
    return ImageSummary(
        **base,
        kind="image",
        size=parsed.size,
        created=config.created,
        platforms=(platform,) if platform else (),
    )


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def image_summary(*, registry: Registry, repository: str, fetched: FetchedManifest) -> ImageSummary:
    return get_or_compute(
        make_key("summary", registry.pk, repository, fetched.digest),
        lambda: _summarise(registry, repository, fetched),
        timeout=FOREVER,
    )


def tag_summaries(
    *, registry: Registry, repository: str, tags: list[str], refresh: bool = False
) -> list[TagSummary]:
    """Details for the visible tags only, fetched concurrently within the per-registry limit.

    A tag that fails (deleted meanwhile, broken manifest) gets an error line of its own; the
    page still renders.
    """

    def summarise(tag: str) -> TagSummary:
        try:
            fetched = tag_manifest(
                registry=registry, repository=repository, tag=tag, refresh=refresh
            )
            return TagSummary(
                tag, image_summary(registry=registry, repository=repository, fetched=fetched)
            )
        except errors.RegistryError as exc:
            return TagSummary(tag, error=exc.user_message)

    known = {} if refresh else _cached_summaries(registry, repository, tags)
    missing = [tag for tag in tags if tag not in known]
    futures = dict(zip(missing, fan_out(registry, summarise, missing), strict=True))
    done, _ = wait(futures.values(), timeout=settings.REGFRONT_PAGE_DEADLINE)
    results = []
    for tag in tags:
        if tag in known:
            results.append(known[tag])
        elif futures[tag] in done:
            results.append(futures[tag].result())
        else:
            results.append(TagSummary(tag, error="The registry did not answer in time."))
    return results


def _cached_summaries(
    registry: Registry, repository: str, tags: list[str]
) -> dict[str, TagSummary]:
    """The warm path: tags whose digest and summary are both cached, in two round trips
    (tag -> digest, then digest -> summary) instead of several per tag."""
    digests = _fresh_digests(registry, repository, tags)
    keys = {make_key("summary", registry.pk, repository, d): d for d in set(digests.values())}
    summaries = {keys[key]: value for key, value in get_many(list(keys)).items()}
    return {
        tag: TagSummary(tag, summaries[digest])
        for tag, digest in digests.items()
        if digest in summaries
    }


def tags_by_digest(
    *, registry: Registry, repository: str, tags: list[str], refresh: bool = False
) -> dict[str, list[str]]:
    """Group tags by the digest they point at (one HEAD per tag not seen within the TTL).

    The grouping is cached too (TTL, under the repository's generation), so a warm tag page
    in a repository of hundreds of tags reads one entry instead of one per tag. It is built
    from entries up to a TTL old, so it may lag the registry by up to twice the TTL unless
    the repository is refreshed or changed through regfront.
    """
    generation = repository_generation(registry.pk, repository)
    return get_or_compute(
        make_key("tag-groups", registry.pk, repository, generation, *tags),
        lambda: _group_by_digest(registry, repository, tags, refresh=refresh),
        timeout=settings.REGFRONT_CACHE_TTL,
        refresh=refresh,
    )


def _group_by_digest(
    registry: Registry, repository: str, tags: list[str], *, refresh: bool
) -> dict[str, list[str]]:
    def digest_of(tag: str) -> str | None:
        try:
            return tag_digest(registry=registry, repository=repository, tag=tag, refresh=refresh)
        except errors.NotFound:
            return None  # deleted meanwhile

    known = {} if refresh else _fresh_digests(registry, repository, tags)
    missing = [tag for tag in tags if tag not in known]
    futures = dict(zip(missing, fan_out(registry, digest_of, missing), strict=True))
    groups: dict[str, list[str]] = {}
    for tag in tags:
        if tag in known:
            digest = known[tag]
        else:
            try:
                digest = futures[tag].result(timeout=settings.REGFRONT_PAGE_DEADLINE)
            except FutureTimeout as exc:
                raise errors.Timeout("The registry did not answer in time.") from exc
        if digest:
            groups.setdefault(digest, []).append(tag)
    return groups


# --- manifest page -------------------------------------------------------------------------


@dataclass(frozen=True)
class PlatformRow:
    platform: str
    descriptor: Descriptor
    attestation: bool


@dataclass
class ManifestDetail:
    digest: str
    media_type: str
    kind: str  # "index", "image", "artifact" or "schema1"
    manifest: FetchedManifest
    manifest_json: str
    platforms: list[PlatformRow] = field(default_factory=list)
    layers: list[Descriptor] = field(default_factory=list)
    total_size: int | None = None
    config: ImageConfig | None = None
    config_json: str | None = None
    referrers: list[Descriptor] | None = None


def _pretty(raw: bytes) -> str:
    try:
        return json.dumps(json.loads(raw), indent=2, sort_keys=False)
    except ValueError:
        return raw.decode("utf-8", errors="replace")


def manifest_detail(
    *, registry: Registry, repository: str, tag: str | None = None, digest: str | None = None
) -> ManifestDetail:
    if digest:
        fetched = manifest_by_digest(registry=registry, repository=repository, digest=digest)
    else:
        fetched = tag_manifest(registry=registry, repository=repository, tag=tag or "latest")
    parsed = fetched.parsed
    detail = ManifestDetail(
        digest=fetched.digest,
        media_type=fetched.media_type,
        kind="image",
        manifest=fetched,
        manifest_json=_pretty(fetched.raw),
        referrers=manifest_referrers(
            registry=registry, repository=repository, digest=fetched.digest
        ),
    )
    if isinstance(parsed, ImageIndex):
        detail.kind = "index"
        detail.platforms = [
            PlatformRow(str(d.platform) if d.platform else "unknown", d, is_attestation(d))
            for d in parsed.manifests
        ]
    elif isinstance(parsed, Schema1Manifest):
        detail.kind = "schema1"
    else:
        detail.layers = list(parsed.layers)
        detail.total_size = parsed.size
        if is_image(parsed):
            raw = config_raw(registry=registry, repository=repository, descriptor=parsed.config)
            detail.config = parse_config(raw)
            detail.config_json = _pretty(raw)
        else:
            detail.kind = "artifact"
    return detail


def manifest_referrers(
    *, registry: Registry, repository: str, digest: str
) -> list[Descriptor] | None:
    """Signatures, SBOMs and other artifacts that refer to this digest, where supported."""
    generation = repository_generation(registry.pk, repository)

    def fetch() -> list[Descriptor] | None:
        client = client_for(registry)
        try:
            found = client.referrers(repository, digest)
        except (errors.NotFound, errors.Unsupported, errors.Denied):
            found = None
        if found is not None:
            return found
        # Registries without the referrers API (distribution 2.8): pushers keep an index
        # tagged <alg>-<hex> instead, the referrers tag schema.
        # https://github.com/opencontainers/distribution-spec/blob/main/spec.md#referrers-tag-schema
        try:
            fallback = client.manifest(repository, digest.replace(":", "-"))
        except (errors.NotFound, errors.Denied):
            return None
        if fallback is not None and isinstance(fallback.parsed, ImageIndex):
            return list(fallback.parsed.manifests)
        return None

    return get_or_compute(
        make_key("referrers", registry.pk, repository, generation, digest),
        fetch,
        timeout=settings.REGFRONT_CACHE_TTL,
    )


# --- deleting ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeletePlan:
    digest: str
    tags: list[str]  # every tag that points at the digest, all of which the delete removes


def manifest_delete_plan(
    *, registry: Registry, repository: str, tag: str | None = None, digest: str | None = None
) -> DeletePlan:
    """What deleting would remove, read fresh from the registry (not from the cache)."""
    if not digest:
        digest = tag_digest(registry=registry, repository=repository, tag=tag or "", refresh=True)
    try:
        tags = tag_list(registry=registry, repository=repository, refresh=True)
    except errors.NotFound:
        tags = []
    groups = tags_by_digest(registry=registry, repository=repository, tags=tags, refresh=True)
    return DeletePlan(digest=digest, tags=groups.get(digest, []))


def manifest_delete(*, registry: Registry, repository: str, digest: str) -> None:
    """Delete by digest (the registry removes every tag pointing at it), then make this
    repository's cached listings stale at once, in every process sharing the cache."""
    try:
        client_for(registry).delete_manifest(repository, digest)
    finally:
        # Even a failed delete may have half-happened on a flaky registry: re-read next time.
        repository_touch(registry.pk, repository)


# --- registry events (the webhook) ---------------------------------------------------------


def repository_changed(*, registry: Registry, repository: str, pushed: bool) -> None:
    """The registry reported a push or delete: every cached page of the repository is stale
    at once; a push to a repository the cached catalog lacks makes the catalog stale too."""
    repository_touch(registry.pk, repository)
    if not pushed:
        return
    catalog_key = make_key("catalog", registry.pk, registry.url)
    if peek(catalog_key) is None:
        return  # nothing cached, nothing stale
    try:
        known = repository in catalog_list(registry=registry)
    except errors.RegistryError:
        known = False
    if not known:
        cache.delete_many([catalog_key, make_key("catalog-stamp", registry.pk, registry.url)])
