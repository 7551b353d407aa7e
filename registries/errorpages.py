"""Registry failures as pages: the status fits what happened and the page names the registry."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.response import TemplateResponse

from registries.client import errors
from registries.models import Registry

# (status, title) by error kind; the first matching class wins.
ERROR_PAGES: list[tuple[type[errors.RegistryError], int, str]] = [
    (errors.NotFound, 404, "Not found"),
    (errors.Timeout, 504, "The registry is too slow"),
    (errors.Unauthorized, 502, "The registry rejected regfront's credentials"),
    (errors.Denied, 403, "The registry denied access"),
    (errors.TooManyRequests, 503, "The registry is rate limiting"),
    (errors.Unreachable, 502, "The registry cannot be reached"),
    (errors.TLSError, 502, "The registry's certificate is not trusted"),
    (errors.Refused, 502, "The registry's address is not allowed"),
    (errors.BadResponse, 502, "The registry sent a bad response"),
    (errors.RegistryError, 502, "The registry returned an error"),
]


def registry_error_response(
    request: HttpRequest, registry: Registry, error: errors.RegistryError
) -> HttpResponse:
    status, title = next((s, t) for kind, s, t in ERROR_PAGES if isinstance(error, kind))
    response = TemplateResponse(
        request,
        "registries/error.html",
        {"registry": registry, "title": title, "message": error.user_message, "status": status},
        status=status,
    )
    retry_after = getattr(error, "retry_after", None)
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


def invalid_reference_response(
    request: HttpRequest, registry: Registry, message: str
) -> HttpResponse:
    return TemplateResponse(
        request,
        "registries/error.html",
        {
            "registry": registry,
            "title": "Not a valid image reference",
            "message": message,
            "status": 400,
        },
        status=400,
    )


def json_error_response(
    status: int, code: str, message: str, *, headers: dict[str, str] | None = None
) -> JsonResponse:
    """The machine-facing error body shared by the JSON API and the webhook."""
    response = JsonResponse({"error": {"code": code, "message": message}}, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="regfront"'
    return response
