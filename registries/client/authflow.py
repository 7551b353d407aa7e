"""Which Authorization header to send to a registry, and getting bearer tokens.

Token flow: https://distribution.github.io/distribution/spec/auth/token/
The token request itself goes out through the transport (``fetch``): same guard, limits, logs.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from urllib.parse import urlencode, urlsplit

from . import auth, errors
from ._json import loads
from .errormap import error_for
from .wire import Reply, origin

FetchToken = Callable[[str, Mapping[str, str], float], Reply]


class Authorizer:
    """Basic or Bearer per the registry's challenge; tokens shared through the TokenCache."""

    def __init__(
        self,
        *,
        registry_url: str,
        credentials: auth.BasicAuth | None,
        cache: auth.TokenCache,
        fetch: FetchToken,
    ) -> None:
        scheme, host, port = origin(registry_url)
        self._registry_scheme = scheme
        self._origin_key = f"{scheme}://{host}:{port}"
        self._credentials = credentials
        self._account = auth.account_key(credentials)
        self._cache = cache
        self._fetch = fetch

    def __repr__(self) -> str:  # never show credentials
        return f"<Authorizer {self._origin_key} {self._account.split('#')[0]}>"

    @property
    def anonymous(self) -> bool:
        return self._credentials is None

    @property
    def mode(self) -> auth.AuthMode:
        challenge = self._cache.challenge_for(self._origin_key)
        if challenge is None:
            return "none"
        return "basic" if challenge.scheme == "basic" else "bearer"

    def forget(self) -> None:
        """Start over anonymous, e.g. for a ping that must detect the auth mode."""
        self._cache.remember_challenge(self._origin_key, None)

    def known(self, scopes: Collection[str], deadline: float) -> dict[str, str]:
        """Authorization for a registry whose challenge we already know (saves a 401)."""
        challenge = self._cache.challenge_for(self._origin_key)
        if challenge is None:
            return {}
        if challenge.scheme == "basic":
            return self._basic()
        return self._bearer(challenge, scopes, deadline, rejected=None)

    def after_401(
        self, header: str, scopes: Collection[str], deadline: float, *, sent: Mapping[str, str]
    ) -> dict[str, str]:
        """Authorization for the one retry after a 401, or {} when a retry cannot help."""
        challenge = auth.pick_challenge(auth.parse_challenges(header))
        if challenge is None:
            return {}
        self._cache.remember_challenge(self._origin_key, challenge)
        if challenge.scheme == "basic":
            basic = self._basic()
            return basic if basic and basic != dict(sent) else {}
        # A rejected bearer token was expired, revoked or too narrow: get a new one, once.
        rejected = sent.get("Authorization", "").removeprefix("Bearer ") or None
        return self._bearer(challenge, scopes, deadline, rejected=rejected)

    def _basic(self) -> dict[str, str]:
        return self._credentials.header() if self._credentials else {}

    def _bearer(
        self,
        challenge: auth.Challenge,
        scopes: Collection[str],
        deadline: float,
        *,
        rejected: str | None,
    ) -> dict[str, str]:
        """A cached token other than ``rejected``, or a new one; one fetch per key at a time."""
        key_scopes = set(scopes) or set(challenge.scopes)
        key = self._cache.key(challenge, key_scopes, self._account)
        token = self._cache.get(key)
        if token is None or token.value == rejected:
            with self._cache.lock_for(key):  # threads that lost the race reuse the winner's
                token = self._cache.get(key)
                if token is None or token.value == rejected:
                    # Ask for what the registry asked for too (distribution wants `delete`).
                    token = self._new_token(challenge, key_scopes | set(challenge.scopes), deadline)
                    self._cache.put(key, token)
        return {"Authorization": f"Bearer {token.value}"}

    def _new_token(
        self, challenge: auth.Challenge, scopes: Collection[str], deadline: float
    ) -> auth.Token:
        # https://distribution.github.io/distribution/spec/auth/token/#requesting-a-token
        realm = challenge.realm or ""
        scheme = urlsplit(realm).scheme
        if scheme not in ("http", "https"):
            raise errors.BadResponse("The registry named an invalid token server.")
        if scheme == "http" and self._registry_scheme == "https" and not self.anonymous:
            # Never downgrade: the password would cross the network in the clear.
            raise errors.BadResponse("The registry named a token server without HTTPS.")
        query = urlencode(auth.token_params(challenge, scopes))
        url = f"{realm}{'&' if '?' in realm else '?'}{query}" if query else realm
        reply = self._fetch(url, {"Accept": "application/json", **self._basic()}, deadline)
        if reply.status in (401, 403):
            if self.anonymous:
                raise errors.Unauthorized("The registry requires a username and password.")
            raise errors.Unauthorized(status=reply.status)
        if reply.status != 200:
            raise error_for(reply.status, reply.headers, reply.body)
        data = loads(reply.body, what="a token response", source="The token server")
        try:
            return auth.parse_token_response(data)
        except auth.TokenResponseError as exc:
            raise errors.BadResponse("The token server sent an unusable response.") from exc
