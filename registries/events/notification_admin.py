"""Notification endpoints (editable, with the portal's form: write-only URL and secret) and
their delivery log (read-only) in the admin, limited to the registries the staff member may
see."""

from django.contrib import admin

from registries.events.models import NotificationDelivery, NotificationEndpoint
from registries.events.notification_forms import NotificationEndpointForm, url_shown
from registries.models import Registry


@admin.register(NotificationEndpoint)
class NotificationEndpointAdmin(admin.ModelAdmin):
    form = NotificationEndpointForm
    list_display = ("name", "registry", "kind", "where", "enabled")
    list_filter = ("kind", "enabled", ("registry", admin.RelatedOnlyFieldListFilter))
    search_fields = ("name", "registry__name")

    @admin.display(description="where")
    def where(self, obj: NotificationEndpoint) -> str:
        return url_shown(obj.url)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        registry_field = form.base_fields.get("registry")
        if registry_field is not None:  # the form names the registry once it is chosen
            registry_field.queryset = Registry.objects.visible_to(request.user)
        return form

    def get_fields(self, request, obj=None):
        return ["registry", *NotificationEndpointForm.Meta.fields]

    def get_queryset(self, request):
        visible = Registry.objects.visible_to(request.user)
        return super().get_queryset(request).filter(registry__in=visible).select_related("registry")


@admin.register(NotificationDelivery)
class NotificationDeliveryAdmin(admin.ModelAdmin):
    list_display = ("created_at", "endpoint", "event", "state", "attempts", "last_status")
    list_filter = ("state", "event")
    search_fields = ("endpoint__name", "endpoint__registry__name")
    readonly_fields = ("endpoint", "event", "payload", "state", "attempts", "last_status",
                       "last_response", "next_attempt_at", "created_at", "updated_at")  # fmt: skip

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def get_queryset(self, request):
        visible = Registry.objects.visible_to(request.user)
        return (
            super()
            .get_queryset(request)
            .filter(endpoint__registry__in=visible)
            .select_related("endpoint__registry")
        )
