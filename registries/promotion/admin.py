"""Promotion routes (editable) and copy jobs (read-only) in the admin, limited to the
registries the staff member may see."""

from django.contrib import admin

from registries.models import Registry
from registries.promotion.models import CopyJob, PromotionRoute


@admin.register(PromotionRoute)
class PromotionRouteAdmin(admin.ModelAdmin):
    list_display = ("source", "target", "label")

    def get_queryset(self, request):
        visible = Registry.objects.visible_to(request.user)
        return super().get_queryset(request).filter(source__in=visible, target__in=visible)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in ("source", "target"):
            kwargs["queryset"] = Registry.objects.visible_to(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(CopyJob)
class CopyJobAdmin(admin.ModelAdmin):
    list_display = ("pk", "source", "source_repository", "target", "target_repository",
                    "target_tag", "state", "created_at")  # fmt: skip
    list_filter = ("state",)

    def get_queryset(self, request):
        visible = Registry.objects.visible_to(request.user)
        return super().get_queryset(request).filter(source__in=visible, target__in=visible)

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in CopyJob._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
