"""Authentication: challenge parsing, Basic, the Docker token flow, and a token cache.

Token flow: https://distribution.github.io/distribution/spec/auth/token/
Scopes: https://distribution.github.io/distribution/spec/auth/scope/
Challenges: https://www.rfc-editor.org/rfc/rfc9110#section-11.6.1
No I/O here: transport.py sends the token request and hands the JSON back.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from ._json import as_time

AuthMode = Literal["none", "basic", "bearer"]

CATALOG_SCOPE = "registry:catalog:*"
DEFAULT_TOKEN_LIFETIME = 60  # seconds, when the token server omits expires_in
# Longer lifetimes are cut to this: a token the registry rejects earlier is fetched again,
# and a huge expires_in (10**400) must not overflow the float arithmetic below.
MAX_TOKEN_LIFETIME = 24 * 3600
EXPIRY_MARGIN = 5  # seconds: stop using a token this long before it expires
TOKEN_CACHE_MAX_ENTRIES = 2048


def pull_scope(repository: str) -> str:
    return f"repository:{repository}:pull"


def delete_scope(repository: str) -> str:
    return f"repository:{repository}:pull,delete"


def push_scope(repository: str) -> str:
    return f"repository:{repository}:pull,push"


@dataclass(frozen=True)
class Challenge:
    scheme: str  # lowercase: "basic", "bearer", ...
    params: dict[str, str] = field(default_factory=dict)

    @property
    def realm(self) -> str | None:
        return self.params.get("realm")

    @property
    def service(self) -> str | None:
        return self.params.get("service")

    @property
    def scopes(self) -> tuple[str, ...]:
        # Several scopes in one challenge are separated by spaces.
        return tuple(self.params.get("scope", "").split())

    @property
    def error(self) -> str | None:
        return self.params.get("error")


_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_SCHEME_RE = re.compile(rf"\s*({_TOKEN})")
_PARAM_RE = re.compile(rf"\s*({_TOKEN})\s*=\s*")
_QUOTED_RE = re.compile(r'"((?:[^"\\]|\\.)*)"', re.DOTALL)
_BARE_RE = re.compile(r"[^\s,]*")
_TOKEN68_RE = re.compile(r"\s*[A-Za-z0-9._~+/-]+=*\s*(?=,|$)")


def parse_challenges(header: str) -> list[Challenge]:
    """Parse ``WWW-Authenticate``; quote-aware, several challenges in one header."""
    challenges: list[Challenge] = []
    pos = 0
    while pos < len(header):
        if header[pos] in " \t,":
            pos += 1
            continue
        scheme = _SCHEME_RE.match(header, pos)
        if not scheme:
            break  # garbage: keep what we have
        pos = scheme.end()
        params: dict[str, str] = {}
        token68 = _TOKEN68_RE.match(header, pos)
        if token68 and not _PARAM_RE.match(header, pos):
            pos = token68.end()
        while param := _PARAM_RE.match(header, pos):
            pos = param.end()
            quoted = _QUOTED_RE.match(header, pos)
            if quoted:
                value = re.sub(r"\\(.)", r"\1", quoted.group(1))
                pos = quoted.end()
            else:
                bare = _BARE_RE.match(header, pos)
                value = bare.group(0) if bare else ""
                pos = bare.end() if bare else pos
            params.setdefault(param.group(1).lower(), value)
            comma = re.compile(r"\s*,").match(header, pos)
            if not comma:
                break
            pos = comma.end()
        challenges.append(Challenge(scheme.group(1).lower(), params))
    return challenges


def pick_challenge(challenges: Iterable[Challenge]) -> Challenge | None:
    """Prefer Bearer (scoped) over Basic; ignore schemes we cannot answer."""
    by_scheme = {c.scheme: c for c in reversed(list(challenges))}
    return by_scheme.get("bearer") or by_scheme.get("basic")


@dataclass(frozen=True)
class BasicAuth:
    """Registry credentials; the password stays out of repr() and tracebacks' locals."""

    username: str
    password: str = field(repr=False)

    def header(self) -> dict[str, str]:
        # https://www.rfc-editor.org/rfc/rfc7617 (UTF-8, as docker sends it)
        raw = f"{self.username}:{self.password}".encode()
        return {"Authorization": "Basic " + base64.b64encode(raw).decode("ascii")}


def token_params(challenge: Challenge, scopes: Iterable[str]) -> list[tuple[str, str]]:
    """Query parameters for the token realm: ``service`` and one ``scope`` per scope."""
    params = [("service", challenge.service)] if challenge.service else []
    return params + [("scope", scope) for scope in sorted(set(scopes))]


@dataclass(frozen=True)
class Token:
    value: str
    expires_at: float  # time.monotonic() deadline, margin already taken off

    def is_fresh(self, now: float | None = None) -> bool:
        return (time.monotonic() if now is None else now) < self.expires_at


class TokenResponseError(ValueError):
    """The token endpoint answered 200 with JSON we cannot use."""


def parse_token_response(data: Any, *, now: float | None = None) -> Token:
    """Accept ``token`` or ``access_token``; ``expires_in`` defaults to 60 s."""
    if not isinstance(data, dict):
        raise TokenResponseError("token response is not an object")
    value = data.get("token") or data.get("access_token")
    if not isinstance(value, str) or not value:
        raise TokenResponseError("token response has no token")
    lifetime = data.get("expires_in")
    if isinstance(lifetime, bool) or not isinstance(lifetime, int | float) or not lifetime > 0:
        lifetime = DEFAULT_TOKEN_LIFETIME  # `not > 0` also catches NaN
    lifetime = float(min(lifetime, MAX_TOKEN_LIFETIME))
    lifetime -= _age(data.get("issued_at"), lifetime)
    now = time.monotonic() if now is None else now
    return Token(value, now + max(0.0, lifetime - EXPIRY_MARGIN))


def _age(issued_at: Any, lifetime: float) -> float:
    """Seconds since ``issued_at``; 0 when absent, unparsable or implausible (clock skew)."""
    issued = as_time(issued_at)
    if issued is None:
        return 0.0
    age = (datetime.now(UTC) - issued).total_seconds()
    return age if 0 < age < lifetime else 0.0


_ACCOUNT_SALT = secrets.token_bytes(16)


def account_key(credentials: BasicAuth | None) -> str:
    """A cache key part for one set of credentials; never reveals the password."""
    if credentials is None:
        return "anonymous"
    secret = f"{credentials.username}\0{credentials.password}".encode()
    return f"{credentials.username}#{hashlib.sha256(_ACCOUNT_SALT + secret).hexdigest()[:16]}"


CacheKey = tuple[str, str, frozenset[str], str]


class TokenCache:
    """Thread-safe in-memory cache of bearer tokens and of each registry's challenge."""

    def __init__(self, *, max_entries: int = TOKEN_CACHE_MAX_ENTRIES) -> None:
        self._lock = threading.Lock()
        self._tokens: dict[CacheKey, Token] = {}
        self._challenges: dict[str, Challenge] = {}
        self._fetch_locks: dict[CacheKey, threading.Lock] = {}
        self._max_entries = max_entries

    @staticmethod
    def key(challenge: Challenge, scopes: Iterable[str], account: str) -> CacheKey:
        return (challenge.realm or "", challenge.service or "", frozenset(scopes), account)

    def get(self, key: CacheKey) -> Token | None:
        with self._lock:
            token = self._tokens.get(key)
            if token is not None and not token.is_fresh():
                del self._tokens[key]
                return None
            return token

    def put(self, key: CacheKey, token: Token) -> None:
        with self._lock:
            if len(self._tokens) >= self._max_entries:
                self._evict()
            self._tokens[key] = token

    def lock_for(self, key: CacheKey) -> threading.Lock:
        """One lock per key, so concurrent misses fetch one token instead of many."""
        with self._lock:
            if len(self._fetch_locks) >= self._max_entries:
                self._fetch_locks.clear()  # worst case: one duplicate fetch
            return self._fetch_locks.setdefault(key, threading.Lock())

    def _evict(self) -> None:
        now = time.monotonic()
        for key in [k for k, t in self._tokens.items() if not t.is_fresh(now)]:
            del self._tokens[key]
        while len(self._tokens) >= self._max_entries:
            del self._tokens[next(iter(self._tokens))]  # oldest insertion first

    def challenge_for(self, origin: str) -> Challenge | None:
        with self._lock:
            return self._challenges.get(origin)

    def remember_challenge(self, origin: str, challenge: Challenge | None) -> None:
        with self._lock:
            if challenge is None:
                self._challenges.pop(origin, None)
            elif len(self._challenges) < self._max_entries or origin in self._challenges:
                self._challenges[origin] = challenge
