"""`GET /api/v1/registries/<name>/repositories/<repository>/files?reference=&path=`: the
files of an image as JSON, from the same services and with the same permissions as the Files
pages: how far its layers are listed (and why one cannot be), the entry at `path`, and for a
directory one page of its entries. An index lists its platforms instead."""

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.urls import reverse

from registries import services
from registries.api.views import ApiError, ApiView, _repository, paged
from registries.client.reference import InvalidReference, check_tag, parse_digest
from registries.contents.layers import safe_path
from registries.contents.models import LayerListing
from registries.contents.services import ImageFiles, LayerRow
from registries.contents.tree import Node, Tree, mode_string
from registries.contents.views import detail_files, files_url
from registries.models import Registry

ENTRIES_PER_PAGE = 100
State = LayerListing.State


def reference_param(request: HttpRequest) -> tuple[str | None, str | None]:
    """(tag, digest) from `?reference=`: a tag, or a digest when it holds a `:`."""
    text = request.GET.get("reference", "")
    if not text:
        raise ApiError(400, "bad_request", "reference (a tag or a digest) is required.")
    try:
        return (None, parse_digest(text)) if ":" in text else (check_tag(text), None)
    except InvalidReference as exc:
        raise ApiError(400, "invalid_reference", str(exc)) from exc


def files_state(files: ImageFiles) -> str:
    """One word for all the layers: failed wins, then listing, then pending."""
    states = {row.listing.state for row in files.layers}
    for state in (State.FAILED, State.LISTING, State.PENDING):
        if state in states:
            return state.value
    return State.READY.value


def layer_json(row: LayerRow) -> dict[str, Any]:
    listing = row.listing
    ready = listing.state == State.READY
    return {
        "number": row.index + 1,
        "digest": row.descriptor.digest,
        "size": row.descriptor.size,
        "state": listing.state,
        "entry_count": listing.entry_count if ready else None,
        "refused_count": listing.refused_count if ready else None,
        "error": listing.error or None,
        "limit": listing.limit or None,
        "retried": listing.state == State.FAILED and listing.transient,
    }


def entry_json(tree: Tree, web_base: str, name: str, path: str, node: Node) -> dict[str, Any]:
    entry = node.entry
    return {
        "name": name,
        "path": path,
        "kind": node.kind,
        "size": tree.size_of(node) if node.kind in ("file", "hardlink") else None,
        "mode": entry.mode if entry else None,
        "permissions": mode_string(node.kind, entry.mode) if entry else None,
        "uid": entry.uid if entry else None,
        "gid": entry.gid if entry else None,
        "user": entry.uname if entry else None,
        "group": entry.gname if entry else None,
        "link": (entry.link or None) if entry else None,
        "layer": node.layer + 1,
        "web_url": web_base + path,
    }


class FilesApi(ApiView):
    def get(self, request: HttpRequest, name: str, repository: str) -> JsonResponse:
        registry = self.registry(name)
        repository = _repository(registry, repository)
        tag, digest = reference_param(request)
        path = safe_path(request.GET.get("path", "").strip("/"))
        if path is None:
            raise ApiError(400, "bad_request", "path must stay inside the image (no `..`).")
        detail = services.manifest_detail(
            registry=registry, repository=repository, tag=tag, digest=digest
        )
        reference = f"{repository}:{tag}" if tag else f"{repository}@{detail.digest}"
        body: dict[str, Any] = {
            "registry": registry.name,
            "repository": repository,
            "reference": tag or detail.digest,
            "digest": detail.digest,
            "kind": detail.kind,
            "path": path,
            "platforms": self.platforms(registry, repository, detail),
            "state": None,
            "layers": [],
            "entry": None,
            "entries": None,
            "web_url": files_url(registry.name, reference, path),
        }
        files = detail_files(registry=registry, repository=repository, detail=detail)
        if files is None:
            return JsonResponse(body)
        body |= {"state": files_state(files), "layers": [layer_json(r) for r in files.layers]}
        if files.tree is not None:
            body |= self.tree_json(request, files.tree, files_url(registry.name, reference), path)
        return JsonResponse(body)

    def platforms(
        self, registry: Registry, repository: str, detail: services.ManifestDetail
    ) -> list[dict[str, Any]]:
        api_url = reverse("api:files", args=[registry.name, repository])
        return [
            {
                "platform": row.platform,
                "digest": row.descriptor.digest,
                "files_url": f"{api_url}?reference={row.descriptor.digest}",
            }
            for row in detail.platforms
            if not row.attestation
        ]

    def tree_json(self, request: HttpRequest, tree: Tree, web_base: str, path: str) -> dict:
        node = tree.nodes.get(path)
        if node is None:
            raise ApiError(404, "not_found", "No such path in this image.")
        body: dict[str, Any] = {
            "entry": entry_json(tree, web_base, path.rpartition("/")[2], path, node)
        }
        if node.kind == "dir":
            rows, meta = paged(request, tree.listing(path), default_per_page=ENTRIES_PER_PAGE)
            body["entries"] = meta | {"items": [entry_json(tree, web_base, *r) for r in rows]}
        return body
