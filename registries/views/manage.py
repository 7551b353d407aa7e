"""Views that change things: registries in the portal, and manifest deletes.

Every view checks its permission itself (hiding a button is not security) and every change
is a POST with CSRF, recorded in the audit trail with its outcome.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.views.generic import TemplateView

from registries import services
from registries.audit import Action, Outcome, audit_record
from registries.browsing import repository_url
from registries.client import errors
from registries.client.reference import InvalidReference, parse_digest, parse_repository_path
from registries.forms import PortalRegistryForm
from registries.models import Registry
from registries.views.browse import RegistryMixin
from registries.views.errors import invalid_reference_response


class AddRemoveAllowedMixin:
    """The seed's REGISTRY_DISABLE_ADD_REMOVE: these pages do not exist then."""

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if settings.REGISTRY_DISABLE_ADD_REMOVE:
            raise Http404("Adding and removing registries is disabled on this site.")
        return super().dispatch(request, *args, **kwargs)


class RegistryFormView(AddRemoveAllowedMixin, PermissionRequiredMixin, TemplateView):
    """Add or edit a registry, with a "test connection" button that saves nothing."""

    template_name = "registries/registry_form.html"
    registry: Registry | None = None

    def setup(self, request: HttpRequest, *args, **kwargs) -> None:
        super().setup(request, *args, **kwargs)
        if "name" in kwargs:
            self.registry = get_object_or_404(
                Registry.objects.visible_to(request.user), name=kwargs["name"]
            )

    def get_permission_required(self) -> tuple[str, ...]:
        return ("registries.change_registry",) if self.registry else ("registries.add_registry",)

    def get_form(self) -> PortalRegistryForm:
        data = self.request.POST if self.request.method == "POST" else None
        return PortalRegistryForm(data=data, instance=self.registry, user=self.request.user)

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        return self.render_to_response(self.get_context_data(form=self.get_form()))

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        form = self.get_form()
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        if "test" in request.POST:
            return self.render_to_response(
                self.get_context_data(form=form, test_result=self.test_connection(form))
            )
        creating = self.registry is None
        registry = services.registry_save(form=form)
        if registry is None:
            return self.render_to_response(self.get_context_data(form=form), status=409)
        audit_record(
            user=request.user,
            action=Action.REGISTRY_ADD if creating else Action.REGISTRY_CHANGE,
            registry_name=registry.name,
            message=f"URL {registry.url}",
        )
        messages.success(request, f"Registry {registry.name} {'added' if creating else 'saved'}.")
        if form.password_dropped:
            messages.warning(
                request,
                "The URL now points at another server or scheme, so the stored password was "
                "removed.",
            )
        return redirect("registries:catalog", registry.name)

    def test_connection(self, form: PortalRegistryForm) -> services.RegistryStatus:
        candidate = form.save(commit=False)  # an unsaved copy: nothing is written
        return services.registry_test_connection(registry=candidate)

    def get_context_data(self, **kwargs) -> dict:
        return super().get_context_data(registry=self.registry, **kwargs)


class RegistryRemoveView(AddRemoveAllowedMixin, PermissionRequiredMixin, TemplateView):
    template_name = "registries/registry_remove.html"
    permission_required = "registries.delete_registry"

    def setup(self, request: HttpRequest, *args, **kwargs) -> None:
        super().setup(request, *args, **kwargs)
        self.registry = get_object_or_404(
            Registry.objects.visible_to(request.user), name=kwargs["name"]
        )

    def get_context_data(self, **kwargs) -> dict:
        return super().get_context_data(registry=self.registry, **kwargs)

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        name = self.registry.name
        if services.registry_delete(name=name):
            audit_record(user=request.user, action=Action.REGISTRY_REMOVE, registry_name=name)
            messages.success(request, f"Registry {name} removed.")
        else:
            messages.info(request, f"Registry {name} had already been removed.")
        return redirect("registries:home")


class ManifestDeleteView(RegistryMixin, PermissionRequiredMixin, TemplateView):
    """Confirm, then delete by digest. Says plainly that every tag of the digest goes."""

    template_name = "registries/manifest_delete.html"
    permission_required = "registries.delete_manifest"

    def setup(self, request: HttpRequest, *args, **kwargs) -> None:
        super().setup(request, *args, **kwargs)
        self.reference, self.reference_error = None, "Name a tag or a digest to delete."
        try:
            reference = parse_repository_path(kwargs["reference"])
        except InvalidReference as exc:
            self.reference_error = str(exc)
            return
        if reference.tag or reference.digest:
            self.reference = reference
            self.kwargs["repository"] = reference.repository

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        # This check is the guard: it runs before the reference is judged, so only permitted
        # people learn anything (PermissionRequiredMixin's comes later, inside
        # RegistryMixin.dispatch).
        if not self.has_permission():
            return self.handle_no_permission()
        if self.reference is None:
            return invalid_reference_response(request, self.registry, self.reference_error)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs) -> dict:
        plan = services.manifest_delete_plan(
            registry=self.registry,
            repository=self.reference.repository,
            tag=self.reference.tag,
            digest=self.reference.digest,
        )
        return super().get_context_data(plan=plan, ref=self.reference, **kwargs)

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        repository = self.reference.repository
        # Delete exactly what the person confirmed, even if the tag has moved since.
        try:
            digest = parse_digest(request.POST.get("digest", ""))
        except InvalidReference as exc:
            # A forged or broken form: refused before the registry is asked, and recorded.
            audit_record(
                user=request.user, action=Action.MANIFEST_DELETE, registry_name=self.registry.name,
                repository=repository, outcome=Outcome.FAILED, message=str(exc),
            )  # fmt: skip
            return invalid_reference_response(request, self.registry, str(exc))
        plan = services.manifest_delete_plan(
            registry=self.registry, repository=repository, digest=digest
        )
        record = {
            "user": request.user,
            "action": Action.MANIFEST_DELETE,
            "registry_name": self.registry.name,
            "repository": repository,
            "digest": plan.digest,
            "tags": plan.tags,
        }
        try:
            services.manifest_delete(
                registry=self.registry, repository=repository, digest=plan.digest
            )
        except (errors.Unsupported, errors.Denied, errors.Unauthorized) as exc:
            audit_record(**record, outcome=Outcome.FAILED, message=exc.user_message)
            return TemplateResponse(
                request,
                "registries/manifest_delete_refused.html",
                {"registry": self.registry, "repository": repository, "error": exc,
                 "deletion_disabled": isinstance(exc, errors.Unsupported)},
                status=403 if not isinstance(exc, errors.Unsupported) else 409,
            )  # fmt: skip
        except errors.RegistryError as exc:
            audit_record(**record, outcome=Outcome.FAILED, message=exc.user_message)
            raise
        audit_record(**record)
        gone = ", ".join(plan.tags) if plan.tags else "no tags"
        messages.success(request, f"Deleted {plan.digest} from {repository} ({gone}).")
        return redirect(repository_url(self.registry, repository))
