"""`GET /api/v1/compare?a=&b=[&platform=][&q=][&change=]`: two images' differences as JSON,
from the same service and with the same permissions as the Compare page
(registries/contents/compare_views.py): config, layers, history and, once both images'
layers are listed, one page of the files b added, removed or changed against a."""

from typing import Any

from django.http import Http404, HttpRequest, JsonResponse

from registries.api.views import ApiError, ApiView, paged, query_param, registry_error_response
from registries.contents import compare
from registries.contents.compare_views import (
    CHANGES,
    BadCompare,
    Comparison,
    Image,
    NotComparable,
    PlatformQuestion,
    SideFailed,
    compare_url,
    image_compare,
)
from registries.contents.services import ImageFiles

FILES_PER_PAGE = 100


def files_state(*images: ImageFiles) -> str:
    """Both images' layers in one word: failed wins, then listing, then pending."""
    states = {row.listing.state for files in images for row in files.layers}
    return next((s for s in ("failed", "listing", "pending") if s in states), "ready")


def image_json(image: Image) -> dict[str, Any]:
    side = image.side
    return {
        "reference": side.text,
        "registry": side.registry.name,
        "repository": side.reference.repository,
        "tag": side.reference.tag,
        "digest": image.detail.digest,
        "index_digest": side.detail.digest if side.is_index else None,
        "platform": image.detail.config.platform if image.detail.config else None,
        "web_url": side.page_url,
    }


def facts_json(facts: compare.FileFacts | None) -> dict[str, Any] | None:
    if facts is None:
        return None
    return {
        "kind": facts.kind,
        "size": facts.size,
        "permissions": facts.mode,
        "owner": facts.owner,
        "link": facts.link or None,
    }


def change_json(change: compare.FileChange) -> dict[str, Any]:
    return {
        "path": change.path,
        "change": change.change,
        "what": list(change.what),
        "a": facts_json(change.a),
        "b": facts_json(change.b),
    }


class CompareApi(ApiView):
    def get(self, request: HttpRequest) -> JsonResponse:
        a, b = request.GET.get("a", ""), request.GET.get("b", "")
        query = query_param(request)
        change = request.GET.get("change", "")
        if change not in ("", *CHANGES):
            raise ApiError(400, "bad_request", "change must be added, removed or changed.")
        platform = request.GET.get("platform", "")
        try:
            result = image_compare(user=request.user, a=a, b=b, platform=platform)
        except NotComparable as exc:  # a valid reference, to something else than an image
            raise ApiError(409, "not_comparable", str(exc)) from exc
        except BadCompare as exc:
            raise ApiError(400, "invalid_reference", str(exc)) from exc
        except Http404 as exc:
            raise ApiError(404, "not_found", str(exc)) from exc
        except SideFailed as exc:
            return registry_error_response(exc.error)
        if isinstance(result, PlatformQuestion):
            choices = ", ".join(result.common) or "none: they share no platform"
            # 409: the request is fine, the indexes hold several images to choose from.
            raise ApiError(
                409, "platform_required", f"Say which platform to compare (platform=): {choices}."
            )
        return JsonResponse(self.body(request, result, query=query, change=change))

    def body(self, request: HttpRequest, result: Comparison, *, query: str, change: str) -> dict:
        web = {"platform": result.platform} if result.platform else {}
        body: dict[str, Any] = {
            "a": image_json(result.a),
            "b": image_json(result.b),
            "platform": result.platform,
            "config": [
                {"field": r.field, "a": r.a, "b": r.b, "differs": r.differs} for r in result.config
            ],
            "layers": [
                {"digest": r.digest, "size": r.size, "a": r.a, "b": r.b, "change": r.change}
                for r in result.layers.rows
            ],
            "history": [
                {
                    "a": r.a.created_by if r.a else None,
                    "b": r.b.created_by if r.b else None,
                    "differs": r.differs,
                }
                for r in result.history
            ],
            "state": files_state(result.a.files, result.b.files),
            "files": None,
            "web_url": compare_url(result.a.side.text, result.b.side.text, **web),
        }
        if result.files is not None:
            matching = result.files.matching(query, change)
            items, meta = paged(request, matching, default_per_page=FILES_PER_PAGE)
            body["files"] = {"counts": result.files.counts(), **meta} | {
                "items": [change_json(c) for c in items]
            }
        return body
