"""Registry failures as pages: the status fits what happened and the page names the registry."""

from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.response import TemplateResponse

from registries.client import errors
from registries.client.pagination import ListingTooLong
from registries.models import Registry
from registries.services.bulkhead import RegistryBusy


@dataclass(frozen=True)
class ErrorKind:
    status: int
    title: str  # for pages
    code: str  # for the JSON API


# By error class; the first matching class wins.
ERROR_KINDS: list[tuple[type[errors.RegistryError], ErrorKind]] = [
    (errors.NotFound, ErrorKind(404, "Not found", "not_found")),
    (ListingTooLong, ErrorKind(504, "The registry's list did not end", "registry_list_too_long")),
    (errors.Timeout, ErrorKind(504, "The registry is too slow", "registry_timeout")),
    (RegistryBusy, ErrorKind(503, "The registry is busy", "registry_busy")),
    (
        errors.Unauthorized,
        ErrorKind(502, "The registry rejected regfront's credentials", "registry_unauthorized"),
    ),
    (errors.Denied, ErrorKind(403, "The registry denied access", "registry_denied")),
    (errors.TooManyRequests, ErrorKind(503, "The registry is rate limiting", "rate_limited")),
    (errors.Unreachable, ErrorKind(502, "The registry cannot be reached", "registry_unreachable")),
    (
        errors.TLSError,
        ErrorKind(502, "The registry's certificate is not trusted", "registry_tls_error"),
    ),
    (errors.Refused, ErrorKind(502, "The registry's address is not allowed", "registry_refused")),
    (
        errors.BadResponse,
        ErrorKind(502, "The registry sent a bad response", "registry_bad_response"),
    ),
    (errors.RegistryError, ErrorKind(502, "The registry returned an error", "registry_error")),
]


def error_kind(error: errors.RegistryError) -> ErrorKind:
    return next(kind for cls, kind in ERROR_KINDS if isinstance(error, cls))


def retry_after_headers(error: errors.RegistryError) -> dict[str, str]:
    retry_after = getattr(error, "retry_after", None)
    return {"Retry-After": str(retry_after)} if retry_after else {}


def registry_error_response(
    request: HttpRequest, registry: Registry, error: errors.RegistryError
) -> HttpResponse:
    kind = error_kind(error)
    response = TemplateResponse(
        request,
        "registries/error.html",
        {
            "registry": registry,
            "title": kind.title,
            "message": error.user_message,
            "status": kind.status,
        },
        status=kind.status,
    )
    for name, value in retry_after_headers(error).items():
        response[name] = value
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
