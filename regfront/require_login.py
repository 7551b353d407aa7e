"""REGFRONT_REQUIRE_LOGIN: every page but login, health and static files needs a user."""

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse

# Paths that stay open: logging in, probes, static files, and those with their own auth.
# The API and the event webhook answer 401 themselves (tokens, per-registry secrets).
OPEN_PREFIXES = (
    "/accounts/login/",
    "/oidc/",
    "/healthz",
    "/readyz",
    "/metrics",
    "/admin/",
    "/static/",
    "/api/",
    "/hooks/",
)


class RequireLoginMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            settings.REGFRONT_REQUIRE_LOGIN
            and not request.user.is_authenticated
            and not request.path_info.startswith(OPEN_PREFIXES)
        ):
            return redirect_to_login(request.get_full_path())
        return self.get_response(request)
