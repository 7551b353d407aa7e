"""Copy an image (`…/<repo>:<tag>/copy`, `…@<digest>/copy`), promote it along a route, and
follow the copy (`/manage/copies/<pk>/`). Copying needs `registries.change_manifest` and
both registries visible to the person; the worker does the copying, never the page."""

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from registries.client.reference import InvalidReference, check_repository, check_tag
from registries.history.views import CHANGE, ReferenceMixin
from registries.models import Registry
from registries.promotion.copy import copy_create
from registries.promotion.models import CopyJob, PromotionRoute
from registries.promotion.tasks import copy_enqueue

STALLED = timedelta(minutes=10)  # a running copy reports progress at least once a chunk


class CopyForm(forms.Form):
    target = forms.ModelChoiceField(queryset=Registry.objects.none(), label="To registry",
                                    to_field_name="name")  # fmt: skip
    repository = forms.CharField(label="Repository", max_length=255)
    tag = forms.CharField(label="Tag", max_length=128, required=False,
                          help_text="Empty: copied by digest, without a tag.")  # fmt: skip
    with_referrers = forms.BooleanField(
        label="With its signatures, SBOMs and attestations", required=False, initial=True
    )

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["target"].queryset = Registry.objects.visible_to(user)

    def clean_repository(self) -> str:
        try:
            return check_repository(self.cleaned_data["repository"].strip())
        except InvalidReference as exc:
            raise forms.ValidationError(str(exc)) from exc

    def clean_tag(self) -> str:
        tag = self.cleaned_data["tag"].strip()
        try:
            return check_tag(tag) if tag else ""
        except InvalidReference as exc:
            raise forms.ValidationError(str(exc)) from exc


def _queued(request: HttpRequest, job: CopyJob) -> HttpResponse:
    copy_enqueue(job=job)
    messages.success(request, f"Copy {job.pk} is queued: the worker copies it.")
    return redirect("registries:copy_job", job.pk)


class CopyView(ReferenceMixin, PermissionRequiredMixin, TemplateView):
    template_name = "registries/copy_form.html"
    permission_required = CHANGE
    digests_too = True

    def form(self, data=None) -> CopyForm:
        initial = {"target": self.registry.name, "repository": self.kwargs["repository"],
                   "tag": self.kwargs["tag"] or "", "with_referrers": True}  # fmt: skip
        return CopyForm(data, initial=initial, user=self.request.user)

    def get_context_data(self, **kwargs) -> dict:
        kwargs.setdefault("form", self.form())
        return super().get_context_data(tag=self.kwargs["tag"], digest=self.kwargs["digest"],
                                        **kwargs)  # fmt: skip

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        form = self.form(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        data = form.cleaned_data
        job = copy_create(
            source=self.registry, repository=self.kwargs["repository"], tag=self.kwargs["tag"],
            digest=self.kwargs["digest"], target=data["target"],
            target_repository=data["repository"], target_tag=data["tag"],
            with_referrers=data["with_referrers"], user=request.user,
        )  # fmt: skip
        return _queued(request, job)


class PromoteView(ReferenceMixin, PermissionRequiredMixin, View):
    """POST: copy the tag, with its signatures, along a route to the same repository and tag
    on the route's target registry."""

    permission_required = CHANGE
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        route = get_object_or_404(PromotionRoute, pk=request.POST.get("route") or 0,
                                  source=self.registry)  # fmt: skip
        if not Registry.objects.visible_to(request.user).filter(pk=route.target_id).exists():
            raise Http404("No such route.")
        job = copy_create(
            source=self.registry, repository=self.kwargs["repository"], tag=self.kwargs["tag"],
            digest=self.kwargs["digest"], target=route.target,
            target_repository=self.kwargs["repository"], target_tag=self.kwargs["tag"] or "",
            with_referrers=True, user=request.user, route=route,
        )  # fmt: skip
        return _queued(request, job)


class JobMixin(LoginRequiredMixin):
    """The job, for whoever asked for it or may copy, when both registries are visible."""

    def job(self) -> CopyJob:
        user = self.request.user
        visible = Registry.objects.visible_to(user)
        job = get_object_or_404(
            CopyJob.objects.select_related("source", "target", "requested_by")
            .filter(source__in=visible, target__in=visible), pk=self.kwargs["pk"],
        )  # fmt: skip
        if job.requested_by_id != user.pk and not user.has_perm(CHANGE):
            raise Http404("No such copy.")
        return job


class CopyJobView(JobMixin, TemplateView):
    template_name = "registries/copy_job.html"

    def get_context_data(self, **kwargs) -> dict:
        return super().get_context_data(job=self.job(), **kwargs)


class CopyResumeView(JobMixin, View):
    """POST: queue a failed job again (or one whose worker died: no progress for a while);
    what the target already has is skipped."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        job = self.job()
        if not request.user.has_perm(CHANGE):
            raise Http404("No such copy.")
        resumed = CopyJob.objects.filter(pk=job.pk).filter(job_resumable())
        if not resumed.update(state=CopyJob.State.QUEUED):
            messages.info(request, f"Copy {job.pk} is not stopped: nothing to resume.")
            return redirect("registries:copy_job", job.pk)
        return _queued(request, job)


def job_resumable() -> Q:
    """Failed, or running without progress for STALLED (its worker died)."""
    stalled = timezone.now() - STALLED
    return Q(state=CopyJob.State.FAILED) | Q(state=CopyJob.State.RUNNING, updated_at__lt=stalled)
