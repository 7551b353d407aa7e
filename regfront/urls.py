from django.contrib import admin
from django.urls import include, path

from regfront import health, metrics
from regfront.ratelimit import ratelimit_login

urlpatterns = [
    # Ahead of admin.site.urls so that the admin's own login goes through the rate limit;
    # reverse("admin:login") still names the same URL.
    path("admin/login/", ratelimit_login(admin.site.login)),
    path("admin/", admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics.metrics_view, name="metrics"),
    path("", include("registries.urls")),
]
