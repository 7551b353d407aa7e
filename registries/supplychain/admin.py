"""Signing keys in the admin: edited inline on their registry, so the registry admin's
group limits hold for them too."""

from django.contrib import admin

from registries.supplychain.models import SigningKey


class SigningKeyInline(admin.TabularInline):
    model = SigningKey
    extra = 0
    fields = ("name", "public_key", "fingerprint", "created_at")
    readonly_fields = ("fingerprint", "created_at")

    @admin.display(description="SHA-256 of the key")
    def fingerprint(self, obj: SigningKey) -> str:
        return obj.fingerprint if obj.pk else ""
