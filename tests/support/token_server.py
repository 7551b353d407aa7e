"""A Docker token server for tests: signs ES256 JWTs that distribution 2.8 accepts.

Spec: https://distribution.github.io/distribution/spec/auth/token/ and
https://distribution.github.io/distribution/spec/auth/jwt/
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import threading
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import jwt
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

# grants(account, type, name, requested_actions) -> granted actions
GrantPolicy = Callable[[str | None, str, str, list[str]], list[str]]


def default_grants(
    users: dict[str, str],
) -> GrantPolicy:
    """Known users get what they ask for; anonymous gets `pull` on repositories only."""

    def policy(account: str | None, type_: str, name: str, actions: list[str]) -> list[str]:
        if account is not None and account in users:
            return list(actions)
        if type_ == "repository":
            return [a for a in actions if a == "pull"]
        return []

    return policy


def parse_scope(scope: str) -> tuple[str, str, list[str]] | None:
    """`type:name:actions`; the name may hold ':' (a registry host with a port)."""
    type_, sep, rest = scope.partition(":")
    name, sep2, actions = rest.rpartition(":")
    if not sep or not sep2 or not type_ or not name:
        return None
    return type_, name, [a for a in actions.split(",") if a]


def libtrust_key_id(public_key: ec.EllipticCurvePublicKey) -> str:
    """The `kid` distribution finds in its rootcertbundle (libtrust keyIDFromCryptoKey)."""
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    b32 = base64.b32encode(hashlib.sha256(der).digest()[:30]).decode().rstrip("=")
    return ":".join(b32[i : i + 4] for i in range(0, len(b32), 4))


def _self_signed_cert(key: ec.EllipticCurvePrivateKey) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "regfront-test-token-signer")])
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )


class TokenServer:
    """Threaded token endpoint on 127.0.0.1; `realm` is its /token URL."""

    def __init__(
        self,
        tmp_dir: Path,
        *,
        users: dict[str, str],
        grants: GrantPolicy | None = None,
        service: str = "regfront-test",
        issuer: str = "regfront-test-issuer",
        default_expires_in: int = 300,
        use_x5c: bool = False,
    ) -> None:
        self.users = dict(users)
        self.grants: GrantPolicy = grants or default_grants(self.users)
        self.service = service
        self.issuer = issuer
        self.expires_in = default_expires_in
        self.use_x5c = use_x5c
        # (account or None, scopes as sent) per token request, for assertions.
        self.requests: list[tuple[str | None, list[str]]] = []
        self._key = ec.generate_private_key(ec.SECP256R1())
        self._cert = _self_signed_cert(self._key)
        self.key_id = libtrust_key_id(self._key.public_key())
        tmp_dir.mkdir(parents=True, exist_ok=True)
        self.rootcertbundle = tmp_dir / "token-root.pem"
        self.rootcertbundle.write_bytes(self._cert.public_bytes(serialization.Encoding.PEM))
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def realm(self) -> str:
        if self._httpd is None:
            raise RuntimeError("TokenServer not started")
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/token"

    def start(self) -> TokenServer:
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="token-server", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> TokenServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def issue(self, account: str | None, scopes: list[str]) -> dict[str, object]:
        """The token response for `account` asking for `scopes` (after the grant policy)."""
        access = []
        for scope in scopes:
            parsed = parse_scope(scope)
            if parsed is None:
                continue
            type_, name, actions = parsed
            granted = self.grants(account, type_, name, actions)
            access.append({"type": type_, "name": name, "actions": granted})
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        iat = int(now.timestamp())
        claims = {
            "iss": self.issuer,
            "sub": account or "",
            "aud": self.service,
            "exp": iat + self.expires_in,
            "nbf": iat - 10,  # a little slack for clock skew
            "iat": iat,
            "jti": uuid.uuid4().hex,
            "access": access,
        }
        headers: dict[str, object] = {"kid": self.key_id}
        if self.use_x5c:
            der = self._cert.public_bytes(serialization.Encoding.DER)
            headers["x5c"] = [base64.b64encode(der).decode()]
        token = jwt.encode(claims, self._key, algorithm="ES256", headers=headers)
        return {
            "token": token,
            "access_token": token,
            "expires_in": self.expires_in,
            "issued_at": now.isoformat().replace("+00:00", "Z"),
        }

    def check_credentials(self, header: str | None) -> tuple[bool, str | None]:
        """(ok, account) from an Authorization header; no header means anonymous."""
        if not header:
            return True, None
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic":
            return False, None
        try:
            user, _, password = base64.b64decode(value.strip()).decode().partition(":")
        except ValueError:
            return False, None
        if self.users.get(user) != password:
            return False, None
        return True, user


def _handler_for(server: TokenServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Buffer the response into one write: headers and body in separate packets hit
        # Nagle + delayed ACK and cost ~40 ms per token.
        wbufsize = 64 * 1024

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            if url.path != "/token":
                self._send(404, {"errors": [{"code": "NOT_FOUND"}]})
                return
            query = parse_qs(url.query)
            ok, account = server.check_credentials(self.headers.get("Authorization"))
            if not ok:
                self._send(401, {"errors": [{"code": "UNAUTHORIZED"}]})
                return
            if query.get("service", [server.service])[0] != server.service:
                self._send(400, {"errors": [{"code": "INVALID_SERVICE"}]})
                return
            scopes = [s for value in query.get("scope", []) for s in value.split(" ") if s]
            server.requests.append((account, scopes))
            self._send(200, server.issue(account, scopes))

        def _send(self, status: int, body: dict[str, object]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            if status == 401:
                self.send_header("WWW-Authenticate", 'Basic realm="regfront-test-token"')
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            pass  # keep pytest output clean

    return Handler


def fetch_token(
    realm: str,
    *,
    service: str,
    scopes: list[str],
    auth: tuple[str, str] | None = None,
    session: requests.Session | None = None,
) -> str:
    """Ask a token endpoint for `scopes`; a tiny client helper for fixtures and tests."""
    http = session or requests
    resp = http.get(realm, params={"service": service, "scope": scopes}, auth=auth, timeout=10)
    resp.raise_for_status()
    body = resp.json()
    return body.get("token") or body["access_token"]
