"""Cleanup pages under /manage/registries/<name>/retention/, for people with
`registries.change_registry` who may see the registry (others: 404 for a hidden registry,
403 otherwise). Changes are POSTs (CSRF); a run is the worker's job, never the page's."""

import hashlib
import json

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView

from registries.models import Registry
from registries.retention.forms import FIELDS, RetentionPolicyForm
from registries.retention.index import index_plan
from registries.retention.models import RetentionPolicy, RetentionRun
from registries.retention.plan import Plan
from registries.retention.rules import Rules
from registries.retention.run import run_create
from registries.retention.tasks import retention_enqueue_run, retention_schedule_policy


class RetentionMixin(PermissionRequiredMixin):
    permission_required = "registries.change_registry"
    policy: RetentionPolicy | None = None

    def setup(self, request: HttpRequest, *args, **kwargs) -> None:
        super().setup(request, *args, **kwargs)
        # Registries limited to other groups are indistinguishable from absent ones.
        self.registry = get_object_or_404(
            Registry.objects.visible_to(request.user), name=kwargs["name"]
        )

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not self.has_permission():  # before anything about policies is looked up
            return self.handle_no_permission()
        if "policy" in kwargs:
            self.policy = get_object_or_404(
                RetentionPolicy, registry=self.registry, name=kwargs["policy"]
            )
        return super().dispatch(request, *args, **kwargs)

    def policy_url(self) -> str:
        return reverse("registries:retention_policy", args=[self.registry.name, self.policy.name])

    def get_context_data(self, **kwargs) -> dict:
        kwargs.pop("policy", None)  # the URL's name for it; the page gets the row
        return super().get_context_data(registry=self.registry, policy=self.policy, **kwargs)


class PolicyListView(RetentionMixin, TemplateView):
    template_name = "registries/retention_list.html"

    def get_context_data(self, **kwargs) -> dict:
        return super().get_context_data(
            policies=list(RetentionPolicy.objects.filter(registry=self.registry)),
            runs=list(RetentionRun.objects.filter(registry=self.registry)[:20]),
            **kwargs,
        )


class PolicyFormView(RetentionMixin, TemplateView):
    """Add (no `policy` in the URL) or edit a policy."""

    template_name = "registries/retention_form.html"

    def form(self, data=None) -> RetentionPolicyForm:
        instance = self.policy or RetentionPolicy(registry=self.registry)
        return RetentionPolicyForm(data, instance=instance)

    def get_context_data(self, **kwargs) -> dict:
        kwargs.setdefault("form", self.form())
        return super().get_context_data(**kwargs)

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        form = self.form(request.POST)
        if form.is_valid():
            try:
                if self.policy is None:
                    policy = form.save()
                else:  # only the form's fields: the run lease is the worker's
                    policy = form.save(commit=False)
                    policy.save(update_fields=[*FIELDS, "updated_at"])
            except IntegrityError:
                form.add_error("name", "This registry already has a policy with this name.")
            else:
                retention_schedule_policy(policy=policy)
                messages.success(request, f"Policy {policy.name} saved.")
                self.policy = policy
                return redirect(self.policy_url())
        return self.render_to_response(self.get_context_data(form=form), status=400)


def plan_fingerprint(plan: Plan) -> str:
    """What the person saw: Run now runs that plan or nothing."""
    return hashlib.sha256(json.dumps(plan.as_json(), sort_keys=True).encode()).hexdigest()


class PolicyPlanView(RetentionMixin, TemplateView):
    """The policy's dry-run plan from the index, its runs, Run now and Pause."""

    template_name = "registries/retention_plan.html"

    def get_context_data(self, **kwargs) -> dict:
        plan = index_plan(registry=self.registry, rules=Rules.from_policy(self.policy))
        runs = list(self.policy.runs.all()[:20])
        fingerprint = plan_fingerprint(plan)
        return super().get_context_data(plan=plan, fingerprint=fingerprint, runs=runs, **kwargs)


class RunNowView(RetentionMixin, View):
    """POST: store the plan the page showed (unchanged since: its fingerprint) and queue its
    run for the worker."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if self.policy.paused:
            messages.error(request, f"Policy {self.policy.name} is paused: resume it first.")
            return redirect(self.policy_url())
        plan = index_plan(registry=self.registry, rules=Rules.from_policy(self.policy))
        if request.POST.get("plan") != plan_fingerprint(plan):
            messages.error(request, "The plan changed since the page showed it (the index was "
                           "updated, or the policy edited): review it, then run it.")  # fmt: skip
            return redirect(self.policy_url())
        run = run_create(registry=self.registry, rules=Rules.from_policy(self.policy),
                         policy=self.policy, trigger=RetentionRun.Trigger.PORTAL,
                         user=request.user, plan=plan)  # fmt: skip
        retention_enqueue_run(run=run)
        messages.success(request, f"Run {run.pk} of {self.policy.name} is queued.")
        return redirect("registries:retention_run", self.registry.name, run.pk)


class PauseView(RetentionMixin, View):
    """POST: pause (a running run stops before its next digest) or resume the policy."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        paused = request.POST.get("paused") == "1"
        RetentionPolicy.objects.filter(pk=self.policy.pk).update(paused=paused)
        state = "paused" if paused else "resumed"
        messages.success(request, f"Policy {self.policy.name} {state}.")
        return redirect(self.policy_url())


class OwnSelectionRunMixin:
    """Who deleted selected tags follows (and resumes) that run without cleanup rights."""

    def has_permission(self) -> bool:
        user = self.request.user
        if super().has_permission():
            return True
        return user.has_perm("registries.delete_manifest") and RetentionRun.objects.filter(
            registry=self.registry, pk=self.kwargs["pk"], requested_by=user.pk,
            trigger=RetentionRun.Trigger.SELECTION,
        ).exists()  # fmt: skip


class RunResumeView(OwnSelectionRunMixin, RetentionMixin, View):
    """POST: queue a stopped, paused or killed run again; it resumes at its first open digest
    (a run still going holds its policy's lease, so a second worker waits for it)."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        run = get_object_or_404(RetentionRun, registry=self.registry, pk=self.kwargs["pk"])
        if run.state == RetentionRun.State.DONE:
            messages.info(request, f"Run {run.pk} has finished: nothing to resume.")
        else:
            retention_enqueue_run(run=run)
            messages.success(request, f"Run {run.pk} is queued to resume.")
        return redirect("registries:retention_run", self.registry.name, run.pk)


class RunDetailView(OwnSelectionRunMixin, RetentionMixin, TemplateView):
    template_name = "registries/retention_run.html"

    def get_context_data(self, **kwargs) -> dict:
        run = get_object_or_404(RetentionRun, registry=self.registry, pk=self.kwargs["pk"])
        return super().get_context_data(run=run, items=list(run.items.all()), **kwargs)
