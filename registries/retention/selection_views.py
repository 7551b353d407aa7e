"""Delete selected, from the repository page: for people with `registries.delete_manifest`.

Both steps are POSTs (CSRF): the first shows what would go, grouped by digest; the second
queues exactly that plan (its fingerprint) as a run for the worker, or shows it again when it
changed meanwhile. Nothing is deleted in the request.
"""

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.generic import TemplateView

from registries.browsing import repository_url
from registries.client.reference import InvalidReference, check_repository
from registries.inventory.answers import tag_table
from registries.retention.models import RetentionRun
from registries.retention.run import run_create
from registries.retention.selection import Selection, delete_support, plan_selection
from registries.retention.tasks import retention_enqueue_run
from registries.retention.views import plan_fingerprint
from registries.supplychain.folding import fold_helper_tags
from registries.views.browse import RegistryMixin
from registries.views.errors import invalid_reference_response

RUN_NAME = "selected tags"


class TagsDeleteView(RegistryMixin, PermissionRequiredMixin, TemplateView):
    template_name = "registries/tags_delete.html"
    permission_required = "registries.delete_manifest"
    http_method_names = ["post"]

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not self.has_permission():  # before anything about the repository is read
            return self.handle_no_permission()
        try:
            self.kwargs["repository"] = check_repository(request.POST.get("repository", ""))
        except InvalidReference as exc:
            return invalid_reference_response(request, self.registry, str(exc))
        return super().dispatch(request, *args, **kwargs)

    def chosen(self) -> set[str]:
        """The ticked tags, or every tag the page's filter matches ("select all matching")."""
        if self.request.POST.get("matching") != "1":
            return set(self.request.POST.getlist("tag"))
        table = tag_table(
            registry=self.registry,
            repository=self.kwargs["repository"],
            query=self.request.POST.get("q", "").strip(),
        )
        return set(fold_helper_tags(table.tags).tags)

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        repository = self.kwargs["repository"]
        chosen = self.chosen()
        if not chosen:
            messages.error(request, "Select at least one tag to delete.")
            return redirect(repository_url(self.registry, repository))
        support = delete_support(self.registry, repository)
        selection = plan_selection(
            registry=self.registry, repository=repository, chosen=chosen,
            anyway=set(request.POST.getlist("anyway")), support=support,
        )  # fmt: skip
        fingerprint = plan_fingerprint(selection.plan)
        changed = False
        if request.POST.get("step") == "confirm" and support is not None and support != "off":
            changed = request.POST.get("plan") != fingerprint
            if not changed and selection.changes:
                return self.queue(selection)
        context = self.get_context_data(
            selection=selection, fingerprint=fingerprint, changed=changed,
            matching=request.POST.get("matching") == "1",
            query=request.POST.get("q", "").strip(), chosen=sorted(chosen),
        )  # fmt: skip
        return self.render_to_response(context, status=409 if changed else 200)

    def queue(self, selection: Selection) -> HttpResponse:
        run = run_create(
            registry=self.registry, rules=None, trigger=RetentionRun.Trigger.SELECTION,
            user=self.request.user, plan=selection.plan, name=RUN_NAME,
        )  # fmt: skip
        retention_enqueue_run(run=run)
        messages.success(
            self.request,
            f"Run {run.pk} is queued: the worker deletes what you confirmed from "
            f"{selection.repository}, re-checking each digest first.",
        )
        return redirect("registries:retention_run", self.registry.name, run.pk)
