"""Class-based views: URL → service → template. No HTTP to registries here."""

from django.views.generic import ListView

from registries.models import Registry


class RegistryListView(ListView):
    model = Registry
    template_name = "registries/registry_list.html"
    context_object_name = "registries"
