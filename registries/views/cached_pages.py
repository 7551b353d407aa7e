"""Whole pages served from the cache while what they were built from has not changed.

Rendering a warm tag or repository page costs 20-50 ms of CPU (queries, a dozen cache reads,
the template: docs/benchmarks.md "Speed II"); served from here it costs the registry row and
one cache round trip. A stored page is served while
- the repository's generation is the one it was rendered under (deletes, pushes, index
  changes, restores and copies move it), and
- no changeable entry it was built from has passed REGFRONT_CACHE_TTL.
Then one request at a time, at most one a second, renders it again (serving the stale entries
and queuing their refresh as one task) while the other requests get the stored page: nobody
waits. When the refresh lands it moves the repository's pages stamp, so the next
request renders what it brought, again one at a time while the others get the stored page.
Refresh renders live and drops the stored page.

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
from registries.services.cache import (
    generation_key,
    lifetime,
    make_key,
    pages_stamp_key,
    reading,
)
from registries.services.refresh import refreshes_queue_deferred

RENDER_AGAIN_AFTER = 1  # second: one version of a page is rendered at most this often


class StoredPage(NamedTuple):
    version: tuple[int, int]  # the repository's generation and pages stamp, when rendered
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
        registry_id, repository = self.registry.pk, self.kwargs["repository"]
        generation_at = generation_key(registry_id, repository)
        stamp_at = pages_stamp_key(registry_id, repository)
        found = cache.get_many([key, generation_at, stamp_at])  # one round trip
        stored, current = found.get(key), (found.get(generation_at, 0), found.get(stamp_at, 0))
        if not isinstance(stored, StoredPage):
            stored = None
        if stored is not None and stored.version == current and stored.fresh_until > time.time():
            return _serve(request, stored)
        # One claim per version: a refresh that lands (moving the stamp) is rendered by the
        # next request even while a render from the stale entries still holds its claim.
        claim = make_key("page-rendering", key, current)
        # A changed repository (another generation) is never served old.
        if stored is not None and stored.version[0] == current[0] and not _claim_render(claim):
            return _serve(request, stored)
        observe_cache(hit=False, kind="page")
        try:
            response = self.render_and_store(request, key, current, *args, **kwargs)
        except BaseException:
            cache.delete(claim)
            raise
        # Held on, not dropped: a request that read the page this one replaces would claim
        # and render it again; and a page built from stale entries waits for their refresh.
        cache.set(claim, 1, RENDER_AGAIN_AFTER)
        return response

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
        self, request: HttpRequest, key: str, version: tuple[int, int], *args, **kwargs
    ) -> HttpResponse:
        self.csrf_placeholder = f"csrf{secrets.token_hex(16)}"
        try:
            with reading() as noted:
                response = super().get(request, *args, **kwargs)
                response.render()
        finally:  # the refreshes it found due, as one task: they land together
            refreshes_queue_deferred(noted.deferred)
        html = response.content.decode()
        token = self.csrf_placeholder if self.csrf_placeholder in html else ""
        # A part that said "could not check" is asked again by the next visit.
        kept = response.status_code == 200 and not noted.failed
        if kept:
            stored = StoredPage(version, time.time() + noted.fresh_for, html, token)
            cache.set(key, stored, noted.fresh_for + lifetime(key))
        response.content = _with_token(request, html, token)
        return response

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        if self.csrf_placeholder:  # the view's context wins over the csrf context processor
            context["csrf_token"] = self.csrf_placeholder
        return context


def _serve(request: HttpRequest, stored: StoredPage) -> HttpResponse:
    observe_cache(hit=True, kind="page")
    return HttpResponse(_with_token(request, stored.html, stored.token))


def _claim_render(claim: str) -> bool:
    """True for the one request (across processes) that may render an outdated page now."""
    return cache.add(claim, 1, lifetime(claim))


def _with_token(request: HttpRequest, html: str, placeholder: str) -> str:
    return html.replace(placeholder, get_token(request)) if placeholder else html


def _has_messages(request: HttpRequest) -> bool:
    """A page showing one-off messages is neither served from nor kept in the cache."""
    storage = getattr(request, "_messages", None)
    return storage is not None and len(storage) > 0
