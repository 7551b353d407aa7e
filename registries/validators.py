"""Validation shared by the model, the forms, the admin and the seeding command."""

import re
from urllib.parse import urlsplit, urlunsplit

from django.core.exceptions import ValidationError

NAME_MAX_LENGTH = 32
NAME_RE = re.compile(r"^[a-z0-9]+$")
URL_SCHEMES = ("http", "https")


def validate_registry_name(name: str) -> None:
    """Names appear in URLs (/registry/<name>/), so only a-z and 0-9, as in the seed."""
    if not name:
        raise ValidationError("Enter a name.", code="required")
    if len(name) > NAME_MAX_LENGTH:
        raise ValidationError(
            f"Registry names have at most {NAME_MAX_LENGTH} characters.", code="max_length"
        )
    if not NAME_RE.match(name):
        raise ValidationError(
            "Registry names may contain only lowercase letters a-z and digits 0-9.",
            code="invalid_name",
        )


def normalise_registry_url(url: str) -> str:
    """Return the canonical form of a registry base URL or raise ValidationError.

    Lowercases scheme and host, drops a trailing slash and a trailing `/v2` (people paste the
    API root), and refuses credentials, queries and fragments: credentials belong in their
    own encrypted fields, not in a URL that is shown on pages.
    """
    url = (url or "").strip()
    if not url:
        raise ValidationError("Enter the registry URL.", code="required")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ValidationError("Enter a valid URL.", code="invalid_url") from exc
    if parts.scheme.lower() not in URL_SCHEMES:
        raise ValidationError(
            "The registry URL must start with http:// or https://.", code="invalid_scheme"
        )
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise ValidationError(
            "Put the username and password in their own fields, not in the URL.",
            code="credentials_in_url",
        )
    if not parts.hostname:
        raise ValidationError("The registry URL needs a host name.", code="invalid_url")
    if parts.query or parts.fragment or url.endswith(("?", "#")):
        raise ValidationError(
            "The registry URL may not contain a query (?) or a fragment (#).",
            code="invalid_url",
        )
    host = parts.hostname.lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = f"{host}:{port}" if port is not None else host
    path = parts.path.rstrip("/")
    if path.endswith("/v2"):
        path = path[: -len("/v2")]
    return urlunsplit((parts.scheme.lower(), netloc, path, "", ""))
