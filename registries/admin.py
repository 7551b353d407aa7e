from django.contrib import admin, messages

from registries.forms import RegistryForm
from registries.models import Registry


@admin.register(Registry)
class RegistryAdmin(admin.ModelAdmin):
    form = RegistryForm
    list_display = ("name", "url", "username", "updated_at")
    search_fields = ("name", "url", "username")
    readonly_fields = ("created_at", "updated_at")

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        if form.password_dropped:
            messages.warning(
                request,
                f"The URL of {obj.name} now points at another host, so its stored password "
                "was removed. Enter the password again if that host needs it.",
            )
