"""The one place that sends HTTP requests to registries and token servers.

Every request gets timeouts and a total deadline, a size cap read by streaming, redirects
followed by hand, the SSRF guard, one log line, one observer record, and error mapping.
Which Authorization header to send is decided by authflow.Authorizer.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import requests
import urllib3

from . import auth, errors
from .auth import AuthMode, TokenCache
from .authflow import Authorizer
from .errormap import error_for, error_for_exception, unauthorized_error
from .errors import NotFoundWhat
from .netguard import DestinationRefused, check_host
from .wire import Reply, origin

logger = logging.getLogger("regfront.registry")

KIB = 1024
MIB = 1024 * KIB
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
FOLLOWED_METHODS = frozenset({"GET", "HEAD"})  # reads only; see Transport._exchange
CHUNK_SIZE = 64 * KIB
MAX_LOGGED_PATH = 300
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Limits:
    connect_timeout: float = 5.0
    read_timeout: float = 20.0
    deadline: float = 60.0  # seconds for one logical request: auth, retries, redirects
    max_manifest_bytes: int = 4 * MIB  # manifests and image configs
    max_json_bytes: int = 16 * MIB  # catalog, tags and referrers pages
    max_token_bytes: int = 1 * MIB
    max_error_bytes: int = 64 * KIB  # error bodies are read this far, then cut
    max_redirects: int = 5
    # A catalog or tag list in all, however many Link pages the registry sends.
    listing_deadline: float = 20.0
    max_listing_pages: int = 1000


@dataclass(frozen=True)
class RequestRecord:
    """One real HTTP request, for metrics and tests."""

    registry: str
    method: str
    path: str
    status: int | None
    outcome: str  # "ok", "redirect", "not_modified", "client_error", "server_error", or an error
    duration: float  # seconds


Observer = Callable[[RequestRecord], None]


def _outcome(status: int) -> str:
    if status in REDIRECT_STATUSES:
        return "redirect"
    if status == 304:
        return "not_modified"
    if status < 400:
        return "ok"
    return "client_error" if status < 500 else "server_error"


class Transport:
    """Sends requests for one registry. Thread-safe; state lives in the token cache."""

    def __init__(
        self,
        base_url: str,
        *,
        name: str,
        session: requests.Session,
        username: str | None,
        password: str | None,
        verify: bool | str,
        limits: Limits,
        deny_private: bool,
        token_cache: TokenCache,
        observer: Observer | None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.name = name
        self.session = session
        self.verify = verify
        self.limits = limits
        self.deny_private = deny_private
        self.observer = observer
        self.authorizer = Authorizer(
            registry_url=self.base_url,
            credentials=auth.BasicAuth(username, password or "") if username is not None else None,
            cache=token_cache,
            fetch=self._fetch_token_reply,
        )

    def __repr__(self) -> str:  # never show credentials
        return f"<Transport {self.name} {self.base_url}>"

    @property
    def auth_mode(self) -> AuthMode:
        return self.authorizer.mode

    def send(
        self,
        method: str,
        path_or_url: str,
        *,
        scopes: Collection[str] = (),
        headers: Mapping[str, str] | None = None,
        accept: Collection[int] = (200,),
        max_bytes: int,
        not_found: NotFoundWhat = "page",
        probe: bool = False,
        until: float | None = None,
        stream: bool = False,
        body: bytes | None = None,
    ) -> Reply:
        """Send one logical request, authenticating as the registry asks; map errors.

        ``probe`` forgets what we knew about the registry's auth and starts anonymous.
        ``until`` (time.monotonic()) ends the request sooner, e.g. with a listing's deadline.
        ``stream`` leaves a 200's body unread in ``Reply.stream``, which the caller closes.
        ``body`` is sent as it is (a manifest PUT), again on the retry after a 401.
        """
        url = urljoin(self.base_url + "/", path_or_url)
        deadline = time.monotonic() + self.limits.deadline
        if until is not None:
            deadline = min(deadline, until)
        if probe:
            self.authorizer.forget()
        # Credentials and tokens go to the registry's own origin only, never to a Link target
        # or redirect elsewhere.
        ours = origin(url) == origin(self.base_url)
        sent_auth = self.authorizer.known(scopes, deadline) if ours else {}
        reply = self._exchange(
            method, url, {**(headers or {}), **sent_auth}, max_bytes, deadline, stream=stream,
            body=body,
        )  # fmt: skip
        if reply.status == 401 and ours and origin(reply.url) == origin(self.base_url):
            # https://distribution.github.io/distribution/spec/auth/token/#how-to-authenticate
            challenge_header = reply.headers.get("WWW-Authenticate", "")
            new_auth = self.authorizer.after_401(challenge_header, scopes, deadline, sent=sent_auth)
            if new_auth:
                retry_headers = {**(headers or {}), **new_auth}
                reply = self._exchange(
                    method, url, retry_headers, max_bytes, deadline, stream=stream, body=body
                )
            if reply.status == 401:
                raise unauthorized_error(
                    reply.headers, reply.body, anonymous=self.authorizer.anonymous
                )
        if reply.status in accept:
            return reply
        raise error_for(reply.status, reply.headers, reply.body, not_found=not_found)

    # -- HTTP -----------------------------------------------------------------------------

    def _fetch_token_reply(self, url: str, headers: Mapping[str, str], deadline: float) -> Reply:
        return self._exchange("GET", url, headers, self.limits.max_token_bytes, deadline)

    def _exchange(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        max_bytes: int,
        deadline: float,
        *,
        stream: bool = False,
        body: bytes | None = None,
    ) -> Reply:
        """Send, following redirects of reads by hand; drop Authorization across origins."""
        headers = dict(headers)
        for _ in range(self.limits.max_redirects + 1):
            reply = self._hop(method, url, headers, max_bytes, deadline, stream=stream, body=body)
            location = reply.headers.get("Location")
            if reply.status not in REDIRECT_STATUSES or not location:
                return reply
            if method not in FOLLOWED_METHODS:
                # A change must happen where it was asked for, or not at all: a 307 would
                # replay a DELETE elsewhere and report another server's answer as ours.
                raise errors.BadResponse(
                    f"The registry redirected a {method}; regfront does not follow redirects "
                    "for changes.",
                    status=reply.status,
                )
            target = urljoin(url, location)
            if origin(target) != origin(url):
                headers = {k: v for k, v in headers.items() if k.lower() != "authorization"}
            url = target
        raise errors.BadResponse("The registry redirected too many times.")

    def _hop(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        max_bytes: int,
        deadline: float,
        *,
        stream: bool = False,
        body: bytes | None = None,
    ) -> Reply:
        """Exactly one HTTP request: guard, timeouts, capped read, log, observer."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise errors.Refused("Refusing to follow a link that is not HTTP(S).")
        try:
            check_host(parts.hostname, deny_private=self.deny_private)
        except DestinationRefused as exc:
            logger.warning("registry=%s refused destination=%s", self.name, exc.address)
            raise errors.Refused() from exc
        started = time.monotonic()
        remaining = deadline - started
        if remaining <= 0:
            raise errors.Timeout()
        status: int | None = None
        outcome = "error"
        try:
            timeout = (
                min(self.limits.connect_timeout, remaining),
                min(self.limits.read_timeout, remaining),
            )
            response = self.session.request(
                method,
                url,
                headers=headers,
                data=body,
                timeout=timeout,
                allow_redirects=False,
                stream=True,
                verify=self.verify,
            )
            status = response.status_code
            if stream and status == 200:
                reply = Reply(status, response.headers, b"", url, stream=response)
            else:
                with response:
                    body = self._read(response, method, max_bytes, deadline)
                    reply = Reply(status, response.headers, body, url)
            outcome = _outcome(status)
            return reply
        except errors.RegistryError as exc:
            outcome = type(exc).__name__
            raise
        except DestinationRefused as exc:  # from the connect-time check, after DNS
            outcome = "Refused"
            logger.warning("registry=%s refused destination=%s", self.name, exc.address)
            raise errors.Refused() from exc
        except (requests.RequestException, urllib3.exceptions.HTTPError) as exc:
            mapped = error_for_exception(exc)
            outcome = type(mapped).__name__
            raise mapped from exc
        finally:
            self._record(method, parts.path or "/", status, outcome, time.monotonic() - started)

    def _read(
        self, response: requests.Response, method: str, max_bytes: int, deadline: float
    ) -> bytes:
        if method == "HEAD":
            # A HEAD has no body; reading it to its end returns the connection to the pool
            # (closing an unread response closes the connection: one new one per HEAD).
            response.content  # noqa: B018
            return b""
        if response.status_code in REDIRECT_STATUSES:
            return b""
        is_error = response.status_code >= 400
        cap = self.limits.max_error_bytes if is_error else max_bytes
        length = response.headers.get("Content-Length", "")
        if not is_error and length.isdigit() and int(length) > cap:
            raise errors.TooLarge()
        body = bytearray()
        # read1 returns what has arrived instead of waiting for a full chunk, so a body that
        # trickles in cannot outlive the deadline (each read is bounded by the read timeout).
        while chunk := response.raw.read1(CHUNK_SIZE, decode_content=True):
            body += chunk
            if len(body) > cap:
                if is_error:
                    return bytes(body[:cap])  # enough to read an error code
                raise errors.TooLarge()
            if time.monotonic() > deadline:
                raise errors.Timeout()
        return bytes(body)

    def _record(
        self, method: str, path: str, status: int | None, outcome: str, duration: float
    ) -> None:
        path = _CONTROL_CHARS.sub("?", path)[:MAX_LOGGED_PATH]  # no forged log lines
        logger.info(
            "registry=%s method=%s path=%s status=%s outcome=%s duration_ms=%d",
            self.name, method, path, status if status is not None else "-", outcome,
            duration * 1000,
        )  # fmt: skip
        if self.observer is not None:
            record = RequestRecord(self.name, method, path, status, outcome, duration)
            try:
                self.observer(record)
            except Exception:
                logger.exception("registry=%s observer failed", self.name)
