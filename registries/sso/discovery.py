"""The provider's metadata, read from its discovery document when a login first needs it.

Spec: https://openid.net/specs/openid-connect-discovery-1_0.html (section 4). Read lazily,
so that a provider that is down at start-up neither stops the portal nor password logins.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass

import requests
from django.conf import settings
from django.utils.functional import lazy

WELL_KNOWN = "/.well-known/openid-configuration"
MAX_DOCUMENT_BYTES = 256 * 1024  # Keycloak's is ~6 KB; anything this big is not metadata
TTL_SECONDS = 3600  # endpoints change rarely; a restart or an hour picks up a change
REQUIRED = ("authorization_endpoint", "token_endpoint", "jwks_uri")


class ProviderUnavailable(Exception):
    """The discovery document could not be read or does not describe this issuer."""


@dataclass(frozen=True)
class ProviderMetadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None
    end_session_endpoint: str | None


_lock = threading.Lock()
_cache: dict[str, tuple[float, ProviderMetadata]] = {}


def _timeout() -> tuple[float, float]:
    return settings.REGFRONT_CONNECT_TIMEOUT, settings.REGFRONT_READ_TIMEOUT


def _read_document(url: str) -> dict:
    try:
        with requests.get(url, timeout=_timeout(), stream=True, allow_redirects=False) as resp:
            if resp.status_code != 200:
                raise ProviderUnavailable(f"{url} answered {resp.status_code}")
            body = resp.raw.read(MAX_DOCUMENT_BYTES + 1, decode_content=True)
    except requests.RequestException as exc:
        raise ProviderUnavailable(f"{url}: {exc.__class__.__name__}") from exc
    if len(body) > MAX_DOCUMENT_BYTES:
        raise ProviderUnavailable(f"{url} sent more than {MAX_DOCUMENT_BYTES} bytes")
    try:
        document = json.loads(body)
    except ValueError as exc:
        raise ProviderUnavailable(f"{url} sent no JSON") from exc
    if not isinstance(document, dict):
        raise ProviderUnavailable(f"{url} sent no JSON object")
    return document


def _parse(issuer: str, document: dict) -> ProviderMetadata:
    # Section 4.3: the issuer in the document must be the one asked for, or the keys and
    # tokens could be another provider's. A trailing slash is forgiven (Dex, Auth0 differ).
    if str(document.get("issuer", "")).rstrip("/") != issuer.rstrip("/"):
        raise ProviderUnavailable("the discovery document names another issuer")
    missing = [key for key in REQUIRED if not isinstance(document.get(key), str)]
    if missing:
        raise ProviderUnavailable(f"the discovery document has no {', '.join(missing)}")

    def optional(key: str) -> str | None:
        value = document.get(key)
        return value if isinstance(value, str) and value else None

    return ProviderMetadata(
        issuer=document["issuer"],
        authorization_endpoint=document["authorization_endpoint"],
        token_endpoint=document["token_endpoint"],
        jwks_uri=document["jwks_uri"],
        userinfo_endpoint=optional("userinfo_endpoint"),
        end_session_endpoint=optional("end_session_endpoint"),
    )


def provider_metadata() -> ProviderMetadata:
    """The configured issuer's metadata, cached in this process for an hour."""
    issuer = settings.REGFRONT_OIDC_ISSUER
    if not issuer:
        raise ProviderUnavailable("REGFRONT_OIDC_ISSUER is not set")
    with _lock:
        cached = _cache.get(issuer)
        if cached and cached[0] > time.monotonic():
            return cached[1]
    metadata = _parse(issuer, _read_document(issuer.rstrip("/") + WELL_KNOWN))
    with _lock:
        _cache[issuer] = (time.monotonic() + TTL_SECONDS, metadata)
    return metadata


def forget() -> None:
    """Drop what was read (tests; a provider that moved its endpoints)."""
    with _lock:
        _cache.clear()


def _endpoint(name: str) -> str:
    value = getattr(provider_metadata(), name)
    if value is None:
        raise ProviderUnavailable(f"the provider offers no {name}")
    return value


# Lazy strings for the OIDC_OP_* settings mozilla-django-oidc reads: the library stores them
# and passes them to requests, which turns them into str only when a login sends a request.
discovered = lazy(_endpoint, str)
