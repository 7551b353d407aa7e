"""Signing keys in the admin, limited like registries: staff outside a registry's groups
neither see its keys nor can add one to it."""

from django.contrib import admin

from registries.models import Registry
from registries.supplychain.models import SigningKey


@admin.register(SigningKey)
class SigningKeyAdmin(admin.ModelAdmin):
    list_display = ("name", "registry", "fingerprint", "created_at")
    list_filter = (("registry", admin.RelatedOnlyFieldListFilter),)
    search_fields = ("name", "registry__name")
    fields = ("registry", "name", "public_key", "fingerprint", "created_at")
    readonly_fields = ("fingerprint", "created_at")

    @admin.display(description="SHA-256 of the key")
    def fingerprint(self, obj: SigningKey) -> str:
        return obj.fingerprint if obj.pk else ""

    def get_queryset(self, request):
        visible = Registry.objects.visible_to(request.user)
        return super().get_queryset(request).filter(registry__in=visible).select_related("registry")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "registry":
            kwargs["queryset"] = Registry.objects.visible_to(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
