"""mozilla-django-oidc's backend, with the checks and the account rules regfront needs.

The library verifies the ID token's signature (RS256, key from the provider's JWKS), its
`exp` when present, and the nonce. It leaves out `iss` and `aud` and finds users by e-mail
alone; this subclass checks the claims OpenID Connect Core 1.0 section 3.1.3.7 asks for and
links people by (issuer, sub) instead (accounts.py).
"""

from __future__ import annotations

import logging

import jwt
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import SuspiciousOperation
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from registries.sso import accounts
from registries.sso.discovery import ProviderUnavailable

logger = logging.getLogger("regfront.sso")


class SSOBackend(OIDCAuthenticationBackend):
    def __init__(self, *args, **kwargs) -> None:
        # The parent's __init__ reads the provider's endpoints eagerly, and Django builds a
        # backend for every request of a logged-in user; they are read when a login needs
        # them instead (properties below), so a provider that is down breaks nothing else.
        self.OIDC_RP_CLIENT_ID = self.get_settings("OIDC_RP_CLIENT_ID")
        self.OIDC_RP_CLIENT_SECRET = self.get_settings("OIDC_RP_CLIENT_SECRET")
        self.OIDC_RP_SIGN_ALGO = self.get_settings("OIDC_RP_SIGN_ALGO", "RS256")
        self.OIDC_RP_IDP_SIGN_KEY = self.get_settings("OIDC_RP_IDP_SIGN_KEY", None)
        self.UserModel = get_user_model()

    @property
    def OIDC_OP_TOKEN_ENDPOINT(self):
        return self.get_settings("OIDC_OP_TOKEN_ENDPOINT")

    @property
    def OIDC_OP_USER_ENDPOINT(self):
        return self.get_settings("OIDC_OP_USER_ENDPOINT", None)

    @property
    def OIDC_OP_JWKS_ENDPOINT(self):
        return self.get_settings("OIDC_OP_JWKS_ENDPOINT")

    def authenticate(self, request, **kwargs):
        # Only the callback view's call (it passes the nonce); never a password form's.
        if request is None or "nonce" not in kwargs or "password" in kwargs:
            return None
        try:
            return super().authenticate(request, **kwargs)
        except (SuspiciousOperation, jwt.InvalidTokenError, KeyError) as exc:
            # A forged, expired or replayed token, a wrong nonce or audience, a token or key
            # without the `kid` the library matches keys by: no login.
            logger.warning("sso: login refused: %s", exc)
        except (requests.RequestException, ProviderUnavailable, ValueError) as exc:
            logger.warning("sso: the provider could not be asked: %s", exc.__class__.__name__)
        return None

    def verify_token(self, token, **kwargs):
        payload = super().verify_token(token, **kwargs)
        # The ID token (authenticate passes its nonce); a signed userinfo answer has no exp.
        is_id_token = "nonce" in kwargs
        self._check_claims(payload, id_token=is_id_token)
        return payload

    def _check_claims(self, payload: dict, *, id_token: bool) -> None:
        issuer = settings.REGFRONT_OIDC_ISSUER.rstrip("/")
        if str(payload.get("iss", "")).rstrip("/") != issuer:
            raise SuspiciousOperation("the token's issuer is not the configured one")
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if self.OIDC_RP_CLIENT_ID not in audiences:
            raise SuspiciousOperation("the token is not meant for this client")
        if len(audiences) > 1 and payload.get("azp") != self.OIDC_RP_CLIENT_ID:
            raise SuspiciousOperation("the token was issued to another party (azp)")
        if id_token and not (isinstance(payload.get("exp"), int) and payload.get("sub")):
            raise SuspiciousOperation("the ID token has no exp or no sub")

    def get_userinfo(self, access_token, id_token, payload):
        """The ID token's claims, with the userinfo endpoint's on top where there is one."""
        claims = dict(payload)
        try:
            has_endpoint = bool(str(self.OIDC_OP_USER_ENDPOINT or ""))
        except ProviderUnavailable:
            has_endpoint = False  # the provider offers no userinfo endpoint
        if has_endpoint:
            info = super().get_userinfo(access_token, id_token, payload)
            # Core 1.0 section 5.3.2: a userinfo answer for another `sub` must not be used.
            if str(info.get("sub")) != str(payload.get("sub")):
                raise SuspiciousOperation("userinfo is about another subject")
            claims.update(info)
        return claims

    def verify_claims(self, claims) -> bool:
        # The library wants an e-mail when the scope asks for one; a `sub` is what matters
        # here (LDAP users behind Dex may have no e-mail).
        return bool(claims.get("sub"))

    def get_or_create_user(self, access_token, id_token, payload):
        claims = self.get_userinfo(access_token, id_token, payload)
        if not self.verify_claims(claims):
            raise SuspiciousOperation("the provider sent no sub")
        return accounts.user_for_claims(
            issuer=settings.REGFRONT_OIDC_ISSUER.rstrip("/"),
            claims=claims,
            groups_claim=settings.REGFRONT_OIDC_GROUPS_CLAIM,
            create=self.get_settings("OIDC_CREATE_USER", True),
        )
