from django.urls import path

from registries.api import search, views

app_name = "api"

urlpatterns = [
    path("", views.RootApi.as_view(), name="root"),
    path("openapi.json", views.OpenApiDocument.as_view(), name="openapi"),
    path("registries", views.RegistriesApi.as_view(), name="registries"),
    path("registries/<str:name>", views.RegistryApi.as_view(), name="registry"),
    path(
        "registries/<str:name>/repositories",
        views.RepositoriesApi.as_view(),
        name="repositories",
    ),
    # `<repository>/tags` and `<repository>/manifests/<tag or digest>`; names have any `/`.
    path(
        "registries/<str:name>/repositories/<path:rest>",
        views.repository_api,
        name="repository",
    ),
    path("search", search.SearchApi.as_view(), name="search"),
    path("<path:path>", views.not_found),  # JSON, not the HTML 404 page
]
