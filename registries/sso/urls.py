"""Single sign-on URLs under /oidc/; the provider's redirect URI is /oidc/callback/."""

from django.urls import path

from registries.sso import views

urlpatterns = [
    path("authenticate/", views.AuthenticateView.as_view(), name="oidc_authentication_init"),
    path("callback/", views.CallbackView.as_view(), name="oidc_authentication_callback"),
]
