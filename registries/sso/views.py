"""The web side of single sign-on: the library's views, told what regfront needs."""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.auth import views as auth_views
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, resolve_url
from django.utils.module_loading import import_string
from django.views import View
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from registries.sso.discovery import ProviderUnavailable, provider_metadata

logger = logging.getLogger("regfront.sso")

BACKEND = "registries.sso.backend.SSOBackend"


def sso_enabled() -> bool:
    return bool(getattr(settings, "REGFRONT_OIDC_ISSUER", ""))


class SSOEnabledMixin:
    def dispatch(self, request, *args, **kwargs):
        if not sso_enabled():
            raise Http404("Single sign-on is not configured.")
        return super().dispatch(request, *args, **kwargs)


class AuthenticateView(SSOEnabledMixin, OIDCAuthenticationRequestView):
    """Send the browser to the provider (state, nonce and PKCE kept in the session)."""

    def __init__(self, **kwargs) -> None:
        # The parent reads its settings here, before dispatch could answer 404 (single
        # sign-on off) or turn a provider that cannot be reached into a message; get() does.
        View.__init__(self, **kwargs)

    def get(self, request):
        self.OIDC_RP_CLIENT_ID = self.get_settings("OIDC_RP_CLIENT_ID")
        try:
            self.OIDC_OP_AUTH_ENDPOINT = str(self.get_settings("OIDC_OP_AUTHORIZATION_ENDPOINT"))
        except ProviderUnavailable as exc:
            logger.warning("sso: the provider cannot be reached: %s", exc)
            messages.error(request, "The sign-in provider cannot be reached. Try again later.")
            return redirect("login")
        return super().get(request)


class CallbackView(SSOEnabledMixin, OIDCAuthenticationCallbackView):
    """The provider's redirect back: the library checks state, the backend the token."""

    @property
    def failure_url(self) -> str:
        return resolve_url("login")

    def login_failure(self):
        messages.error(self.request, "Single sign-on did not log you in. Please try again.")
        return super().login_failure()


def provider_logout_url(request) -> str:
    """Where logging out sends the browser (OIDC_OP_LOGOUT_URL_METHOD).

    A session that came from the provider is ended there too when the provider offers
    RP-initiated logout (https://openid.net/specs/openid-connect-rpinitiated-1_0.html);
    everyone else, and everyone when the provider cannot be reached, goes home.
    """
    home = resolve_url(settings.LOGOUT_REDIRECT_URL)
    if request.session.get(BACKEND_SESSION_KEY) != BACKEND:
        return home
    try:
        end_session = provider_metadata().end_session_endpoint
    except ProviderUnavailable as exc:
        logger.warning("sso: logged out here only, the provider cannot be reached: %s", exc)
        return home
    if not end_session:
        return home  # Dex, GitHub-style providers: no provider session to end
    params = {
        "client_id": settings.OIDC_RP_CLIENT_ID,
        "post_logout_redirect_uri": request.build_absolute_uri(home),
    }
    id_token = request.session.get("oidc_id_token")
    if id_token:
        params["id_token_hint"] = id_token
    separator = "&" if "?" in end_session else "?"
    return f"{end_session}{separator}{urlencode(params)}"


class LogoutView(auth_views.LogoutView):
    """Django's logout; with single sign-on on, sent on to the provider's logout."""

    def post(self, request, *args, **kwargs):
        method = getattr(settings, "OIDC_OP_LOGOUT_URL_METHOD", "")
        if not (method and request.user.is_authenticated):
            return super().post(request, *args, **kwargs)
        # Asked before logging out: the session still says how this person logged in.
        target = import_string(method)(request)
        response = super().post(request, *args, **kwargs)
        if target == resolve_url(settings.LOGOUT_REDIRECT_URL):
            return response  # not the provider's session: Django's own answer (and its next)
        return HttpResponseRedirect(target)
