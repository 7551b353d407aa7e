"""JSON views over the same services and permissions as the pages.

ApiView authenticates (session or `Authorization: Bearer <token>`) and turns failures into
`{"error": {"code", "message"}}` with the pages' status codes (views/errors.py, ERROR_KINDS).
"""

import contextlib
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.views import View

from registries import services
from registries.api import serializers
from registries.api.auth import token_user
from registries.api.openapi import openapi_document
from registries.client import errors
from registries.client.reference import (
    InvalidReference,
    check_repository,
    check_tag,
    parse_digest,
    repository_on,
)
from registries.http import bearer_token
from registries.inventory.answers import tag_rows, tag_table
from registries.inventory.reads import SOURCE_INDEX, registry_indexes
from registries.models import Registry
from registries.services.bulkhead import registry_visit
from registries.views.errors import error_kind, retry_after_headers
from registries.views.errors import json_error_response as error_response

MAX_PER_PAGE = 100
MAX_PAGE = 1_000_000
QUERY_MAX_LENGTH = 255


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def registry_error_response(error: errors.RegistryError) -> JsonResponse:
    kind = error_kind(error)
    return error_response(
        kind.status, kind.code, error.user_message, headers=retry_after_headers(error)
    )


def int_param(request: HttpRequest, name: str, *, default: int, maximum: int) -> int:
    raw = request.GET.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if not 1 <= value <= maximum:
        raise ApiError(400, "bad_request", f"{name} must be a whole number from 1 to {maximum}.")
    return value


def query_param(request: HttpRequest) -> str:
    query = request.GET.get("q", "").strip()
    if len(query) > QUERY_MAX_LENGTH:
        raise ApiError(400, "bad_request", f"q is longer than {QUERY_MAX_LENGTH} characters.")
    return query


def paged(request: HttpRequest, items: list, *, default_per_page: int) -> tuple[list, dict]:
    """One page of `items` and the paging facts, with links to the pages around it."""
    number = int_param(request, "page", default=1, maximum=MAX_PAGE)
    per_page = int_param(
        request, "per_page", default=min(default_per_page, MAX_PER_PAGE), maximum=MAX_PER_PAGE
    )
    paginator = Paginator(items, per_page)
    if number > paginator.num_pages:
        raise ApiError(404, "not_found", f"There are {paginator.num_pages} page(s).")
    page = paginator.page(number)

    def link(to: int) -> str:
        params = request.GET.copy()
        params["page"] = str(to)
        return f"{request.path}?{urlencode(sorted(params.items()))}"

    meta = {
        "count": paginator.count,
        "page": number,
        "per_page": per_page,
        "pages": paginator.num_pages,
        "next": link(number + 1) if page.has_next() else None,
        "previous": link(number - 1) if page.has_previous() else None,
    }
    return list(page.object_list), meta


class ApiView(View):
    """Read-only: GET (and HEAD). Authenticates, then maps every failure to a JSON error."""

    http_method_names = ["get", "head"]
    # registry() makes the request a visit of the registry (a bulkhead place once it is asked,
    # held until the response is made); off for views that only read its status
    # (deadline-bound on their own).
    talks_to_registry = True

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            with contextlib.ExitStack() as self.registry_places:
                self.authenticate(request)
                return super().dispatch(request, *args, **kwargs)
        except ApiError as exc:
            return error_response(exc.status, exc.code, exc.message)
        except errors.RegistryError as exc:
            return registry_error_response(exc)

    def authenticate(self, request: HttpRequest) -> None:
        header = request.headers.get("Authorization")
        if header:
            # A token, when sent, decides alone: a bad one never falls back to the session.
            token = bearer_token(header)
            user = token_user(token) if token else None
            if user is None:
                raise ApiError(401, "unauthenticated", "The API token is invalid or revoked.")
            request.user = user
        if settings.REGFRONT_REQUIRE_LOGIN and not request.user.is_authenticated:
            raise ApiError(
                401, "unauthenticated", "Log in, or send an API token (Authorization: Bearer)."
            )

    def http_method_not_allowed(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        return error_response(
            405,
            "method_not_allowed",
            "The API is read-only.",
            headers={"Allow": "GET, HEAD"},
        )

    def registry(self, name: str) -> Registry:
        # Registries limited to other groups are indistinguishable from absent ones.
        registry = Registry.objects.visible_to(self.request.user).filter(name=name).first()
        if registry is None:
            raise ApiError(404, "not_found", "No registry with this name is visible to you.")
        if self.talks_to_registry:  # RegistryBusy (a 503) when its places are taken
            self.registry_places.enter_context(registry_visit(registry))
        return registry


class RootApi(ApiView):
    def get(self, request: HttpRequest) -> JsonResponse:
        return JsonResponse(
            {
                "registries_url": reverse("api:registries"),
                "openapi_url": reverse("api:openapi"),
            }
        )


class OpenApiDocument(View):
    """The OpenAPI 3 description; public, like the shape of any page."""

    def get(self, request: HttpRequest) -> JsonResponse:
        return JsonResponse(openapi_document(server_url=reverse("api:root").rstrip("/")))


def registries_json(registries: list[Registry]) -> list[dict[str, Any]]:
    """Live status; the repository count from the index once it has the registry, else from
    the cached catalog (null when neither knows it)."""
    statuses = services.registries_status(registries=registries)
    indexes = registry_indexes(registries=registries)
    bodies = []
    for registry in registries:
        index = indexes[registry.pk]
        indexed = index.origin.source == SOURCE_INDEX
        count = index.repositories if indexed else services.catalog_cached_size(registry=registry)
        bodies.append(
            serializers.registry_json(
                registry, status=statuses[registry.pk], repository_count=count, origin=index.origin
            )
        )
    return bodies


class RegistriesApi(ApiView):
    def get(self, request: HttpRequest) -> JsonResponse:
        registries = list(Registry.objects.visible_to(request.user))
        return JsonResponse({"registries": registries_json(registries)})


class RegistryApi(ApiView):
    talks_to_registry = False

    def get(self, request: HttpRequest, name: str) -> JsonResponse:
        return JsonResponse(registries_json([self.registry(name)])[0])


class RepositoriesApi(ApiView):
    """The catalog, pinned repositories first; only the pinned ones when it is closed."""

    def get(self, request: HttpRequest, name: str) -> JsonResponse:
        registry = self.registry(name)
        query = query_param(request)
        catalog = services.catalog_names(registry=registry, query=query)
        items, meta = paged(
            request, catalog.names, default_per_page=settings.REGFRONT_REPOSITORIES_PER_PAGE
        )
        body: dict[str, Any] = {
            "registry": registry.name,
            "catalog": {"available": catalog.closed is None, "message": catalog.closed},
            **meta,
            "repositories": [
                serializers.repository_json(registry, n, pinned=n in catalog.pinned_set)
                for n in items
            ],
        }
        return JsonResponse(body)


def _repository(registry: Registry, text: str) -> str:
    try:
        return repository_on(registry.host, check_repository(text))
    except InvalidReference as exc:
        raise ApiError(400, "invalid_reference", str(exc)) from exc


class TagsApi(ApiView):
    def get(self, request: HttpRequest, name: str, repository: str) -> JsonResponse:
        registry = self.registry(name)
        repository = _repository(registry, repository)
        table = tag_table(registry=registry, repository=repository, query=query_param(request))
        items, meta = paged(request, table.tags, default_per_page=settings.REGFRONT_TAGS_PER_PAGE)
        summaries = tag_rows(registry=registry, repository=repository, table=table, tags=items)
        return JsonResponse(
            {
                "registry": registry.name,
                "repository": repository,
                **serializers.origin_json(table.origin),
                **meta,
                "tags": [serializers.tag_json(summary) for summary in summaries],
            }
        )


class ManifestApi(ApiView):
    """A tag or a digest: manifest summary, platforms, layers and config."""

    def get(self, request: HttpRequest, name: str, repository: str, reference: str) -> JsonResponse:
        registry = self.registry(name)
        repository = _repository(registry, repository)
        tag = digest = None
        try:
            if ":" in reference:
                digest = parse_digest(reference)
            else:
                tag = check_tag(reference)
        except InvalidReference as exc:
            raise ApiError(400, "invalid_reference", str(exc)) from exc
        detail = services.manifest_detail(
            registry=registry, repository=repository, tag=tag, digest=digest
        )
        return JsonResponse(serializers.manifest_json(registry, repository, tag, detail))


def repository_api(request: HttpRequest, name: str, rest: str) -> HttpResponse:
    """Route `<repository>/tags` and `<repository>/manifests/<reference>`: repository names
    have any number of `/`, so the suffix decides (as in the registry API's own URLs)."""
    if rest.endswith("/tags"):
        return TagsApi.as_view()(request, name=name, repository=rest.removesuffix("/tags"))
    repository, marker, reference = rest.rpartition("/manifests/")
    if marker and repository and reference and "/" not in reference:
        return ManifestApi.as_view()(request, name=name, repository=repository, reference=reference)
    return error_response(404, "not_found", "No such API endpoint.")


def not_found(request: HttpRequest, path: str) -> JsonResponse:
    return error_response(404, "not_found", "No such API endpoint.")
