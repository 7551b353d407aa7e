"""A small OpenID Connect provider for tests: discovery, authorize, token, JWKS, userinfo and
end_session on 127.0.0.1, signing RS256 ID tokens with a key it makes itself.

It auto-approves: /authorize logs in whoever `provider.user` names and redirects straight
back with a code. Tests change `user`, the users' claims, or `id_token_claims` (merged into
the next ID tokens: an old `exp`, another `nonce`, None to leave one out) and
`sign_with_forged_key` to see what
the portal refuses.

Specs: https://openid.net/specs/openid-connect-core-1_0.html (3.1, 5.3),
https://openid.net/specs/openid-connect-discovery-1_0.html,
https://openid.net/specs/openid-connect-rpinitiated-1_0.html, RFC 7636 (PKCE).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

REALM_PATH = "/realms/regfront"  # a path in the issuer, as Keycloak has


@dataclass
class _Grant:
    user: str
    client_id: str
    redirect_uri: str
    nonce: str | None
    code_challenge: str | None


@dataclass
class OIDCProvider:
    client_id: str = "regfront"
    client_secret: str = "regfront-client-s3cret"
    # user name -> claims (sub and the rest); `user` is who the next /authorize logs in.
    users: dict[str, dict] = field(default_factory=dict)
    user: str | None = None
    id_token_claims: dict = field(default_factory=dict)
    sign_with_forged_key: bool = False
    offer_end_session: bool = True
    discovery_overrides: dict = field(default_factory=dict)  # None leaves a key out
    # What the portal sent, for assertions: (path, query or form) per request.
    requests: list[tuple[str, dict]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.key_id = "test-key-1"
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        # Same kid, other key: what a forger without the provider's key can do at best.
        self._forged_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._grants: dict[str, _Grant] = {}
        self._access_tokens: dict[str, str] = {}
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None

    # --- lifecycle ------------------------------------------------------------------------

    @property
    def origin(self) -> str:
        if self._httpd is None:
            raise RuntimeError("OIDCProvider not started")
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def issuer(self) -> str:
        return self.origin + REALM_PATH

    def start(self) -> OIDCProvider:
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        threading.Thread(
            target=self._httpd.serve_forever, name="oidc-provider", daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> OIDCProvider:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def paths(self) -> list[str]:
        return [path for path, _ in self.requests]

    # --- documents ------------------------------------------------------------------------

    def discovery(self) -> dict:
        document = {
            "issuer": self.issuer,
            "authorization_endpoint": self.issuer + "/authorize",
            "token_endpoint": self.issuer + "/token",
            "userinfo_endpoint": self.issuer + "/userinfo",
            "jwks_uri": self.issuer + "/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
        }
        if self.offer_end_session:
            document["end_session_endpoint"] = self.issuer + "/logout"
        document |= self.discovery_overrides
        return {key: value for key, value in document.items() if value is not None}

    def jwks(self) -> dict:
        jwk = RSAAlgorithm.to_jwk(self._key.public_key(), as_dict=True)
        return {"keys": [jwk | {"kid": self.key_id, "use": "sig", "alg": "RS256"}]}

    def id_token(self, grant: _Grant) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": grant.client_id,
            "iat": now,
            "exp": now + 300,
            "auth_time": now,
        }
        claims |= self.users[grant.user]
        if grant.nonce is not None:
            claims["nonce"] = grant.nonce
        claims |= self.id_token_claims
        claims = {name: value for name, value in claims.items() if value is not None}
        key = self._forged_key if self.sign_with_forged_key else self._key
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": self.key_id})

    # --- endpoints ------------------------------------------------------------------------

    def authorize(self, query: dict[str, str]) -> tuple[int, dict[str, str], object]:
        """(status, headers, body): a redirect back with a code, or an error."""
        if query.get("client_id") != self.client_id or query.get("response_type") != "code":
            return 400, {}, {"error": "unauthorized_client"}
        if "openid" not in query.get("scope", "").split() or "redirect_uri" not in query:
            return 400, {}, {"error": "invalid_request"}
        if self.user is None:
            params = {"error": "access_denied", "state": query.get("state", "")}
            return 302, {"Location": f"{query['redirect_uri']}?{urlencode(params)}"}, b""
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._grants[code] = _Grant(
                user=self.user,
                client_id=query["client_id"],
                redirect_uri=query["redirect_uri"],
                nonce=query.get("nonce"),
                code_challenge=query.get("code_challenge"),
            )
        params = {"code": code, "state": query.get("state", "")}
        return 302, {"Location": f"{query['redirect_uri']}?{urlencode(params)}"}, b""

    def token(self, form: dict[str, str], authorization: str | None) -> tuple[int, object]:
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        if authorization and authorization.lower().startswith("basic "):
            decoded = base64.b64decode(authorization[6:]).decode()
            client_id, _, client_secret = decoded.partition(":")
        if client_id != self.client_id or client_secret != self.client_secret:
            return 401, {"error": "invalid_client"}
        with self._lock:
            grant = self._grants.pop(form.get("code", ""), None)  # a code works once
        if grant is None or form.get("grant_type") != "authorization_code":
            return 400, {"error": "invalid_grant"}
        if form.get("redirect_uri") != grant.redirect_uri:
            return 400, {"error": "invalid_grant"}
        if grant.code_challenge is not None:
            verifier = form.get("code_verifier", "").encode()
            challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=")
            if challenge.decode() != grant.code_challenge:
                return 400, {"error": "invalid_grant", "error_description": "PKCE"}
        access_token = secrets.token_urlsafe(24)
        with self._lock:
            self._access_tokens[access_token] = grant.user
        return 200, {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": 300,
            "id_token": self.id_token(grant),
        }

    def userinfo(self, authorization: str | None) -> tuple[int, object]:
        token = (authorization or "").removeprefix("Bearer ").strip()
        with self._lock:
            user = self._access_tokens.get(token)
        if user is None:
            return 401, {"error": "invalid_token"}
        return 200, dict(self.users[user])


def _handler_for(provider: OIDCProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        wbufsize = 64 * 1024  # one write per response (see token_server.py)

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            path = url.path.removeprefix(REALM_PATH)
            provider.requests.append((path, query))
            if path == "/.well-known/openid-configuration":
                self._send(200, provider.discovery())
            elif path == "/jwks":
                self._send(200, provider.jwks())
            elif path == "/authorize":
                status, headers, body = provider.authorize(query)
                self._send(status, body, headers)
            elif path == "/userinfo":
                self._send(*provider.userinfo(self.headers.get("Authorization")))
            elif path == "/logout" and provider.offer_end_session:
                target = query.get("post_logout_redirect_uri")
                if target:
                    self._send(302, b"", {"Location": target})
                else:
                    self._send(200, b"logged out")
            else:
                self._send(404, {"error": "not_found"})

        def do_POST(self) -> None:
            url = urlsplit(self.path)
            path = url.path.removeprefix(REALM_PATH)
            length = int(self.headers.get("Content-Length") or 0)
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            provider.requests.append((path, form))
            if path == "/token":
                status, body = provider.token(form, self.headers.get("Authorization"))
                self._send(status, body)
            else:
                self._send(404, {"error": "not_found"})

        def _send(self, status: int, body: object, headers: dict[str, str] | None = None) -> None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Cache-Control", "no-store")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            pass  # keep pytest output clean

    return Handler
