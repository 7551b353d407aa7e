"""A tag's history, restore, and adding a tag to an image.

`…/<repo>:<tag>/history` shows every digest the tag has pointed at to anyone who may see
the registry; restoring one and adding tags need `registries.change_manifest`, a
confirmation, and a POST (CSRF). The registry is asked at the time: a digest garbage
collection took is refused with a sentence saying so.
"""

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.generic import TemplateView

from registries import services
from registries.audit import Action
from registries.browsing import repository_url
from registries.client import errors
from registries.client.reference import (
    InvalidReference,
    check_tag,
    parse_digest,
    parse_repository_path,
)
from registries.history.pulls import tag_pulls
from registries.history.restore import availability, tag_put
from registries.history.services import tag_history
from registries.views.browse import RegistryMixin
from registries.views.errors import invalid_reference_response

CHANGE = "registries.change_manifest"


def history_url(registry_name: str, repository: str, tag: str, *, page: str = "") -> str:
    name = "tag_history_restore" if page == "restore" else "tag_history"
    return reverse(f"registries:{name}", args=[registry_name, f"{repository}:{tag}"])


class ReferenceMixin(RegistryMixin):
    """`<repo>:<tag>` (or, where `digests_too`, `<repo>@<digest>`) from the URL."""

    digests_too = False

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if isinstance(self, PermissionRequiredMixin) and not self.has_permission():
            return self.handle_no_permission()  # before anything about the tag is read
        try:
            parsed = parse_repository_path(kwargs["reference"])
        except InvalidReference as exc:
            return invalid_reference_response(request, self.registry, str(exc))
        if not parsed.tag and not (self.digests_too and parsed.digest):
            return invalid_reference_response(request, self.registry, "Name a tag.")
        self.kwargs.update(repository=parsed.repository, tag=parsed.tag, digest=parsed.digest)
        return super().dispatch(request, *args, **kwargs)


class TagHistoryView(ReferenceMixin, TemplateView):
    template_name = "registries/tag_history.html"

    def get_context_data(self, **kwargs) -> dict:
        repository, tag = self.kwargs["repository"], self.kwargs["tag"]
        return super().get_context_data(
            tag=tag,
            entries=tag_history(registry=self.registry, repository=repository, tag=tag),
            pulls=tag_pulls(registry=self.registry, repository=repository, tags=[tag]).get(tag),
            has_events=bool(self.registry.webhook_secret),
            may_restore=self.request.user.has_perm(CHANGE),
            restore_url=history_url(self.registry.name, repository, tag, page="restore"),
            **kwargs,
        )


def _current(registry, repository: str, tag: str) -> str:
    try:
        return services.tag_digest(registry=registry, repository=repository, tag=tag, refresh=True)
    except errors.NotFound:
        return ""  # the tag is gone: restoring it brings it back


class RestoreView(ReferenceMixin, PermissionRequiredMixin, TemplateView):
    """GET `?digest=`: what a restore would do and whether it can; POST: do it."""

    template_name = "registries/tag_restore.html"
    permission_required = CHANGE

    def digest(self, data) -> str | None:
        try:
            return parse_digest(data.get("digest", ""))
        except InvalidReference:
            return None

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        digest = self.digest(request.GET)
        if digest is None:
            return invalid_reference_response(request, self.registry, "Name a digest to restore.")
        repository, tag = self.kwargs["repository"], self.kwargs["tag"]
        found = availability(registry=self.registry, repository=repository, digest=digest)
        context = self.get_context_data(
            tag=tag, digest=digest, found=found, current=_current(self.registry, repository, tag)
        )
        return self.render_to_response(context, status=200 if found.ok else 409)

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        digest = self.digest(request.POST)
        if digest is None:
            return invalid_reference_response(request, self.registry, "Name a digest to restore.")
        repository, tag = self.kwargs["repository"], self.kwargs["tag"]
        found = tag_put(registry=self.registry, repository=repository, tag=tag, digest=digest,
                        user=request.user, action=Action.TAG_RESTORE)  # fmt: skip
        if not found.ok:
            context = self.get_context_data(tag=tag, digest=digest, found=found, current="")
            return self.render_to_response(context, status=409)
        messages.success(request, f"{repository}:{tag} points at {digest} again.")
        return redirect(repository_url(self.registry, repository, tag=tag))


class RetagView(ReferenceMixin, PermissionRequiredMixin, TemplateView):
    """Add a tag to the image a tag or digest names (a PUT of the same manifest bytes)."""

    template_name = "registries/tag_add.html"
    permission_required = CHANGE
    digests_too = True

    def source_digest(self) -> str:
        if self.kwargs["digest"]:
            return self.kwargs["digest"]
        return services.tag_digest(registry=self.registry, repository=self.kwargs["repository"],
                                   tag=self.kwargs["tag"], refresh=True)  # fmt: skip

    def get_context_data(self, **kwargs) -> dict:
        kwargs.setdefault("digest", self.source_digest())
        return super().get_context_data(source_tag=self.kwargs["tag"], **kwargs)

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        repository, digest = self.kwargs["repository"], self.source_digest()
        new_tag = request.POST.get("new_tag", "").strip()
        try:
            check_tag(new_tag)
        except InvalidReference as exc:
            return self.again(digest, new_tag, f"That is no tag name: {exc}")
        now = _current(self.registry, repository, new_tag)
        if now == digest:
            return self.again(digest, new_tag, f"{new_tag} already points at this image.")
        if now and request.POST.get("move") != "1":
            return self.again(digest, new_tag, f"{new_tag} points at {now} now: tick “Move it” "
                              "to point it at this image instead.", moving=now)  # fmt: skip
        found = tag_put(registry=self.registry, repository=repository, tag=new_tag,
                        digest=digest, user=request.user, action=Action.TAG_ADD)  # fmt: skip
        if not found.ok:
            return self.again(digest, new_tag, found.problem)
        messages.success(request, f"{repository}:{new_tag} points at {digest}.")
        return redirect(repository_url(self.registry, repository, tag=new_tag))

    def again(self, digest: str, new_tag: str, error: str, *, moving: str = "") -> HttpResponse:
        context = self.get_context_data(digest=digest, new_tag=new_tag, error=error,
                                        moving=moving)  # fmt: skip
        return self.render_to_response(context, status=409 if moving else 400)
