from django.urls import path

from registries import views

app_name = "registries"

urlpatterns = [
    path("", views.RegistryListView.as_view(), name="home"),
]
