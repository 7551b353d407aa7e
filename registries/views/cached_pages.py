"""Whole pages served from the cache while what they were built from has not changed.

Rendering a warm tag or repository page costs 20-50 ms of CPU (queries, a dozen cache reads,
the template: docs/benchmarks.md "Speed II"); served from here it costs the registry row and
one cache round trip. A stored page is served while
- the repository's generation is the one it was rendered under (deletes, pushes, index
  changes, restores and copies move it), and
- no changeable entry it was built from has passed REGFRONT_CACHE_TTL.
Then one request at a time renders it again, which serves the stale entries and queues their
refresh as it would without this cache, while the other requests get the stored page: nobody
waits. A page rendered from stale entries is stored as stale already, so the first request
after their refresh shows it. Refresh renders live and drops the stored page.

Pages are stored per person (their buttons follow permissions) and per URL; the CSRF token in
a stored page is a placeholder, replaced by the request's own token each time it is served.
"""

import secrets
import time
from typing import NamedTuple

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils.translation import get_language

from regfront.metrics import observe_cache
from registries.services.cache import generation_key, make_key, reading


class StoredPage(NamedTuple):
    generation: int  # the repository's, when rendered
    fresh_until: float  # time.time() at which its oldest entry turns stale
    html: str
    token: str  # the CSRF placeholder in html, "" when it holds none


class CachedPageMixin:
    """Put before RegistryMixin on a TemplateView of one repository (kwargs["repository"])."""

    csrf_placeholder = ""

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not settings.REGFRONT_PAGE_CACHE or _has_messages(request):
            return super().get(request, *args, **kwargs)
        key = self.page_key(request)
        if self.refresh:
            cache.delete(key)
            return super().get(request, *args, **kwargs)
        generation = generation_key(self.registry.pk, self.kwargs["repository"])
        found = cache.get_many([key, generation])
        stored, current = found.get(key), found.get(generation, 0)
        if (
            isinstance(stored, StoredPage)
            and stored.generation == current
            and (stored.fresh_until > time.time() or not _claim_render(key))
        ):
            observe_cache(hit=True, kind="page")
            return HttpResponse(_with_token(request, stored.html, stored.token))
        observe_cache(hit=False, kind="page")
        try:
            return self.render_and_store(request, key, current, *args, **kwargs)
        finally:
            cache.delete(make_key("page-rendering", key))

    def page_key(self, request: HttpRequest) -> str:
        registry = self.registry
        query = sorted((k, v) for k, v in request.GET.lists() if k != "refresh")
        return make_key(
            "page",
            type(self).__name__,
            registry.pk,
            registry.url,
            registry.updated_at,
            request.path,
            query,
            request.user.pk,
            get_language(),
        )

    def render_and_store(
        self, request: HttpRequest, key: str, generation: int, *args, **kwargs
    ) -> HttpResponse:
        self.csrf_placeholder = f"csrf{secrets.token_hex(16)}"
        with reading() as noted:
            response = super().get(request, *args, **kwargs)
            response.render()
        html = response.content.decode()
        token = self.csrf_placeholder if self.csrf_placeholder in html else ""
        # A part that said "could not check" is asked again by the next visit.
        if response.status_code == 200 and not noted.failed:
            stored = StoredPage(generation, time.time() + noted.fresh_for, html, token)
            cache.set(key, stored, noted.fresh_for + settings.REGFRONT_STALE_SECONDS)
        response.content = _with_token(request, html, token)
        return response

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        if self.csrf_placeholder:  # the view's context wins over the csrf context processor
            context["csrf_token"] = self.csrf_placeholder
        return context


def _claim_render(key: str) -> bool:
    """True for the one request (across processes) that may render a stale page now."""
    return cache.add(make_key("page-rendering", key), 1, settings.REGFRONT_PAGE_DEADLINE)


def _with_token(request: HttpRequest, html: str, placeholder: str) -> str:
    return html.replace(placeholder, get_token(request)) if placeholder else html


def _has_messages(request: HttpRequest) -> bool:
    """A page showing one-off messages is neither served from nor kept in the cache."""
    storage = getattr(request, "_messages", None)
    return storage is not None and len(storage) > 0
