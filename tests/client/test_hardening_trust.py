"""Trust (issue 17): changes are never replayed elsewhere by a redirect, a schema-1 manifest
cannot say how its own digest is computed, and the outbound guard refuses before it connects.

`responses` fakes only what a real registry cannot be made to do (a redirected DELETE).
"""

import base64
import hashlib
import json
import re
import socket
import ssl
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import responses
from cryptography import x509

from registries.client import digests, errors
from registries.client.api import RegistryClient
from registries.models import AuditRecord, Registry
from tests.support.certs import self_signed as certificate

BASE = "https://registry.test"
ELSEWHERE = "https://elsewhere.test"
DIGEST = "sha256:" + "a" * 64


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


# --- 5. redirects are followed for reads only -------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize("target", [ELSEWHERE, BASE])
@responses.activate
def test_it_does_not_follow_a_redirected_delete(status, target):
    path = f"/v2/app/manifests/{DIGEST}"
    responses.delete(f"{BASE}{path}", status=status, headers={"Location": f"{target}/moved"})
    moved = responses.delete(f"{target}/moved", status=202)
    with pytest.raises(errors.BadResponse) as raised:
        RegistryClient(BASE, name="test").delete_manifest("app", DIGEST)
    assert raised.value.user_message == (
        "The registry redirected a DELETE; regfront does not follow redirects for changes."
    )
    assert moved.call_count == 0  # nothing was sent to the redirect target
    assert len(responses.calls) == 1


@responses.activate
def test_it_still_follows_a_redirected_read():
    blob = b"layer"
    responses.get(
        f"{BASE}/v2/app/blobs/{sha256(blob)}", status=307, headers={"Location": f"{ELSEWHERE}/b"}
    )
    responses.get(f"{ELSEWHERE}/b", body=blob)
    assert RegistryClient(BASE, name="test").blob("app", sha256(blob), max_bytes=64) == blob


@pytest.mark.django_db
def test_it_audits_a_delete_redirected_to_another_origin_as_failed(
    client, persona, registry_open, registry_row, fresh_repo
):
    """A real registry for the confirmation page; only its DELETE answer is faked (a 307 to
    another origin, which distribution never sends)."""
    repo = fresh_repo(registry_open, prefix="redirected")
    registry_row(registry_open, name="local")
    persona("dora")
    url = f"/manage/registry/local/delete/{repo.name}:v1"
    with responses.RequestsMock(assert_all_requests_are_fired=False) as fake:
        fake.add_passthru(registry_open.url)
        fake.delete(
            f"{registry_open.url}/v2/{repo.name}/manifests/{repo.image.digest}",
            status=307,
            headers={"Location": f"{ELSEWHERE}/v2/{repo.name}/manifests/{repo.image.digest}"},
        )
        moved = fake.delete(f"{ELSEWHERE}/v2/{repo.name}/manifests/{repo.image.digest}")
        response = client.post(url, {"digest": repo.image.digest})

    assert response.status_code == 502
    assert "regfront does not follow redirects for changes" in response.content.decode()
    assert moved.call_count == 0
    record = AuditRecord.objects.get()
    assert (record.action, record.outcome) == ("manifest_delete", "failed")
    assert record.message == (
        "The registry redirected a DELETE; regfront does not follow redirects for changes."
    )
    # The manifest is still there: nothing was deleted anywhere.
    assert client.get(f"/registry/local/{repo.name}:v1").status_code == 200


# --- 6. a signed schema-1 manifest cannot say how its own digest is computed ------------
# https://distribution.github.io/distribution/spec/deprecated-schema-v1/#signed-manifests
# distribution 2.8 refuses schema-1 pushes unless compatibility.schema1 is on, and never
# serves a forgery, so the registry side is `responses`.

SCHEMA1_SIGNED = "application/vnd.docker.distribution.manifest.v1+prettyjws"
HONEST_LAYER = "sha256:" + "1" * 64
EVIL_LAYER = "sha256:" + "e" * 64
LEGACY = "https://legacy.test"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def schema1_payload(*, layer: str = HONEST_LAYER, version_last: bool = False) -> bytes:
    """The unsigned manifest, indented as distribution's libtrust writes it."""
    manifest = {
        "name": "legacy/app",
        "tag": "old",
        "architecture": "amd64",
        "fsLayers": [{"blobSum": layer}],
        "history": [{"v1Compatibility": json.dumps({"id": "x", "created": "2016-01-01"})}],
    }
    version = {"schemaVersion": 1}
    manifest = {**manifest, **version} if version_last else {**version, **manifest}
    return json.dumps(manifest, indent=3).encode()


def signed(head: bytes, rest: bytes = b"", *, tail: bytes = b"\n}") -> bytes:
    """`head` + `rest` + a signatures member + `tail`, the protected header saying the
    payload is `head` + `tail` (regfront checks digests, not the JWS signature itself)."""
    header = {"formatLength": len(head), "formatTail": b64url(tail)}
    protected = b64url(json.dumps(header).encode())
    signature = {"header": {"alg": "ES256"}, "signature": b64url(b"sig"), "protected": protected}
    signatures = json.dumps([signature], indent=3).replace("\n", "\n   ").encode()
    return head + rest + b',\n   "signatures": ' + signatures + tail


def honestly_signed(payload: bytes) -> bytes:
    return signed(payload[:-2])  # libtrust cuts before the closing "\n}"


def header_payload(raw: bytes) -> bytes:
    """What trusting formatLength/formatTail makes of `raw` (the old, fooled reading)."""
    protected = json.loads(raw)["signatures"][0]["protected"]
    header = json.loads(base64.urlsafe_b64decode(protected + "=="))
    tail = base64.urlsafe_b64decode(header["formatTail"] + "==")
    return raw[: header["formatLength"]] + tail


def forge_duplicate_key() -> tuple[bytes, bytes]:
    # JSON keeps the last of two equal keys: the page would show the evil layer.
    victim = schema1_payload()
    evil = b',\n   "fsLayers": [{"blobSum": "%s"}]' % EVIL_LAYER.encode()
    return victim, signed(victim[:-2], evil)


def forge_extra_key() -> tuple[bytes, bytes]:
    victim = schema1_payload()
    return victim, signed(victim[:-2], b',\n   "evil": true')


def forge_number_cut_short() -> tuple[bytes, bytes]:
    # The manifest says schemaVersion 1.0, the hashed payload 1 (Python's == takes them
    # as equal, JSON does not).
    victim = schema1_payload(version_last=True)
    return victim, signed(victim[:-2], b".0")


FORGERIES = {
    "a key given twice": forge_duplicate_key,
    "an extra key": forge_extra_key,
    "a number cut short": forge_number_cut_short,
}


def serve_schema1(fake, reference: str, body: bytes, *, header_digest: str | None = None):
    headers = {"Docker-Content-Digest": header_digest} if header_digest else {}
    fake.get(
        f"{LEGACY}/v2/legacy/app/manifests/{reference}",
        body=body, content_type=SCHEMA1_SIGNED, headers=headers,
    )  # fmt: skip


@pytest.mark.parametrize("forge", FORGERIES.values(), ids=FORGERIES.keys())
@responses.activate
def test_it_refuses_a_schema1_manifest_whose_header_claims_another_digest(forge):
    victim, raw = forge()
    assert header_payload(raw) == victim  # the header alone would vouch for the forgery
    assert digests.schema1_payload(raw) == raw
    serve_schema1(responses, sha256(victim), raw)
    with pytest.raises(errors.DigestMismatch):
        RegistryClient(LEGACY).manifest("legacy/app", sha256(victim))


@responses.activate
def test_it_refuses_a_forged_schema1_manifest_fetched_by_tag():
    """By tag the digest is the registry's Docker-Content-Digest: verified the same way."""
    victim, raw = forge_duplicate_key()
    serve_schema1(responses, "old", raw, header_digest=sha256(victim))
    with pytest.raises(errors.DigestMismatch):
        RegistryClient(LEGACY).manifest("legacy/app", "old")


@responses.activate
def test_it_accepts_a_schema1_manifest_signed_as_distribution_signs_it():
    payload = schema1_payload()
    raw = honestly_signed(payload)
    serve_schema1(responses, "old", raw, header_digest=sha256(payload))
    serve_schema1(responses, sha256(payload), raw)
    client = RegistryClient(LEGACY)

    by_tag = client.manifest("legacy/app", "old")
    by_digest = client.manifest("legacy/app", sha256(payload))
    assert by_tag.digest == by_digest.digest == sha256(payload)  # the payload's, as distribution
    assert by_digest.parsed.fs_layers == (HONEST_LAYER,)
    assert by_digest.raw == raw


@responses.activate
def test_it_reads_a_schema1_manifest_with_a_deeply_nested_header_as_unsigned():
    """A `protected` header nested past Python's recursion limit was a RecursionError (a
    500); now the header is just not believed, and the raw bytes must match the digest."""
    deep = b"[" * 100_000 + b"]" * 100_000
    honest = honestly_signed(schema1_payload())
    protected = json.loads(honest)["signatures"][0]["protected"]
    raw = honest.replace(protected.encode(), b64url(deep).encode())
    assert digests.schema1_payload(raw) == raw
    serve_schema1(responses, sha256(raw), raw)
    assert RegistryClient(LEGACY).manifest("legacy/app", sha256(raw)).digest == sha256(raw)


@pytest.mark.django_db
def test_it_never_caches_a_forged_schema1_manifest_under_the_victims_digest(client):
    """The page of the victim's digest: an error while the forgery is served, the real
    manifest as soon as the registry sends it (nothing of the forgery was kept)."""
    Registry.objects.create(name="legacy", url=LEGACY)
    victim = schema1_payload()
    page = f"/registry/legacy/legacy/app@{sha256(victim)}"
    with responses.RequestsMock(assert_all_requests_are_fired=False) as fake:
        fake.get(re.compile(rf"{LEGACY}/v2/legacy/app/(referrers|manifests/sha256-).*"), status=404)
        serve_schema1(fake, sha256(victim), forge_duplicate_key()[1])
        refused = client.get(page)
    assert refused.status_code == 502
    assert "does not match its digest" in refused.content.decode()
    assert EVIL_LAYER not in refused.content.decode()

    with responses.RequestsMock(assert_all_requests_are_fired=False) as fake:
        fake.get(re.compile(rf"{LEGACY}/v2/legacy/app/(referrers|manifests/sha256-).*"), status=404)
        fake.get(re.compile(rf"{LEGACY}/v2/legacy/app/blobs/.*"), status=404)
        fake.get(re.compile(rf"{LEGACY}/v2/legacy/app/tags/list.*"), json={"tags": []})
        serve_schema1(fake, sha256(victim), honestly_signed(victim))
        shown = client.get(page)
    assert shown.status_code == 200, shown.content[:500]
    assert HONEST_LAYER in shown.content.decode()
    assert EVIL_LAYER not in shown.content.decode()


# --- 7. the outbound guard refuses before it connects -----------------------------------


@pytest.fixture
def listener():
    """A listening socket on 127.0.0.1 that never accepts: the kernel still completes every
    handshake into its backlog, so a connection that reached it can be counted after."""
    with socket.create_server(("127.0.0.1", 0), backlog=8) as sock:
        yield sock


def reached(sock: socket.socket) -> bool:
    sock.setblocking(False)
    try:
        conn, _ = sock.accept()
    except BlockingIOError:
        return False
    conn.close()
    return True


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def fake_dns(monkeypatch):
    """Names of the test's choosing for socket.getaddrinfo (a test cannot run DNS), each
    lookup of them counted; every other name resolves as usual."""
    real = socket.getaddrinfo
    answers: dict[str, list[list[str]]] = {}
    lookups: list[str] = []

    def getaddrinfo(host, port, *args, **kwargs):
        if host not in answers:
            return real(host, port, *args, **kwargs)
        lookups.append(host)
        addresses = answers[host].pop(0) if len(answers[host]) > 1 else answers[host][0]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in addresses]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers, lookups


def test_it_never_connects_to_a_refused_address(listener):
    port = listener.getsockname()[1]
    with pytest.raises(errors.Refused):
        RegistryClient(f"http://localhost:{port}", deny_private=True).ping()
    assert not reached(listener)  # no handshake: refused before connect
    socket.create_connection(("127.0.0.1", port)).close()
    assert reached(listener)  # (the listener does count connections)


def test_it_refuses_open_and_closed_ports_with_the_same_message(listener):
    def refusal(port: int) -> tuple[type, str, str]:
        with pytest.raises(errors.RegistryError) as raised:
            RegistryClient(f"http://localhost:{port}", deny_private=True).ping()
        return type(raised.value), raised.value.user_message, str(raised.value)

    open_port = listener.getsockname()[1]
    assert refusal(open_port) == refusal(closed_port())
    assert refusal(open_port)[0] is errors.Refused
    # Without the guard the two differ, which is what the guard must not leak.
    with pytest.raises(errors.Unreachable):
        RegistryClient(f"http://localhost:{closed_port()}").ping()


def test_it_refuses_a_name_when_any_of_its_addresses_is_refused(listener, fake_dns):
    answers, _ = fake_dns
    answers["mixed.test"] = [["127.0.0.1", "169.254.169.254"]]
    port = listener.getsockname()[1]
    with pytest.raises(errors.Refused):
        RegistryClient(f"http://mixed.test:{port}").ping()
    assert not reached(listener)  # the allowed first address was not tried either


class HostRecorder(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    hosts: list[str]

    def do_GET(self):
        self.hosts.append(self.headers["Host"])
        self.send_response(200)
        self.send_header("Docker-Distribution-API-Version", "registry/2.0")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@contextmanager
def v2_server(*, tls: ssl.SSLContext | None = None):
    hosts: list[str] = []
    handler = type("Recorder", (HostRecorder,), {"hosts": hosts})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], hosts
    finally:
        server.shutdown()
        server.server_close()


def test_it_connects_to_the_address_it_checked_without_a_second_lookup(fake_dns):
    """DNS rebinding: the name answers a loopback address, then the metadata address."""
    answers, lookups = fake_dns
    answers["rebind.test"] = [["127.0.0.1"], ["169.254.169.254"]]
    with v2_server() as (port, hosts):
        assert RegistryClient(f"http://rebind.test:{port}").ping().ok
    assert lookups == ["rebind.test"]
    assert hosts == [f"rebind.test:{port}"]  # the Host header still names the registry


def certificate_for(name: str, tmp_path) -> tuple[str, str]:
    """A self-signed certificate valid for the DNS name only (no IP address in it)."""
    return certificate(tmp_path, alt_name=x509.DNSName(name), common_name=name)


def test_it_keeps_the_name_for_tls_when_it_connects_to_the_checked_address(tmp_path):
    cert, key = certificate_for("localhost", tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server_names: list[str | None] = []
    context.sni_callback = lambda _sock, name, _ctx: server_names.append(name)
    with v2_server(tls=context) as (port, hosts):
        client = RegistryClient(f"https://localhost:{port}", verify=cert, deny_private=False)
        assert client.ping().ok  # the certificate names localhost, not 127.0.0.1
    assert server_names == ["localhost"]
    assert hosts == [f"localhost:{port}"]
