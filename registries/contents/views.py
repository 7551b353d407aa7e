"""The files inside an image: `/registry/<name>/<repo>:<tag>/files/<path>` (or `@<digest>`).

A directory lists its entries, anything else shows its own; `?layer=<n>` shows what layer n
added, changed and removed. An index asks which platform. Names in layers are hostile: the
template escapes them like every registry string.
"""

from dataclasses import dataclass

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.generic import TemplateView

from registries import services
from registries.browsing import page_query
from registries.client.models import ImageManifest
from registries.client.reference import InvalidReference, parse_repository_path, repository_on
from registries.contents.layers import safe_path
from registries.contents.services import image_files
from registries.contents.tree import Node, Tree, mode_string
from registries.views.browse import RegistryMixin
from registries.views.errors import invalid_reference_response

ENTRIES_PER_PAGE = 500
CHANGES_SHOWN = 1000  # per list on a layer's page; the counts are always whole


def files_url(registry_name: str, reference: str, path: str = "") -> str:
    return reverse(
        "registries:files", kwargs={"name": registry_name, "reference": reference, "path": path}
    )


@dataclass(frozen=True)
class FileRow:
    name: str
    path: str
    kind: str
    size: int | None
    mode: str
    owner: str
    link: str
    layer: int  # 1-based, as people count layers; 0 for the root


def file_row(tree: Tree, name: str, path: str, node: Node) -> FileRow:
    entry = node.entry
    owner = f"{entry.uname or entry.uid}:{entry.gname or entry.gid}" if entry else ""
    return FileRow(
        name=name,
        path=path,
        kind=node.kind,
        size=tree.size_of(node) if node.kind in ("file", "hardlink") else None,
        mode=mode_string(node.kind, entry.mode) if entry else "d?????????",
        owner=owner,
        link=entry.link if entry else "",
        layer=node.layer + 1,
    )


def crumbs(path: str) -> list[tuple[str, str]]:
    """`usr/local/bin` → (label, path) for `usr`, `usr/local` and `usr/local/bin`."""
    parts = path.split("/") if path else []
    return [(part, "/".join(parts[: i + 1])) for i, part in enumerate(parts)]


class FilesView(RegistryMixin, TemplateView):
    template_name = "registries/files.html"

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            parsed = parse_repository_path(kwargs["reference"])
        except InvalidReference as exc:
            return invalid_reference_response(request, self.registry, str(exc))
        if repository_on(self.registry.host, parsed.repository) != parsed.repository:
            suffix = kwargs["reference"][len(parsed.repository) :]  # Docker Hub: `library/…`
            reference = repository_on(self.registry.host, parsed.repository) + suffix
            return redirect(files_url(self.registry.name, reference, kwargs["path"]))
        path = safe_path(kwargs["path"])
        if path is None:
            raise Http404("No such path in this image.")
        self.kwargs.update(
            repository=parsed.repository, tag=parsed.tag, digest=parsed.digest, path=path
        )
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs) -> dict:
        repository, tag, path = self.kwargs["repository"], self.kwargs["tag"], self.kwargs["path"]
        detail = services.manifest_detail(
            registry=self.registry, repository=repository, tag=tag, digest=self.kwargs["digest"]
        )
        context = super().get_context_data(
            detail=detail,
            tag=tag,
            path=path,
            path_crumbs=crumbs(path),
            files_base=files_url(self.registry.name, self.kwargs["reference"]),
        )  # not **kwargs: the URL's raw `path` is replaced by the normalised one
        if detail.kind == "index":
            context["platforms"] = [
                (row, files_url(self.registry.name, f"{repository}@{row.descriptor.digest}"))
                for row in detail.platforms
                if not row.attestation
            ]
            return context
        parsed = detail.manifest.parsed
        if not isinstance(parsed, ImageManifest) or not parsed.is_image:
            return context  # the template says an artifact has no files
        files = image_files(registry=self.registry, repository=repository, manifest=parsed)
        context["files"] = files
        if files.tree is not None:
            context |= self.tree_context(files.tree, path)
        return context

    def tree_context(self, tree: Tree, path: str) -> dict:
        layer = self.request.GET.get("layer", "")
        if layer:
            return {"layer_changes": self.layer_context(tree, layer)}
        node = tree.nodes.get(path)
        if node is None:
            raise Http404("No such path in this image.")
        context = {"node": file_row(tree, path.rpartition("/")[2], path, node)}
        if node.kind == "dir":
            rows = [file_row(tree, *item) for item in tree.listing(path)]
            context["page"] = Paginator(rows, ENTRIES_PER_PAGE).get_page(
                self.request.GET.get("page")
            )
            context["page_query"] = page_query(self.request)
        return context

    def layer_context(self, tree: Tree, layer: str) -> dict:
        if not layer.isdigit() or not 1 <= int(layer) <= len(tree.changes):
            raise Http404("No such layer in this image.")
        changes = tree.changes[int(layer) - 1]
        return {
            "number": int(layer),
            "lists": [
                (label, len(paths), paths[:CHANGES_SHOWN])
                for label, paths in (
                    ("Added", changes.added),
                    ("Changed", changes.changed),
                    ("Removed", changes.removed),
                )
            ],
        }
