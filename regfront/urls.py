from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from regfront import health, metrics
from regfront.ratelimit import ratelimit_login
from registries.events import views as events_views
from registries.sso import views as sso_views

urlpatterns = [
    # Ahead of admin.site.urls so that the admin's own login goes through the rate limit;
    # reverse("admin:login") still names the same URL.
    path("admin/login/", ratelimit_login(admin.site.login), name="admin-login"),
    path("admin/", admin.site.urls),
    path(
        "accounts/login/",
        ratelimit_login(auth_views.LoginView.as_view(redirect_authenticated_user=True)),
        name="login",
    ),
    path("accounts/logout/", sso_views.LogoutView.as_view(), name="logout"),
    path("oidc/", include("registries.sso.urls")),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics.metrics_view, name="metrics"),
    # Machine-to-machine, with their own authentication (API tokens, per-registry secrets).
    path("api/v1/", include("registries.api.urls")),
    path("hooks/registry/<str:name>/events", events_views.registry_events, name="registry-events"),
    path("", include("registries.urls")),
]
