"""One log line and one metrics sample per request.

The line carries the method, the path without its query string (query strings can hold
tokens), the status, the duration, the view name and the user id; never a header.
"""

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from regfront import metrics

logger = logging.getLogger("regfront.request")


def view_label(request: HttpRequest) -> str:
    """The URL name (`registries:home`, `admin:login`): a small, fixed set of label values."""
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return match.view_name or "unnamed"
    if getattr(request, "_regfront_static", False):
        return "static"
    return "unmatched"


def _user_id(request: HttpRequest) -> int | str | None:
    # Only look when the request carries a session: otherwise the user is anonymous anyway,
    # and asking would cost a session lookup for nothing.
    if settings.SESSION_COOKIE_NAME not in request.COOKIES or not hasattr(request, "user"):
        return None
    user = request.user
    return user.pk if user.is_authenticated else None


class RequestLogMiddleware:
    """Outermost middleware: times everything, including whitenoise and redirects."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.static_prefix = settings.STATIC_URL or "/static/"

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        with metrics.request_batch():
            response = self.get_response(request)
        duration = time.perf_counter() - started
        if request.path.startswith(self.static_prefix):
            request._regfront_static = True
        view = view_label(request)
        user_id = _user_id(request)
        metrics.observe_request(
            view=view, method=request.method or "", status=response.status_code, duration=duration
        )
        logger.info(
            "%s %s %s %.1fms view=%s user=%s",
            request.method,
            request.path,
            response.status_code,
            duration * 1000,
            view,
            user_id if user_id is not None else "-",
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round(duration * 1000, 1),
                "view": view,
                "user_id": user_id,
            },
        )
        return response
