"""Notification pages under /manage/registries/<name>/notifications/, for people with
`registries.change_registry` who may see the registry (404 for a hidden registry, 403 or the
login page otherwise). Changes are POSTs (CSRF); sending is the worker's job, never a page's:
*Send test* only queues a delivery."""

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView

from registries.audit import Action, audit_record
from registries.events.models import NotificationDelivery, NotificationEndpoint
from registries.events.notification_forms import NotificationEndpointForm, url_shown
from registries.events.notify import notify_test
from registries.models import Registry

LOG_ROWS = 50


class NotificationsMixin(PermissionRequiredMixin):
    permission_required = "registries.change_registry"
    endpoint: NotificationEndpoint | None = None

    def setup(self, request: HttpRequest, *args, **kwargs) -> None:
        super().setup(request, *args, **kwargs)
        # Registries limited to other groups are indistinguishable from absent ones.
        self.registry = get_object_or_404(
            Registry.objects.visible_to(request.user), name=kwargs["name"]
        )

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not self.has_permission():  # before anything about endpoints is looked up
            return self.handle_no_permission()
        if "pk" in kwargs:
            self.endpoint = get_object_or_404(
                NotificationEndpoint, registry=self.registry, pk=kwargs["pk"]
            )
        return super().dispatch(request, *args, **kwargs)

    def list_url(self) -> str:
        return reverse("registries:notifications", args=[self.registry.name])

    def audit(self, message: str) -> None:
        audit_record(user=self.request.user, action=Action.REGISTRY_CHANGE,
                     registry_name=self.registry.name, message=message)  # fmt: skip

    def get_context_data(self, **kwargs) -> dict:
        kwargs.pop("pk", None)
        return super().get_context_data(registry=self.registry, endpoint=self.endpoint, **kwargs)


class NotificationListView(NotificationsMixin, TemplateView):
    template_name = "registries/notifications.html"

    def get_context_data(self, **kwargs) -> dict:
        endpoints = list(NotificationEndpoint.objects.filter(registry=self.registry))
        for endpoint in endpoints:
            endpoint.url_shown = url_shown(endpoint.url)
        deliveries = NotificationDelivery.objects.filter(endpoint__registry=self.registry)
        return super().get_context_data(
            endpoints=endpoints,
            deliveries=list(deliveries.select_related("endpoint")[:LOG_ROWS]),
            **kwargs,
        )


class NotificationFormView(NotificationsMixin, TemplateView):
    """Add (no `pk` in the URL) or edit an endpoint."""

    template_name = "registries/notifications_form.html"

    def form(self, data=None) -> NotificationEndpointForm:
        instance = self.endpoint or NotificationEndpoint(registry=self.registry)
        return NotificationEndpointForm(data, instance=instance)

    def get_context_data(self, **kwargs) -> dict:
        kwargs.setdefault("form", self.form())
        return super().get_context_data(**kwargs)

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        form = self.form(request.POST)
        if form.is_valid():
            try:
                endpoint = form.save()
            except IntegrityError:  # the same name saved by someone else just now
                form.add_error("name", "This registry already has an endpoint with this name.")
            else:
                verb = "changed" if self.endpoint else "added"
                self.audit(f"Notification endpoint {endpoint.name} {verb}")
                messages.success(request, f"Notification endpoint {endpoint.name} saved.")
                return redirect(self.list_url())
        return self.render_to_response(self.get_context_data(form=form), status=400)


class NotificationRemoveView(NotificationsMixin, View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        name = self.endpoint.name
        self.endpoint.delete()  # its log goes with it
        self.audit(f"Notification endpoint {name} removed")
        messages.success(request, f"Notification endpoint {name} removed.")
        return redirect(self.list_url())


class NotificationTestView(NotificationsMixin, View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        notify_test(endpoint=self.endpoint, user_name=request.user.get_username())
        messages.success(
            request,
            f"A test notification to {self.endpoint.name} is queued; the delivery log shows "
            "how it went once the worker has sent it.",
        )
        return redirect(self.list_url())
