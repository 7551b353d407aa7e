from django.contrib import admin
from django.urls import include, path

from regfront import health

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("", include("registries.urls")),
]
