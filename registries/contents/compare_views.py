"""Compare two images: `/compare/?a=<reference>&b=<reference>` (and the API's `/compare`).

A reference is what people paste: `registry-name/repo:tag`, `host[:port]/repo@sha256:…`
(the host of a configured registry), read with the jump box's parser. Each side is fetched
inside its own registry's visit, so a failing or slow registry names itself; registries a
person may not see are as absent as unknown ones. Indexes are compared platform by platform.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.generic import TemplateView

from registries import services
from registries.browsing import page_query, reference_url, registry_for_reference
from registries.client import errors
from registries.client.models import ImageManifest
from registries.client.reference import (
    InvalidReference,
    Reference,
    parse_image_reference,
    repository_on,
)
from registries.contents import compare
from registries.contents.services import ImageFiles, image_files, merged_tree
from registries.inventory.answers import tag_table
from registries.models import Registry
from registries.services.bulkhead import registry_visit
from registries.views.errors import registry_error_response

CHANGES_PER_PAGE = 200
CHANGES = ("added", "removed", "changed")
QUERY_MAX_LENGTH = 255
DIFFS_KEPT = 8  # file diffs per process, keyed by the four layer lists


class BadCompare(ValueError):
    """Input that names no image: a 400 with this sentence."""


class NotComparable(BadCompare):
    """A reference that names something other than an image (an artifact, a platform
    manifest that is no image)."""


class SideFailed(Exception):
    """A registry failed while one side was fetched: its page names that registry."""

    def __init__(self, registry: Registry, error: errors.RegistryError) -> None:
        super().__init__(str(error))
        self.registry, self.error = registry, error


@dataclass(frozen=True)
class Side:
    label: str  # "a" or "b"
    text: str  # as pasted
    registry: Registry
    reference: Reference  # its repository as that registry names it
    detail: services.ManifestDetail  # what the reference points at (an index, maybe)
    platforms: list[str]  # an index's image platforms; an image's own platform

    @property
    def is_index(self) -> bool:
        return self.detail.kind == "index"

    @property
    def page_url(self) -> str:
        return reference_url(self.registry, self.reference)


@dataclass(frozen=True)
class Image:
    """One side resolved to an image manifest (its platform chosen) and its files."""

    side: Side
    detail: services.ManifestDetail
    files: ImageFiles


@dataclass(frozen=True)
class Comparison:
    a: Image
    b: Image
    platform: str | None  # the one chosen from an index
    layers: compare.LayersDiff
    config: list[compare.ConfigRow]
    history: list[compare.HistoryRow]
    files: compare.FilesDiff | None  # None until both images' layers are listed

    @property
    def images(self) -> tuple[Image, Image]:
        return self.a, self.b


@dataclass(frozen=True)
class PlatformQuestion:
    a: Side
    b: Side
    common: list[str]
    wanted: str


def compare_url(a: str, b: str, **params: str) -> str:
    return f"{reverse('registries:compare')}?{urlencode({'a': a, 'b': b, **params})}"


# -- references --------------------------------------------------------------------------


def side_reference(
    text: str, registries: list[Registry], *, label: str
) -> tuple[Registry, Reference]:
    """The registry and reference a pasted text means; BadCompare or Http404 otherwise."""
    text = text.strip()
    if not text:
        raise BadCompare(f"Reference {label} is missing: paste an image such as registry/repo:tag.")
    if text.lower().startswith("sha256:") and "/" not in text:  # `sha256:5000/x` is a host
        raise BadCompare(
            f"Reference {label} is a bare digest: write registry/repository@{text[:20]}…."
        )
    try:
        reference = parse_image_reference(text)
    except InvalidReference as exc:
        raise BadCompare(f"Reference {label} is not an image reference: {exc}") from exc
    registry = None
    if reference.domain is None:
        # `registry-name/repo:tag`: regfront's own names come first.
        first, _, rest = reference.repository.partition("/")
        registry = next((r for r in registries if r.name == first), None) if rest else None
        if registry is not None:
            reference = replace(reference, repository=rest)
    if registry is None:
        registry = registry_for_reference(registries, domain=reference.domain, current="")
    if registry is None:
        raise Http404(f"No registry you can see is named in reference {label}.")
    repository = repository_on(registry.host, reference.repository)
    return registry, replace(reference, repository=repository, domain=None)


def _fetch(registry: Registry, work):
    """Run `work` as a visit of `registry`; its failure carries the registry's name."""
    try:
        with registry_visit(registry):
            return work()
    except errors.RegistryError as exc:
        raise SideFailed(registry, exc) from exc


def load_side(text: str, registries: list[Registry], *, label: str) -> Side:
    registry, reference = side_reference(text, registries, label=label)
    detail = _fetch(
        registry,
        lambda: services.manifest_detail(
            registry=registry,
            repository=reference.repository,
            tag=None if reference.digest else (reference.tag or "latest"),
            digest=reference.digest,
        ),
    )
    if detail.kind == "index":
        platforms = list(dict.fromkeys(r.platform for r in detail.platforms if not r.attestation))
    elif detail.config is not None:
        platforms = [detail.config.platform]
    else:
        what = "an artifact" if detail.kind == "artifact" else f"a {detail.kind} manifest"
        raise NotComparable(
            f"Reference {label} is {what}, not an image: it has nothing to compare."
        )
    return Side(label, text.strip(), registry, reference, detail, platforms)


def _image(side: Side, platform: str | None) -> Image:
    detail = side.detail
    if side.is_index:
        row = next(r for r in detail.platforms if r.platform == platform and not r.attestation)
        detail = _fetch(
            side.registry,
            lambda: services.manifest_detail(
                registry=side.registry,
                repository=side.reference.repository,
                digest=row.descriptor.digest,
            ),
        )
    parsed = detail.manifest.parsed
    if not isinstance(parsed, ImageManifest) or not parsed.is_image or detail.config is None:
        raise NotComparable(f"The {platform} manifest of reference {side.label} is not an image.")
    files = _fetch(
        side.registry,
        lambda: image_files(
            registry=side.registry, repository=side.reference.repository, manifest=parsed
        ),
    )
    return Image(side, detail, files)


def image_compare(*, user, a: str, b: str, platform: str = "") -> Comparison | PlatformQuestion:
    """Both sides fetched, an index's platform chosen, and the differences."""
    registries = list(Registry.objects.visible_to(user))
    side_a = load_side(a, registries, label="a")
    side_b = load_side(b, registries, label="b")
    chosen = None
    if side_a.is_index or side_b.is_index:
        chosen = compare.platform_choice(side_a.platforms, side_b.platforms, wanted=platform)
        if chosen is None:
            common = compare.common_platforms(side_a.platforms, side_b.platforms)
            return PlatformQuestion(side_a, side_b, common, platform)
    image_a, image_b = _image(side_a, chosen), _image(side_b, chosen)
    config_a, config_b = image_a.detail.config, image_b.detail.config
    return Comparison(
        a=image_a,
        b=image_b,
        platform=chosen,
        layers=compare.layers_diff(image_a.detail.layers, image_b.detail.layers),
        config=compare.config_rows(config_a, config_b),
        history=compare.history_rows(config_a, config_b),
        files=_files_diff(image_a.files, image_b.files),
    )


def _files_diff(a: ImageFiles, b: ImageFiles) -> compare.FilesDiff | None:
    if a.tree is None or b.tree is None:
        return None
    return _diff_of(_tree_key(a), _tree_key(b))


def _tree_key(files: ImageFiles) -> tuple[int, tuple[str, ...]]:
    layers = files.layers
    return (layers[0].listing.registry_id if layers else 0, tuple(r.listing.digest for r in layers))


@functools.lru_cache(maxsize=DIFFS_KEPT)
def _diff_of(a: tuple[int, tuple[str, ...]], b: tuple[int, tuple[str, ...]]) -> compare.FilesDiff:
    """Keyed by both images' layer digests: content addressed, so a kept diff is never
    stale. The trees come from the Files page's own cache of merged trees."""
    tree_a = merged_tree(registry_id=a[0], digests=a[1])
    tree_b = merged_tree(registry_id=b[0], digests=b[1])
    return compare.files_diff(tree_a, tree_b)


# -- the page ----------------------------------------------------------------------------


def bad_compare_response(request: HttpRequest, message: str) -> HttpResponse:
    context = {"title": "These cannot be compared", "message": message, "status": 400}
    return TemplateResponse(request, "registries/error.html", context, status=400)


class CompareView(TemplateView):
    template_name = "registries/compare.html"

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        a, b = request.GET.get("a", "").strip(), request.GET.get("b", "").strip()
        if not a and not b:
            return self.render_to_response(self.get_context_data(a="", b=""))  # the form alone
        query = request.GET.get("q", "").strip()
        if len(query) > QUERY_MAX_LENGTH:
            return bad_compare_response(
                request, f"The filter is longer than {QUERY_MAX_LENGTH} characters."
            )
        try:
            result = image_compare(
                user=request.user, a=a, b=b, platform=request.GET.get("platform", "")
            )
        except BadCompare as exc:
            return bad_compare_response(request, str(exc))
        except SideFailed as exc:
            return registry_error_response(request, exc.registry, exc.error)
        context = self.get_context_data(a=a, b=b, query=query)
        if isinstance(result, PlatformQuestion):
            context["question"] = result
            context["platform_links"] = [(p, compare_url(a, b, platform=p)) for p in result.common]
            return self.render_to_response(context)
        context |= {
            "comparison": result,
            "swap_url": compare_url(b, a, **self.kept()),
            "layer_summary": [
                (change, len(result.layers.of(change)), result.layers.size(change))
                for change in ("shared", "added", "removed")
            ],
        }
        if result.files is not None:
            change = request.GET.get("change", "")
            if change not in ("", *CHANGES):
                return bad_compare_response(request, "change must be added, removed or changed.")
            matching = result.files.matching(query, change)
            context |= {
                "change": change,
                "change_choices": CHANGES,
                "file_counts": result.files.counts(),
                "matching_count": len(matching),
                "page": Paginator(matching, CHANGES_PER_PAGE).get_page(request.GET.get("page")),
                "page_query": page_query(request),
            }
        return self.render_to_response(context)

    def kept(self) -> dict[str, str]:
        return {k: self.request.GET[k] for k in ("platform",) if self.request.GET.get(k)}


def previous_url(registry: Registry, repository: str, tag: str) -> str:
    """The tag page's "Compare with previous version" link."""
    query = urlencode({"of": f"{registry.name}/{repository}:{tag}"})
    return f"{reverse('registries:compare_previous')}?{query}"


class PreviousVersionView(TemplateView):
    """`/compare/previous/?of=<registry>/<repo>:<tag>`: to the compare of the tag before it
    in version order (from the index where it has the repository, else the live list)."""

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        registries = list(Registry.objects.visible_to(request.user))
        try:
            registry, reference = side_reference(request.GET.get("of", ""), registries, label="of")
        except BadCompare as exc:
            return bad_compare_response(request, str(exc))
        if not reference.tag or reference.digest:
            return bad_compare_response(request, "Only a tag has a previous version.")
        repository, tag = reference.repository, reference.tag
        try:
            table = _fetch(registry, lambda: tag_table(registry=registry, repository=repository))
        except SideFailed as exc:
            return registry_error_response(request, exc.registry, exc.error)
        previous = compare.previous_version(table.tags, tag)
        if previous is None:
            raise Http404(f"{repository}:{tag} has no earlier version to compare with.")
        this = f"{registry.name}/{repository}"
        return redirect(compare_url(f"{this}:{previous}", f"{this}:{tag}"))
