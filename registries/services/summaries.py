"""The repository page's per-tag details: only the visible tags, fetched concurrently."""

from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures import wait
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings

from registries.client import errors
from registries.client.models import (
    Descriptor,
    FetchedManifest,
    ImageIndex,
    ImageManifest,
    Schema1Manifest,
)
from registries.client.reference import InvalidReference
from registries.models import Registry
from registries.services.cache import (
    forget,
    get_many,
    get_or_compute,
    make_key,
    repository_generation,
)
from registries.services.clients import fan_out
from registries.services.manifests import (
    fresh_tag_digests,
    fresh_tag_key,
    image_config,
    manifest_by_digest,
    tag_digest,
    tag_manifest,
    tags_revalidation,
)
from registries.services.refresh import Revalidation, refresh_job


@dataclass(frozen=True)
class ImageSummary:
    """What a repository page shows for one digest; immutable, so cached forever."""

    digest: str
    media_type: str
    kind: str  # the client's Kind; the index's also tells signatures and attestations apart
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
    images = [d for d in index.manifests if not d.is_attestation]
    for descriptor in images:
        platform = descriptor.platform
        if platform and (platform.os, platform.architecture) == ("linux", "amd64"):
            return descriptor
    return images[0] if images else None


def _summarise(registry: Registry, repository: str, fetched: FetchedManifest) -> ImageSummary:
    parsed = fetched.parsed
    base = {"digest": fetched.digest, "media_type": fetched.media_type, "kind": parsed.kind}
    if isinstance(parsed, ImageIndex):
        platforms = tuple(
            str(d.platform) for d in parsed.manifests if d.platform and not d.is_attestation
        )
        child = _representative(parsed)
        size = created = None
        if child is not None:
            child_manifest = manifest_by_digest(
                registry=registry, repository=repository, digest=child.digest
            )
            if isinstance(child_manifest.parsed, ImageManifest):
                size = child_manifest.parsed.size
                if child_manifest.parsed.is_image:
                    created = image_config(
                        registry=registry, repository=repository, manifest=child_manifest.parsed
                    ).created
        return ImageSummary(**base, size=size, created=created, platforms=platforms)
    if isinstance(parsed, Schema1Manifest):
        return ImageSummary(**base, size=None, created=parsed.created, platforms=(parsed.platform,))
    if not parsed.is_image:
        return ImageSummary(**base, size=parsed.size, created=None, platforms=())
    config = image_config(registry=registry, repository=repository, manifest=parsed)
    platform = config.platform
    return ImageSummary(
        **base,
        size=parsed.size,
        created=config.created,
        platforms=(platform,) if platform else (),
    )


def image_summary(*, registry: Registry, repository: str, fetched: FetchedManifest) -> ImageSummary:
    return get_or_compute(
        make_key("summary", registry.pk, repository, fetched.digest),
        lambda: _summarise(registry, repository, fetched),
    )


def tag_summaries(
    *, registry: Registry, repository: str, tags: list[str], refresh: bool = False
) -> list[TagSummary]:
    """Details for the visible tags only, fetched concurrently within the per-registry limit.

    A tag that fails (deleted meanwhile, broken manifest) gets an error line of its own; the
    page still renders. Tags resolved past the TTL are shown as they were and refreshed in
    the background; only tags never resolved are asked for now.
    """

    def summarise(tag: str) -> TagSummary:
        try:
            fetched = tag_manifest(
                registry=registry,
                repository=repository,
                tag=tag,
                refresh=refresh,
                generation=generation,
            )
            return TagSummary(
                tag, image_summary(registry=registry, repository=repository, fetched=fetched)
            )
        except errors.RegistryError as exc:
            return TagSummary(tag, error=exc.user_message)
        except InvalidReference:
            # tag_list drops such names; this guards callers that pass their own tags.
            return TagSummary(tag, error="This tag name is not valid.")

    # One read of the repository's generation serves every tag of the page.
    generation = repository_generation(registry.pk, repository)
    stale: list[str] = []
    known = {} if refresh else _cached_summaries(registry, repository, tags, generation, stale)
    if stale:
        tags_revalidation(registry, repository, stale, generation).schedule()
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
    registry: Registry, repository: str, tags: list[str], generation: int, stale: list[str]
) -> dict[str, TagSummary]:
    """The warm path: tags whose digest and summary are both cached, in two round trips
    (tag -> digest, then digest -> summary) instead of several per tag. Tags whose digest
    is past its TTL are collected in `stale`."""
    digests = fresh_tag_digests(registry, repository, tags, generation, stale_tags=stale)
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
    key = make_key("tag-groups", registry.pk, repository, generation, *tags)
    return get_or_compute(
        key,
        lambda: _group_by_digest(registry, repository, tags, generation, refresh=refresh),
        refresh=refresh,
        revalidate=Revalidation(
            "tag-groups",
            registry,
            {key: None},
            {"repository": repository, "generation": generation, "tags": tags},
        ),
    )


@refresh_job("tags-resolve")
def _tags_refresh(registry: Registry, arguments: dict, tags: list) -> int:
    """Each tag once more with a conditional GET (a 304 when it has not moved), and the
    summary of an image it moved to, so the next page asks nothing. A tag the registry no
    longer has loses its entry: the next page says so instead of showing what it was."""
    repository, generation = arguments["repository"], arguments["generation"]

    def again(tag: str) -> bool:
        try:
            fetched = tag_manifest(
                registry=registry,
                repository=repository,
                tag=tag,
                refresh=True,
                generation=generation,
            )
            image_summary(registry=registry, repository=repository, fetched=fetched)
        except errors.NotFound:
            forget(fresh_tag_key(registry, repository, tag, generation))
        except errors.RegistryError:
            return False
        return True

    futures = fan_out(registry, again, tags)
    done, _ = wait(futures, timeout=settings.REGFRONT_PAGE_DEADLINE)
    return sum(1 for future in futures if future not in done or not future.result())


@refresh_job("tag-groups")
def _groups_refresh(registry: Registry, arguments: dict, items: list) -> int:
    repository, generation, tags = (
        arguments["repository"],
        arguments["generation"],
        arguments["tags"],
    )
    get_or_compute(
        make_key("tag-groups", registry.pk, repository, generation, *tags),
        lambda: _group_by_digest(
            registry, repository, tags, generation, refresh=False, later=False
        ),
        refresh=True,
    )
    return 0


def _group_by_digest(
    registry: Registry,
    repository: str,
    tags: list[str],
    generation: int,
    *,
    refresh: bool,
    later: bool = True,
) -> dict[str, list[str]]:
    """`later`: tags resolved past the TTL count as they were (and are refreshed in the
    background); False (the refresh itself) resolves them again now, with one HEAD each."""

    def digest_of(tag: str) -> str | None:
        try:
            return tag_digest(
                registry=registry, repository=repository, tag=tag, refresh=refresh or not later
            )
        except errors.NotFound:
            return None  # deleted meanwhile
        except InvalidReference:
            return None  # not a tag name: it points at nothing regfront can ask for

    stale: list[str] | None = [] if later else None
    known = (
        {}
        if refresh
        else fresh_tag_digests(registry, repository, tags, generation, stale_tags=stale)
    )
    if stale:
        tags_revalidation(registry, repository, stale, generation).schedule()
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
