"""Retention policies (editable) and runs (read-only audit) in the admin, limited to the
registries the staff member may see."""

from django.contrib import admin

from registries.models import Registry
from registries.retention.models import RetentionItem, RetentionPolicy, RetentionRun


class _Visible:
    def get_queryset(self, request):
        visible = Registry.objects.visible_to(request.user)
        return super().get_queryset(request).filter(registry__in=visible).select_related("registry")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "registry":
            kwargs["queryset"] = Registry.objects.visible_to(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(RetentionPolicy)
class RetentionPolicyAdmin(_Visible, admin.ModelAdmin):
    list_display = ("name", "registry", "keep_last", "order", "keep_days", "paused", "interval")
    list_filter = ("paused", ("registry", admin.RelatedOnlyFieldListFilter))
    search_fields = ("name", "registry__name")

    def save_model(self, request, obj, form, change) -> None:
        from registries.retention.tasks import retention_schedule_policy

        if change:  # the form's fields only: the run lease is the worker's
            obj.save(update_fields=[*form.changed_data, "updated_at"])
        else:
            obj.save()
        retention_schedule_policy(policy=obj)


class RetentionItemInline(admin.TabularInline):
    model = RetentionItem
    fields = ("repository", "digest", "tags", "state", "reason", "done_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(RetentionRun)
class RetentionRunAdmin(_Visible, admin.ModelAdmin):
    list_display = ("pk", "policy_name", "registry", "state", "deleted", "skipped", "errors",
                    "created_at")  # fmt: skip
    list_filter = ("state", "trigger")
    inlines = [RetentionItemInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
