"""`GET /api/v1/search?q=&limit=`: the search page's answer as JSON, from the index of every
registry the caller may see (registries/inventory/search.py)."""

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.urls import reverse

from registries.api.views import ApiError, ApiView, int_param
from registries.browsing import repository_url
from registries.inventory.search import Group, LabelHit, RepositoryHit, TagHit, search_index

LIMIT_DEFAULT = 20
LIMIT_MAX = 100


def repository_hit_json(hit: RepositoryHit) -> dict[str, Any]:
    name = hit.registry.name
    return {
        "registry": name,
        "repository": hit.repository,
        "web_url": repository_url(hit.registry, hit.repository),
        "tags_url": reverse("api:repository", args=[name, f"{hit.repository}/tags"]),
    }


def tag_hit_json(hit: TagHit) -> dict[str, Any]:
    name = hit.registry.name
    return {
        "registry": name,
        "repository": hit.repository,
        "tag": hit.tag,
        "digest": hit.digest,
        "via": hit.via or None,
        "web_url": repository_url(hit.registry, hit.repository, tag=hit.tag),
        "manifest_url": reverse(
            "api:repository", args=[name, f"{hit.repository}/manifests/{hit.tag}"]
        ),
    }


def label_hit_json(hit: LabelHit) -> dict[str, Any]:
    return tag_hit_json(hit.holder) | {"key": hit.key, "value": hit.value}


def group_json[T](group: Group[T], shape: Callable[[T], dict[str, Any]]) -> dict[str, Any]:
    return {"hits": [shape(hit) for hit in group.hits], "more": group.more}


class SearchApi(ApiView):
    def get(self, request: HttpRequest) -> JsonResponse:
        limit = int_param(request, "limit", default=LIMIT_DEFAULT, maximum=LIMIT_MAX)
        results = search_index(user=request.user, query=request.GET.get("q", ""), limit=limit)
        if results.refused:
            raise ApiError(400, "bad_request", results.refused)
        return JsonResponse(
            {
                "query": results.query,
                "repositories": group_json(results.repositories, repository_hit_json),
                "tags": group_json(results.tags, tag_hit_json),
                "digests": group_json(results.digests, tag_hit_json),
                "labels": group_json(results.labels, label_hit_json),
            }
        )
