"""Domain errors raised by the registry client.

Every error carries a ``user_message`` that is safe to show on a page: it never contains a
credential, a token, or a URL query string. Views map the kinds to pages (404, 502, 504...).
"""

from __future__ import annotations

from typing import Literal

NotFoundWhat = Literal["repository", "manifest", "blob", "page"]


class RegistryError(Exception):
    """Base class: something went wrong talking to a registry."""

    default_message = "The registry returned an error."

    def __init__(self, user_message: str | None = None, *, status: int | None = None) -> None:
        self.user_message = user_message or self.default_message
        self.status = status
        super().__init__(self.user_message)


class Unreachable(RegistryError):
    default_message = "The registry could not be reached."


class Timeout(RegistryError):
    default_message = "The registry did not answer in time."


class TLSError(RegistryError):
    default_message = "The registry's TLS certificate could not be verified."


class Unauthorized(RegistryError):
    """Credentials are missing or were rejected."""

    default_message = "The registry rejected the credentials."


class Denied(RegistryError):
    """Authenticated, but not allowed to do this (403 or insufficient scope)."""

    default_message = "The registry denied access to this resource."


class NotFound(RegistryError):
    default_message = "The registry does not know this resource."

    def __init__(
        self,
        user_message: str | None = None,
        *,
        what: NotFoundWhat = "page",
        status: int | None = 404,
    ) -> None:
        self.what = what
        super().__init__(user_message or f"The registry does not know this {what}.", status=status)


class Unsupported(RegistryError):
    """The registry does not support the operation (405 / UNSUPPORTED), e.g. deletes off."""

    default_message = "The registry does not support this operation."


class TooManyRequests(RegistryError):
    default_message = "The registry is rate limiting requests; try again later."

    def __init__(
        self,
        user_message: str | None = None,
        *,
        retry_after: int | None = None,
        status: int | None = 429,
    ) -> None:
        self.retry_after = retry_after
        super().__init__(user_message, status=status)


class BadResponse(RegistryError):
    """The registry answered with something we cannot use."""

    default_message = "The registry sent an unexpected response."


class TooLarge(BadResponse):
    default_message = "The registry's response is larger than allowed."


class DigestMismatch(BadResponse):
    default_message = "The content does not match its digest."


class Refused(RegistryError):
    """The SSRF guard refused to connect to a destination."""

    default_message = "Refusing to connect to a forbidden network address."
