"""One outgoing notification POST, under the same outbound guard as registry requests
(registries/client/netguard.py): no link-local or metadata addresses, private networks as
configured, timeouts, no redirects followed, and only the start of the answer read.

Plain Python (no Django), like the client. Error sentences never carry the URL: a Slack or
Mattermost incoming-webhook URL is itself the credential.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
import urllib3

from registries.client.api import USER_AGENT
from registries.client.netguard import DestinationRefused, GuardedAdapter, check_host

EXCERPT_BYTES = 2048  # what the delivery log keeps of an answer; the rest is never read
CHUNK = 1024


class SendFailed(Exception):
    """The POST got no HTTP answer; `retry` is False when trying again cannot help."""

    def __init__(self, message: str, *, retry: bool = True) -> None:
        self.retry = retry
        super().__init__(message)


@dataclass(frozen=True)
class Answer:
    status: int
    excerpt: str  # the start of the body, decoded leniently

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def check_url(url: str, *, deny_private: bool) -> None:
    """Refuse what the guard would refuse before any packet leaves (IP literals, schemes);
    names are checked again when connecting, after DNS."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SendFailed("Only http:// and https:// URLs are sent to.", retry=False)
    try:
        check_host(parts.hostname, deny_private=deny_private)
    except DestinationRefused as exc:
        raise SendFailed(_refused(exc), retry=False) from exc


def _refused(exc: DestinationRefused) -> str:
    return f"Refused by the outbound guard: {exc.address} is not an allowed address."


def _session(deny_private: bool) -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # no proxies or ~/.netrc credentials from the environment
    adapter = GuardedAdapter(deny_private=deny_private, pool_maxsize=2)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def _read_excerpt(response: requests.Response, deadline: float) -> str:
    body = bytearray()
    # read1 returns what has arrived, so a receiver trickling bytes cannot outlive the deadline.
    while len(body) < EXCERPT_BYTES and time.monotonic() < deadline:
        chunk = response.raw.read1(CHUNK, decode_content=True)
        if not chunk:
            break
        body += chunk
    return bytes(body[:EXCERPT_BYTES]).decode("utf-8", "replace")


def post(
    url: str,
    *,
    body: bytes,
    headers: dict[str, str],
    deny_private: bool,
    timeout: float,
) -> Answer:
    """POST `body`; an Answer for any HTTP status (3xx included: redirects are not followed),
    SendFailed when no answer came."""
    check_url(url, deny_private=deny_private)
    deadline = time.monotonic() + timeout
    sent = {"User-Agent": USER_AGENT, "Content-Type": "application/json", **headers}
    with _session(deny_private) as session:
        try:
            response = session.post(
                url,
                data=body,
                headers=sent,
                timeout=(min(5.0, timeout), timeout),
                allow_redirects=False,
                stream=True,
            )
            with response:
                return Answer(response.status_code, _read_excerpt(response, deadline))
        except DestinationRefused as exc:  # raised at connect time, after DNS
            raise SendFailed(_refused(exc), retry=False) from exc
        except requests.exceptions.SSLError as exc:
            raise SendFailed("The TLS handshake failed (certificate or protocol).") from exc
        except (requests.exceptions.ConnectTimeout, urllib3.exceptions.ConnectTimeoutError) as exc:
            raise SendFailed("Connecting timed out.") from exc
        except requests.exceptions.Timeout as exc:
            raise SendFailed(f"No answer within {timeout:g} s.") from exc
        except requests.exceptions.ConnectionError as exc:
            raise SendFailed(_connection_sentence(exc)) from exc
        except (requests.RequestException, urllib3.exceptions.HTTPError) as exc:
            raise SendFailed(f"The request failed ({type(exc).__name__}).") from exc


def _connection_sentence(exc: requests.exceptions.ConnectionError) -> str:
    """Which way connecting failed, in words of our own (the library's name the URL)."""
    cause: BaseException | None = exc
    seen: set[int] = set()
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, DestinationRefused):
            return _refused(cause)
        if isinstance(cause, urllib3.exceptions.NameResolutionError):
            return "The host name does not resolve."
        if isinstance(cause, ConnectionRefusedError):
            return "Connection refused: nothing listens there."
        cause = cause.__cause__ or cause.__context__ or _reason(cause)
    return "The connection failed."


def _reason(exc: BaseException) -> BaseException | None:
    reason = getattr(exc, "reason", None)
    if isinstance(reason, BaseException):
        return reason
    args = getattr(exc, "args", ())
    return next((a for a in args if isinstance(a, BaseException)), None)
