"""Class-based views: URL → service → template. No HTTP to registries here.

RegistryMixin loads the registry in setup(), makes the request a visit of it (which takes a
place in the per-registry bulkhead once the registry itself is asked) and turns the client's
domain errors into pages in dispatch(); the views themselves only assemble context.
"""

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.generic import TemplateView

from registries import services
from registries.browsing import (
    manifest_delete_url,
    namespace_crumbs,
    page_query,
    reference_url,
    registry_for_reference,
    repository_url,
    search_url,
)
from registries.client import errors
from registries.client.reference import (
    InvalidReference,
    parse_image_reference,
    parse_repository_path,
    repository_on,
)
from registries.events.services import latest_pushes
from registries.history.pulls import tag_pulls
from registries.history.services import current_pushes
from registries.inventory.answers import tag_rows, tag_siblings, tag_table
from registries.inventory.reads import IndexOrigin, catalog_tag_stats
from registries.inventory.services import (
    index_is_fresh,
    inventory_enqueue_registry,
    inventory_status,
)
from registries.models import Registry
from registries.services.bulkhead import registry_visit
from registries.supplychain.folding import fold_helper_tags
from registries.supplychain.links import supply_chain_url
from registries.supplychain.services import supply_chain_badge
from registries.views.cached_pages import CachedPageMixin
from registries.views.errors import invalid_reference_response, registry_error_response


class RegistryMixin:
    """Finds the registry (404 when unknown) and maps registry failures to error pages."""

    registry: Registry | None = None  # as_view(registry=...) when the router loaded it

    def setup(self, request: HttpRequest, *args, **kwargs) -> None:
        super().setup(request, *args, **kwargs)
        if self.registry is None:
            # Registries limited to other groups are indistinguishable from absent ones.
            self.registry = get_object_or_404(
                Registry.objects.visible_to(request.user), name=kwargs["name"]
            )

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            with registry_visit(self.registry):  # RegistryBusy (a 503) when it is full
                return super().dispatch(request, *args, **kwargs)
        except errors.RegistryError as exc:
            return registry_error_response(request, self.registry, exc)

    @property
    def refresh(self) -> bool:
        return self.request.GET.get("refresh") == "1"

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(registry=self.registry, **kwargs)
        repository = self.kwargs.get("repository")
        if repository:
            context["repository"] = repository
            context["repository_label"] = repository.rsplit("/", 1)[-1]
            context["crumbs"] = namespace_crumbs(repository)
        return context


class RegistryListView(TemplateView):
    template_name = "registries/registry_list.html"

    def get_context_data(self, **kwargs) -> dict:
        registries = list(Registry.objects.visible_to(self.request.user))
        statuses = services.registries_status(registries=registries)
        rows = [
            {
                "registry": registry,
                "status": statuses[registry.pk],
                "repository_count": services.catalog_cached_size(registry=registry),
            }
            for registry in registries
        ]
        return super().get_context_data(rows=rows, **kwargs)


class CatalogView(RegistryMixin, TemplateView):
    template_name = "registries/catalog.html"

    def get_context_data(self, **kwargs) -> dict:
        query = self.request.GET.get("q", "").strip()
        namespace = self.request.GET.get("ns", "").strip("/")
        # Built once per cached listing (per TTL), not per page view: see services.
        catalog = services.catalog_page(
            registry=self.registry, namespace=namespace, query=query, refresh=self.refresh
        )
        repositories = catalog.listing.repositories if catalog.listing else []
        page = Paginator(repositories, settings.REGFRONT_REPOSITORIES_PER_PAGE).get_page(
            self.request.GET.get("page")
        )
        # The index ages on its own: a page that finds it stale asks the worker for a sync.
        sync = inventory_status(registry=self.registry)
        index_fresh = index_is_fresh(sync)
        if not index_fresh:
            inventory_enqueue_registry(registry=self.registry)
        shown = list(page.object_list) + ([] if namespace else catalog.pinned)
        stats = catalog_tag_stats(registry=self.registry, names=shown)
        return super().get_context_data(
            sync=sync,
            index_fresh=index_fresh,
            listing_age=services.catalog_age(registry=self.registry),
            indexed_stats=bool(stats),
            repositories=[(name, stats.get(name)) for name in page.object_list],
            pinned=[(name, stats.get(name)) for name in catalog.pinned],
            pinned_set=catalog.pinned_set,
            closed=catalog.closed,
            total=catalog.total,
            hidden=catalog.hidden,
            query=query,
            namespace=namespace,
            listing=catalog.listing,
            page=page,
            page_query=page_query(self.request),
            **kwargs,
        )


class RepositoryView(CachedPageMixin, RegistryMixin, TemplateView):
    template_name = "registries/repository.html"

    def get_context_data(self, **kwargs) -> dict:
        repository = self.kwargs["repository"]
        query = self.request.GET.get("q", "").strip()
        table = tag_table(
            registry=self.registry,
            repository=repository,
            query=query,
            sort=self.request.GET.get("sort", "natural"),
            refresh=self.refresh,
        )
        # cosign's `sha256-<hex>.sig/.att/.sbom` tags are shown under their image instead.
        folded = fold_helper_tags(table.tags)
        page = Paginator(folded.tags, settings.REGFRONT_TAGS_PER_PAGE).get_page(
            self.request.GET.get("page")
        )
        rows = tag_rows(
            registry=self.registry,
            repository=repository,
            table=table,
            tags=list(page.object_list),
            refresh=self.refresh,
        )
        shown, has_events = [row.tag for row in rows], bool(self.registry.webhook_secret)
        rows = mark_helpers(mark_shared_digests(rows), folded.helpers)
        if has_events:  # who pushed and pulls come from the registry's events
            pushes = current_pushes(registry=self.registry, repository=repository, tags=shown)
            pulls = tag_pulls(registry=self.registry, repository=repository, tags=shown)
            rows = mark_history(rows, pushes, pulls)
        return super().get_context_data(
            latest_pushes=latest_pushes(registry=self.registry, repository=repository)
            if has_events
            else [],
            rows=rows,
            has_events=has_events,
            folded=folded.folded,
            page=page,
            query=query,
            sort=table.sort,
            sort_limited=table.sort_limited,
            sort_max=settings.REGFRONT_SORT_BY_DATE_MAX,
            origin=table.origin,
            listing_age=_live_age(self.registry, repository, table.origin),
            tag_count=len(folded.tags),
            hidden=services.tag_hidden_count(registry=self.registry, repository=repository),
            page_query=page_query(self.request),
            **kwargs,
        )


def _live_age(
    registry: Registry, repository: str, origin: IndexOrigin
) -> services.ListingAge | None:
    """How old the tag list read live from the registry is (pages answered from the index
    say the index's age instead)."""
    if origin.source == "index":
        return None
    return services.tag_list_age(registry=registry, repository=repository)


def mark_shared_digests(rows: list[services.TagSummary]) -> list[dict]:
    """Pair each visible tag with the other visible tags that point at the same digest."""
    by_digest: dict[str, list[str]] = {}
    for row in rows:
        if row.image:
            by_digest.setdefault(row.image.digest, []).append(row.tag)
    return [
        {
            "summary": row,
            "same_as": [t for t in by_digest.get(row.image.digest, []) if t != row.tag]
            if row.image
            else [],
        }
        for row in rows
    ]


def mark_helpers(rows: list[dict], helpers: dict[str, list[str]]) -> list[dict]:
    """Give each row the helper kinds (signature, SBOM…) folded under its digest."""
    for row in rows:
        image = row["summary"].image
        row["helpers"] = helpers.get(image.digest, []) if image else []
    return rows


def mark_history(rows: list[dict], pushes: dict, pulls: dict) -> list[dict]:
    """Give each row who pushed its current digest and when (where known), and its pulls."""
    for row in rows:
        tag = row["summary"].tag
        row["pushed"], row["pulls"] = pushes.get(tag), pulls.get(tag)
    return rows


class ManifestView(CachedPageMixin, RegistryMixin, TemplateView):
    """A tag (`repo:tag`) or a digest (`repo@sha256:…`): one page for both."""

    template_name = "registries/manifest.html"

    def get_context_data(self, **kwargs) -> dict:
        repository, tag, digest = (
            self.kwargs["repository"],
            self.kwargs["tag"],
            self.kwargs["digest"],
        )
        detail = services.manifest_detail(
            registry=self.registry, repository=repository, tag=tag, digest=digest
        )
        siblings = tag_siblings(registry=self.registry, repository=repository, digest=detail.digest)
        host = self.registry.host
        # After the siblings: the badge reads the tag list they just cached.
        badge = (
            supply_chain_badge(registry=self.registry, repository=repository, detail=detail)
            if detail.kind in ("image", "index")
            else None
        )
        return super().get_context_data(
            detail=detail,
            supply_badge=badge,
            supply_chain_url=supply_chain_url(
                self.registry.name, repository, tag=tag or "", digest="" if tag else detail.digest
            ),
            siblings=[t for t in siblings.tags if t != tag],
            siblings_complete=siblings.complete,
            origin=siblings.origin,
            listing_age=_live_age(self.registry, repository, siblings.origin),
            pull_by_tag=f"{host}/{repository}:{tag}" if tag else None,
            pull_by_digest=f"{host}/{repository}@{detail.digest}",
            fragment_ttl=settings.REGFRONT_CACHE_TTL,
            delete_url=manifest_delete_url(
                self.registry, repository, tag=tag or "", digest="" if tag else detail.digest
            )
            if self.request.user.has_perm("registries.delete_manifest")
            else None,
            **self.history_context(repository, tag, detail.digest),
            **kwargs,
        )

    def history_context(self, repository: str, tag: str | None, digest: str) -> dict:
        """Who pushed this digest under the tag and when, its pulls, and the history links."""
        reference = f"{repository}:{tag}" if tag else f"{repository}@{digest}"
        add_tag = reverse("registries:tag_add", args=[self.registry.name, reference])
        may_add = self.request.user.has_perm("registries.change_manifest")
        context = {"add_tag_url": add_tag if may_add else ""}
        if may_add:
            visible = Registry.objects.visible_to(self.request.user)
            context |= {
                "copy_url": reverse("registries:copy", args=[self.registry.name, reference]),
                "promote_url": reverse("registries:promote", args=[self.registry.name, reference]),
                "routes": list(self.registry.routes_out.filter(target__in=visible)),
            }
        if not tag:
            return context
        context["history_url"] = reverse(
            "registries:tag_history", args=[self.registry.name, f"{repository}:{tag}"]
        )
        if not self.registry.webhook_secret:
            return context  # who pushed and pulls come from events: none, so no queries
        pushed = current_pushes(registry=self.registry, repository=repository, tags=[tag])
        pulls = tag_pulls(registry=self.registry, repository=repository, tags=[tag])
        return context | {
            "pushed": pushed[tag] if tag in pushed and pushed[tag].digest == digest else None,
            "pulls": pulls.get(tag),
            "has_events": True,
        }


def reference_view(request: HttpRequest, name: str, reference: str) -> HttpResponse:
    """Route `/registry/<name>/<reference>` by the reference grammar, as people paste it."""
    registry = get_object_or_404(Registry.objects.visible_to(request.user), name=name)
    try:
        parsed = parse_repository_path(reference)
    except InvalidReference as exc:
        return invalid_reference_response(request, registry, str(exc))
    if repository_on(registry.host, parsed.repository) != parsed.repository:
        return redirect(reference_url(registry, parsed))  # Docker Hub: `alpine` is `library/…`
    if parsed.tag or parsed.digest:
        return ManifestView.as_view(registry=registry)(
            request, name=name, repository=parsed.repository, tag=parsed.tag, digest=parsed.digest
        )
    if not reference.endswith("/"):
        return redirect(repository_url(registry, parsed.repository))
    return RepositoryView.as_view(registry=registry)(
        request, name=name, repository=parsed.repository
    )


class JumpView(TemplateView):
    """The header's jump box: `host/repo:tag`, `repo@sha256:…` or a repository name; any
    other text is a search."""

    template_name = "registries/jump.html"

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        text = request.GET.get("ref", "").strip()
        if not text:
            return redirect("registries:home")
        # `sha256:<hex>` would parse as repository `sha256`, tag `<hex>`: people mean a digest.
        if text.lower().startswith("sha256:"):
            return redirect(search_url(text))
        try:
            reference = parse_image_reference(text)
        except InvalidReference:
            return redirect(search_url(text))
        registries = list(Registry.objects.visible_to(request.user))
        registry = registry_for_reference(
            registries, domain=reference.domain, current=request.GET.get("registry", "")
        )
        if registry is not None:
            return redirect(reference_url(registry, reference))
        if reference.domain:
            raise Http404(f"No registry is configured for {reference.domain}.")
        choices = [(r, reference_url(r, reference)) for r in registries]
        return self.render_to_response(self.get_context_data(text=text, choices=choices))
