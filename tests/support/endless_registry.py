"""A hostile registry of the suite's own: its catalog, tag lists and referrers never end.

What no real registry does on purpose: every `/v2/_catalog` and `/v2/<repo>/tags/list` page
carries a few names and a `Link` to one more page (`?last=N`), optionally after a delay; the
referrers API answers an OCI index of one descriptor per page, also with a next `Link`.
`/v2/` answers 200 like an open distribution registry, and every manifest reference answers
the same small OCI artifact, so tag pages exist.
https://distribution.github.io/distribution/spec/api/#pagination
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
NAMES_PER_PAGE = 3
_TAGS = re.compile(r"^/v2/(?P<repo>.+)/tags/list$")
_REFERRERS = re.compile(r"^/v2/(?P<repo>.+)/referrers/(?P<digest>[^/]+)$")
_MANIFESTS = re.compile(r"^/v2/(?P<repo>.+)/manifests/(?P<reference>[^/]+)$")
_EMPTY_CONFIG = {  # the OCI empty descriptor: https://github.com/opencontainers/image-spec/blob/main/manifest.md#guidance-for-an-empty-descriptor
    "mediaType": "application/vnd.oci.empty.v1+json",
    "digest": "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
    "size": 2,
}
ARTIFACT = json.dumps(
    {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "artifactType": "application/vnd.example.endless",
        "config": _EMPTY_CONFIG,
        "layers": [_EMPTY_CONFIG],
    }
).encode()
ARTIFACT_DIGEST = "sha256:" + hashlib.sha256(ARTIFACT).hexdigest()


class EndlessRegistry:
    """Serves on a free 127.0.0.1 port until stopped; counts the pages it sent by kind."""

    def __init__(self, *, delay: float = 0.0) -> None:
        self.delay = delay  # seconds before each listing page
        self.pages: Counter[str] = Counter()  # "catalog", "tags", "referrers"
        self.stopping = threading.Event()
        self._guard = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True  # a delayed answer never holds up stop()
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def count(self, kind: str) -> None:
        with self._guard:
            self.pages[kind] += 1

    def start(self) -> EndlessRegistry:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()  # ends the delays of pages still being answered
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


@contextlib.contextmanager
def endless_registry(*, delay: float = 0.0) -> Iterator[EndlessRegistry]:
    server = EndlessRegistry(delay=delay).start()
    try:
        yield server
    finally:
        server.stop()


def _handler_for(registry: EndlessRegistry) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as registries do

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            number = _number(parse_qs(parts.query).get("last", ["0"])[0]) + 1
            if parts.path == "/v2/":
                self._send(200, {}, {"Docker-Distribution-API-Version": "registry/2.0"})
            elif parts.path == "/v2/_catalog":
                names = [f"endless/repo{number}-{i}" for i in range(NAMES_PER_PAGE)]
                self._page("catalog", {"repositories": names}, "/v2/_catalog", number)
            elif match := _TAGS.match(parts.path):
                tags = [f"t{number}-{i}" for i in range(NAMES_PER_PAGE)]
                body = {"name": match["repo"], "tags": tags}
                self._page("tags", body, parts.path, number)
            elif _REFERRERS.match(parts.path):
                self._page("referrers", _referrers_index(number), parts.path, number, OCI_INDEX)
            elif _MANIFESTS.match(parts.path):
                self._artifact()
            else:
                errors = [{"code": "NAME_UNKNOWN", "message": "unknown", "detail": None}]
                self._send(404, {"errors": errors})

        def _page(
            self, kind: str, body: dict, path: str, number: int, content_type: str | None = None
        ) -> None:
            registry.count(kind)
            if registry.delay and registry.stopping.wait(registry.delay):
                return  # stopping: nobody waits for this answer any more
            link = f'<{path}?last={number}>; rel="next"'
            headers = {"Link": link} | ({"Content-Type": content_type} if content_type else {})
            self._send(200, body, headers)

        def _artifact(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", OCI_MANIFEST)
            self.send_header("Docker-Content-Digest", ARTIFACT_DIGEST)
            self.send_header("Content-Length", str(len(ARTIFACT)))
            self.end_headers()
            if self.command == "GET":
                with contextlib.suppress(OSError):
                    self.wfile.write(ARTIFACT)

        do_HEAD = do_GET

        def _send(self, status: int, body: dict, headers: dict[str, str] | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            for name, value in ({"Content-Type": "application/json"} | (headers or {})).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            with contextlib.suppress(OSError):  # the client gave up (a deadline): fine
                self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            pass  # quiet: tests count pages instead

    return Handler


def _number(text: str) -> int:
    return int(text) if text.isdigit() else 0


def _referrers_index(number: int) -> dict:
    return {
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": [
            {
                "mediaType": OCI_MANIFEST,
                "digest": f"sha256:{number:064x}",
                "size": 100 + number,
                "artifactType": "application/vnd.example.signature",
            }
        ],
    }
