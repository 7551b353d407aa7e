from django.urls import path, re_path

from registries.api import compare, contents, retention, search, storage, supplychain, views

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
    # Storage figures from the index; `?repository=` for one repository's (api/storage.py).
    path("registries/<str:name>/storage", storage.StorageApi.as_view(), name="storage"),
    # A registry's retention policies and each one's dry-run plan (registries/api/retention.py).
    path("registries/<str:name>/retention", retention.PoliciesApi.as_view(), name="retention"),
    path(
        "registries/<str:name>/retention/<str:policy>/plan",
        retention.PlanApi.as_view(),
        name="retention_plan",
    ),
    # `<repository>/files?reference=&path=`: an image's files (registries/api/contents.py).
    path(
        "registries/<str:name>/repositories/<path:repository>/files",
        contents.FilesApi.as_view(),
        name="files",
    ),
    # `<repository>/supply-chain?reference=`: signatures, SBOMs, provenance.
    path(
        "registries/<str:name>/repositories/<path:repository>/supply-chain",
        supplychain.SupplyChainApi.as_view(),
        name="supply_chain",
    ),
    # `<repository>/tags` and `<repository>/manifests/<tag or digest>`; names have any `/`.
    path(
        "registries/<str:name>/repositories/<path:rest>",
        views.repository_api,
        name="repository",
    ),
    path("search", search.SearchApi.as_view(), name="search"),
    # `compare?a=&b=`: two images' differences (registries/api/compare.py).
    path("compare", compare.CompareApi.as_view(), name="compare"),
    # JSON, not the HTML 404 page, for any path: `<path:…>` never matches a newline.
    re_path(r"^(?P<path>[\s\S]*)\Z", views.not_found),
]
