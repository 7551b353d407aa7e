from django.urls import path

from registries import manage_views, views
from registries.api.tokens import ApiTokensView

app_name = "registries"

urlpatterns = [
    path("", views.RegistryListView.as_view(), name="home"),
    path("go", views.JumpView.as_view(), name="jump"),
    path("activity/", manage_views.ActivityView.as_view(), name="activity"),
    path("account/api-tokens/", ApiTokensView.as_view(), name="api_tokens"),
    path("manage/registries/add/", manage_views.RegistryFormView.as_view(), name="registry_add"),
    path(
        "manage/registries/<str:name>/edit/",
        manage_views.RegistryFormView.as_view(),
        name="registry_edit",
    ),
    path(
        "manage/registries/<str:name>/remove/",
        manage_views.RegistryRemoveView.as_view(),
        name="registry_remove",
    ),
    path(
        "manage/registry/<str:name>/delete/<path:reference>",
        manage_views.ManifestDeleteView.as_view(),
        name="manifest_delete",
    ),
    path("registry/<str:name>/", views.CatalogView.as_view(), name="catalog"),
    # Everything after the name is parsed with the reference grammar: `repo/`, `repo:tag`,
    # `repo@sha256:…`, with any number of `/` in repo.
    path("registry/<str:name>/<path:reference>", views.reference_view, name="reference"),
]
