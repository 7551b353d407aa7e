"""The files inside an image: `/registry/<name>/<repo>:<tag>/files/<path>` (or `@<digest>`).

A directory lists its entries, anything else shows its own; a file also its first bytes
(text with line numbers, or its type), and `?download=1` streams it out of its layer as an
attachment. `?layer=<n>` shows what layer n added, changed and removed. An index asks which
platform. Names and contents in layers are hostile: the template escapes them like every
registry string, and a download is never anything a browser renders.
"""

import posixpath
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.generic import TemplateView

from registries import services
from registries.browsing import page_query
from registries.client.models import ImageManifest
from registries.client.reference import InvalidReference, parse_repository_path, repository_on
from registries.contents.file import FileUnreadable, file_download, file_preview
from registries.contents.layers import safe_path
from registries.contents.services import ImageFiles, image_files
from registries.contents.tree import Node, Tree, mode_string
from registries.models import Registry
from registries.views.browse import RegistryMixin
from registries.views.errors import invalid_reference_response

ENTRIES_PER_PAGE = 500
DATA_KINDS = ("file", "hardlink")  # entries with data to show and download
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


def detail_files(
    *, registry: Registry, repository: str, detail: services.ManifestDetail
) -> ImageFiles | None:
    """The files of an image manifest (listing small layers now); None for anything else."""
    parsed = detail.manifest.parsed
    if detail.kind == "index" or not isinstance(parsed, ImageManifest) or not parsed.is_image:
        return None
    return image_files(registry=registry, repository=repository, manifest=parsed)


def numbered(text: str) -> str:
    """The line numbers of ``text``, one per line, for the gutter beside it."""
    lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    return "\n".join(map(str, range(1, lines + 1)))


def symlink_target(tree: Tree, path: str, link: str) -> str | None:
    """The path a symlink leads to in the image, when the image has it."""
    target = posixpath.normpath(posixpath.join("/", posixpath.dirname(path), link)).lstrip("/")
    return target if target in tree.nodes else None


def unreadable_response(
    request: HttpRequest, registry: Registry, error: FileUnreadable
) -> HttpResponse:
    timed_out = error.limit.endswith(("_SECONDS", "_DEADLINE"))
    limit = f" (limit: {error.limit})" if error.limit else ""
    return TemplateResponse(
        request,
        "registries/error.html",
        {
            "registry": registry,
            "title": "The file cannot be read out of its layer",
            "message": f"{error}{limit}",
            "status": 504 if timed_out else 502,
        },
        status=504 if timed_out else 502,
    )


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

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.GET.get("download") == "1":
            return self.download()
        return super().get(request, *args, **kwargs)

    def image(self) -> tuple[services.ManifestDetail, ImageFiles | None]:
        repository, tag, digest = (self.kwargs[k] for k in ("repository", "tag", "digest"))
        detail = services.manifest_detail(
            registry=self.registry, repository=repository, tag=tag, digest=digest
        )
        return detail, detail_files(registry=self.registry, repository=repository, detail=detail)

    def get_context_data(self, **kwargs) -> dict:
        repository, tag, path = self.kwargs["repository"], self.kwargs["tag"], self.kwargs["path"]
        detail, files = self.image()
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
        if files is None:
            return context  # the template says an artifact has no files
        context["files"] = files
        if files.tree is not None:
            context |= self.tree_context(files, path)
        return context

    def download(self) -> HttpResponse:
        path = self.kwargs["path"]
        page = files_url(self.registry.name, self.kwargs["reference"], path)
        _detail, files = self.image()
        if files is None:
            raise Http404("This is not an image: it has no files.")
        if files.tree is None:
            return redirect(page)  # the page says how the listing is going
        node = files.tree.nodes.get(path)
        if node is None or node.kind not in DATA_KINDS:
            raise Http404("No such file in this image.")
        try:
            download = file_download(
                registry=self.registry,
                repository=self.kwargs["repository"],
                files=files,
                path=path,
            )
        except FileUnreadable as exc:
            return unreadable_response(self.request, self.registry, exc)
        body: Iterable[bytes] = download
        if self.request.method == "HEAD":
            download.close()  # the headers say it all: the file itself is not read
            body = []
        # Whatever the file holds, the browser saves it: never rendered, never sniffed.
        response = StreamingHttpResponse(body, content_type="application/octet-stream")
        response["Content-Length"] = str(download.size)
        response["Content-Disposition"] = content_disposition_header(True, path.rpartition("/")[2])
        response["X-Content-Type-Options"] = "nosniff"
        return response

    def tree_context(self, files: ImageFiles, path: str) -> dict:
        tree = files.tree
        assert tree is not None
        layer = self.request.GET.get("layer", "")
        if layer:
            return {"layer_changes": self.layer_context(tree, layer)}
        node = tree.nodes.get(path)
        if node is None:
            raise Http404("No such path in this image.")
        row = file_row(tree, path.rpartition("/")[2], path, node)
        context: dict = {"node": row}
        if node.kind == "symlink":
            context["link_target"] = symlink_target(tree, path, row.link)
        if node.kind in DATA_KINDS:
            preview = file_preview(
                registry=self.registry,
                repository=self.kwargs["repository"],
                files=files,
                path=path,
            )
            context["preview"] = preview
            if preview.kind is not None and preview.kind.text:
                context["gutter"] = numbered(preview.kind.text)
            context["download_url"] = (
                files_url(self.registry.name, self.kwargs["reference"], path) + "?download=1"
            )
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
