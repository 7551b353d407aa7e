"""Inventory pages: *Sync now* on a registry (its state is shown on the catalog page) and
search across registries."""

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views import View
from django.views.generic import TemplateView

from registries.inventory.search import search_index
from registries.inventory.services import inventory_enqueue_registry
from registries.models import Registry

SEARCH_LIMIT = 20  # hits per group on the page


class SyncNowView(PermissionRequiredMixin, View):
    """POST only (CSRF): enqueue a full sync of the registry, deduplicated."""

    http_method_names = ["post"]
    permission_required = "registries.change_registry"

    def post(self, request: HttpRequest, name: str) -> HttpResponse:
        registry = get_object_or_404(Registry.objects.visible_to(request.user), name=name)
        inventory_enqueue_registry(registry=registry)
        messages.success(request, f"A sync of {registry.name} is queued; the worker runs it.")
        return redirect("registries:catalog", registry.name)


class SearchView(TemplateView):
    """`/search/?q=`: the index of every registry the person may see (an empty query shows
    only the form)."""

    template_name = "registries/search.html"

    def get_context_data(self, **kwargs) -> dict:
        query = self.request.GET.get("q", "").strip()
        results = (
            search_index(user=self.request.user, query=query, limit=SEARCH_LIMIT) if query else None
        )
        return super().get_context_data(results=results, limit=SEARCH_LIMIT, **kwargs)
