"""Manifests and configs (verified, cached forever by digest), tags resolving to them,
and everything the tag/digest page shows."""

import json
from dataclasses import dataclass, field, replace

from registries.client import errors
from registries.client.models import (
    Descriptor,
    FetchedManifest,
    ImageConfig,
    ImageIndex,
    ImageManifest,
    Kind,
    parse_config,
)
from registries.models import Registry
from registries.services.cache import (
    get_many,
    get_or_compute,
    make_key,
    peek,
    repository_generation,
    store,
)
from registries.services.clients import client_for
from registries.services.refresh import Revalidation, refresh_job


def _manifest_key(registry: Registry, repository: str, digest: str) -> str:
    return make_key("manifest", registry.pk, repository, digest)


def manifest_by_digest(*, registry: Registry, repository: str, digest: str) -> FetchedManifest:
    """Immutable and verified by the client, so cached forever."""
    return get_or_compute(
        _manifest_key(registry, repository, digest),
        lambda: client_for(registry).manifest(repository, digest),
    )


def fresh_tag_key(
    registry: Registry, repository: str, tag: str, generation: int | None = None
) -> str:
    if generation is None:
        generation = repository_generation(registry.pk, repository)
    return make_key("tag", registry.pk, repository, generation, tag)


def _seen_tag_key(registry: Registry, repository: str, tag: str) -> str:
    return make_key("tag-seen", registry.pk, repository, tag)


def fresh_tag_digests(
    registry: Registry,
    repository: str,
    tags: list[str],
    generation: int,
    *,
    stale_tags: list[str] | None = None,
) -> dict[str, str]:
    """tag -> digest for the tags resolved within the TTL, in one cache round trip; with
    `stale_tags`, also those resolved before (collected there, to be refreshed later)."""
    keys = {fresh_tag_key(registry, repository, tag, generation): tag for tag in tags}
    stale_keys: list[str] | None = None if stale_tags is None else []
    found = get_many(list(keys), stale=stale_keys)
    if stale_tags is not None and stale_keys:
        stale_tags.extend(keys[key] for key in stale_keys)
    return {keys[key]: digest for key, digest in found.items()}


def tags_revalidation(
    registry: Registry,
    repository: str,
    tags: list[str],
    generation: int | None = None,
    *,
    keys: list[str] | None = None,
) -> Revalidation:
    """Refresh these tags' digests later (the "tags-resolve" job, in summaries); `keys`:
    their entries' keys when the caller has them already."""
    if generation is None:
        generation = repository_generation(registry.pk, repository)
    if keys is None:
        keys = [fresh_tag_key(registry, repository, tag, generation) for tag in tags]
    return Revalidation(
        "tags-resolve",
        registry,
        dict(zip(keys, tags, strict=True)),
        {"repository": repository, "generation": generation},
    )


def _remember_tag(registry: Registry, repository: str, tag: str, digest: str) -> None:
    # The last digest seen lets a stale tag be revalidated with a conditional GET.
    store(_seen_tag_key(registry, repository, tag), digest)


def tag_digest(*, registry: Registry, repository: str, tag: str, refresh: bool = False) -> str:
    """The digest a tag points at: cached briefly, then revalidated with one HEAD."""

    def resolve() -> str:
        digest = client_for(registry).manifest_digest(repository, tag)
        _remember_tag(registry, repository, tag, digest)
        return digest

    generation = repository_generation(registry.pk, repository)
    key = fresh_tag_key(registry, repository, tag, generation)
    return get_or_compute(
        key,
        resolve,
        refresh=refresh,
        revalidate=tags_revalidation(registry, repository, [tag], generation, keys=[key]),
    )


def tag_manifest(
    *,
    registry: Registry,
    repository: str,
    tag: str,
    refresh: bool = False,
    generation: int | None = None,
) -> FetchedManifest:
    """The manifest a tag points at, costing at most one registry request.

    `generation`: the repository's, when the caller already read it for many tags.
    """
    digest, fetched = _resolve_tag(
        registry, repository, tag, refresh=refresh, generation=generation
    )
    return fetched or manifest_by_digest(registry=registry, repository=repository, digest=digest)


def _resolve_tag(
    registry: Registry, repository: str, tag: str, *, refresh: bool, generation: int | None = None
) -> tuple[str, FetchedManifest | None]:
    """The digest of a tag, and the manifest when resolving it fetched the body.

    On a miss the manifest comes along and is cached by digest.

    Cold: one GET by tag (gives the body and the digest). Stale but seen before: one
    conditional GET (If-None-Match: the digest seen last); a 304 means the body is the
    cached one, a 200 is the changed manifest, so a moved tag also costs one request.
    """

    fetched_now: FetchedManifest | None = None

    def resolve() -> str:
        nonlocal fetched_now
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
        store(_manifest_key(registry, repository, fetched.digest), fetched)
        _remember_tag(registry, repository, tag, fetched.digest)
        fetched_now = fetched
        return fetched.digest

    if generation is None:
        generation = repository_generation(registry.pk, repository)
    key = fresh_tag_key(registry, repository, tag, generation)
    digest = get_or_compute(
        key,
        resolve,
        refresh=refresh,
        revalidate=tags_revalidation(registry, repository, [tag], generation, keys=[key]),
    )
    return digest, fetched_now


def config_raw(*, registry: Registry, repository: str, descriptor: Descriptor) -> bytes:
    """The config blob (verified and size-capped by the client), cached forever."""
    return get_or_compute(
        make_key("config", registry.pk, repository, descriptor.digest),
        lambda: client_for(registry).config_blob(repository, descriptor),
    )


def image_config(*, registry: Registry, repository: str, manifest: ImageManifest) -> ImageConfig:
    return parse_config(
        config_raw(registry=registry, repository=repository, descriptor=manifest.config)
    )


@dataclass(frozen=True)
class PlatformRow:
    platform: str
    descriptor: Descriptor
    attestation: bool


@dataclass
class ManifestDetail:
    digest: str
    media_type: str
    kind: Kind
    manifest: FetchedManifest
    manifest_json: str
    platforms: list[PlatformRow] = field(default_factory=list)
    layers: list[Descriptor] = field(default_factory=list)
    total_size: int | None = None
    config: ImageConfig | None = None
    config_json: str | None = None
    referrers: list[Descriptor] | None = None


def _pretty(raw: bytes) -> str:
    """Indented JSON for people; the bytes as they came when they do not re-indent."""
    try:
        return json.dumps(json.loads(raw), indent=2, sort_keys=False)
    except (ValueError, RecursionError):  # the indenting encoder recurses per level
        return raw.decode("utf-8", errors="replace")


def manifest_detail(
    *, registry: Registry, repository: str, tag: str | None = None, digest: str | None = None
) -> ManifestDetail:
    """Everything the tag/digest page shows about one manifest.

    All of it but the referrers depends on the digest alone, so it is assembled once and
    cached forever; warm, a tag page reads the tag's digest and this one entry.
    """
    if not digest:
        digest, _ = _resolve_tag(registry, repository, tag or "latest", refresh=False)
    detail = get_or_compute(
        make_key("detail", registry.pk, repository, digest),
        lambda: _assemble_detail(registry, repository, digest),
    )
    return replace(
        detail,
        referrers=manifest_referrers(registry=registry, repository=repository, digest=digest),
    )


def _assemble_detail(registry: Registry, repository: str, digest: str) -> ManifestDetail:
    fetched = manifest_by_digest(registry=registry, repository=repository, digest=digest)
    parsed = fetched.parsed
    detail = ManifestDetail(
        digest=fetched.digest,
        media_type=fetched.media_type,
        kind=parsed.kind,
        manifest=fetched,
        manifest_json=_pretty(fetched.raw),
    )
    if isinstance(parsed, ImageIndex):
        detail.platforms = [
            PlatformRow(str(d.platform) if d.platform else "unknown", d, d.is_attestation)
            for d in parsed.manifests
        ]
    elif isinstance(parsed, ImageManifest):
        detail.layers = list(parsed.layers)
        detail.total_size = parsed.size
        if parsed.is_image:
            raw = config_raw(registry=registry, repository=repository, descriptor=parsed.config)
            detail.config = parse_config(raw)
            detail.config_json = _pretty(raw)
    return detail


def referrers_tag(digest: str) -> str:
    """`sha256:<hex>` → `sha256-<hex>`; the hex is cut to 64 characters, so a sha512 digest
    still names a valid tag (at most 128 characters).
    https://github.com/opencontainers/distribution-spec/blob/main/spec.md#referrers-tag-schema
    """
    algorithm, _, encoded = digest.partition(":")
    return f"{algorithm}-{encoded[:64]}"


def manifest_referrers(
    *, registry: Registry, repository: str, digest: str
) -> list[Descriptor] | None:
    """Signatures, SBOMs and other artifacts that refer to this digest, where supported."""
    generation = repository_generation(registry.pk, repository)
    key = make_key("referrers", registry.pk, repository, generation, digest)
    return get_or_compute(
        key,
        lambda: _fetch_referrers(registry, repository, digest),
        revalidate=Revalidation(
            "referrers",
            registry,
            {key: digest},
            {"repository": repository, "generation": generation},
        ),
    )


@refresh_job("referrers")
def _referrers_refresh(registry: Registry, arguments: dict, digests: list) -> int:
    repository, generation = arguments["repository"], arguments["generation"]
    for digest in digests:
        get_or_compute(
            make_key("referrers", registry.pk, repository, generation, digest),
            lambda digest=digest: _fetch_referrers(registry, repository, digest),
            refresh=True,
        )
    return 0


def _fetch_referrers(registry: Registry, repository: str, digest: str) -> list[Descriptor] | None:
    client = client_for(registry)
    # A registry with the referrers API never answers it 404 (OCI distribution 1.1), so
    # one 404 says it has none: remembered, the next tag pages skip asking.
    no_api = make_key("referrers-api", registry.pk)
    if peek(no_api) is None:
        try:
            found = client.referrers(repository, digest)
            if found is not None:
                return found
            store(no_api, False)
        except (errors.NotFound, errors.Unsupported, errors.Denied):
            pass  # says nothing about the API: try the tag
    # Registries without the referrers API (distribution 2.8): pushers keep an index
    # tagged <alg>-<hex> instead, the referrers tag schema.
    tag = referrers_tag(digest)
    if _index_lacks_tag(registry, repository, tag):
        return None
    try:
        fallback = client.manifest(repository, tag)
    except (errors.NotFound, errors.Denied):
        return None
    if fallback is not None and isinstance(fallback.parsed, ImageIndex):
        return list(fallback.parsed.manifests)
    return None


def _index_lacks_tag(registry: Registry, repository: str, tag: str) -> bool:
    """True when a fresh index of the repository has no such tag: no request needed."""
    from registries.inventory.reads import indexed_repository, repository_origin  # a cycle

    indexed = indexed_repository(registry=registry, name=repository)
    if indexed is None or repository_origin(registry=registry, repository=indexed).state != "fresh":
        return False
    return not indexed.tags.filter(name=tag).exists()
