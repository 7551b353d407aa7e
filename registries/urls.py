from django.urls import path

from registries import views

app_name = "registries"

urlpatterns = [
    path("", views.RegistryListView.as_view(), name="home"),
    path("go", views.JumpView.as_view(), name="jump"),
    path("registry/<str:name>/", views.CatalogView.as_view(), name="catalog"),
    # Everything after the name is parsed with the reference grammar: `repo/`, `repo:tag`,
    # `repo@sha256:…`, with any number of `/` in repo.
    path("registry/<str:name>/<path:reference>", views.reference_view, name="reference"),
]
