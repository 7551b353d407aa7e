from django.contrib import admin, messages

from registries.audit import Action, audit_record
from registries.events import notification_admin  # noqa: F401 (registers endpoints, log)
from registries.forms import RegistryForm
from registries.models import ApiToken, AuditRecord, Registry, RegistryEvent
from registries.promotion import admin as promotion_admin  # noqa: F401 (registers routes)
from registries.retention import admin as retention_admin  # noqa: F401 (registers policies)
from registries.services.activity import visible_audit_records, visible_events
from registries.supplychain import admin as supplychain_admin  # noqa: F401 (registers keys)


@admin.register(Registry)
class RegistryAdmin(admin.ModelAdmin):
    form = RegistryForm
    list_display = ("name", "url", "username", "updated_at")
    search_fields = ("name", "url", "username")
    readonly_fields = ("created_at", "updated_at")
    filter_horizontal = ("groups",)

    def get_queryset(self, request):
        # Staff outside a registry's groups must not see, edit or remove it here either.
        return super().get_queryset(request).visible_to(request.user)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        return type(form.__name__, (form,), {"user": request.user})  # for the group rules

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        audit_record(
            user=request.user,
            source="admin",
            action=Action.REGISTRY_CHANGE if change else Action.REGISTRY_ADD,
            registry_name=obj.name,
            message=f"URL {obj.url}",
        )
        if form.password_dropped:
            messages.warning(
                request,
                f"The URL of {obj.name} now points at another server or scheme, so its stored "
                "password was removed. Enter the password again if that server needs it.",
            )

    def delete_model(self, request, obj) -> None:
        name = obj.name
        super().delete_model(request, obj)
        audit_record(
            user=request.user, source="admin", action=Action.REGISTRY_REMOVE, registry_name=name
        )

    def delete_queryset(self, request, queryset) -> None:
        names = list(queryset.values_list("name", flat=True))
        super().delete_queryset(request, queryset)
        for name in names:
            audit_record(
                user=request.user, source="admin", action=Action.REGISTRY_REMOVE, registry_name=name
            )


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records regfront writes itself: viewable, never added or edited by hand."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AuditRecord)
class AuditRecordAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "actor_name", "action", "registry_name", "repository", "outcome")
    list_filter = ("action", "outcome", "source")
    search_fields = ("actor_name", "registry_name", "repository", "digest")
    date_hierarchy = "created_at"

    def get_queryset(self, request):
        return visible_audit_records(request.user)


@admin.register(RegistryEvent)
class RegistryEventAdmin(ReadOnlyAdmin):
    list_display = ("occurred_at", "registry", "action", "repository", "tag", "actor")
    # RelatedOnly: the filter offers the registries of the (visible) events, not every row.
    list_filter = ("action", ("registry", admin.RelatedOnlyFieldListFilter))
    search_fields = ("repository", "tag", "digest", "actor")
    date_hierarchy = "occurred_at"

    def get_queryset(self, request):
        return visible_events(request.user).select_related("registry")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are made by their owners in the portal; admins may only see and revoke them."""

    list_display = ("name", "user", "prefix", "created_at", "last_used_at")
    search_fields = ("name", "user__username", "prefix")
    readonly_fields = ("user", "name", "key_hash", "prefix", "created_at", "last_used_at")

    def has_add_permission(self, request) -> bool:
        return False
