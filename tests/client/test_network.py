"""Network failures against real sockets: silence, trickles, cut-off bodies, TLS."""

import ipaddress
import json
import socket
import ssl
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import urllib3
from cryptography import x509

from registries.client import errors
from registries.client.api import RegistryClient
from registries.client.transport import Limits
from tests.support.certs import self_signed as certificate

HEADERS = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"


@contextmanager
def raw_server(handle):
    """A loopback TCP server calling handle(conn, stop) for each connection."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    stop = threading.Event()

    def loop():
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn:
                conn.recv(65536)  # the request
                handle(conn, stop)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()


def never_answer(conn, stop):
    stop.wait(5)


def trickle(conn, stop):
    conn.sendall(HEADERS % 1000 + b"{")
    while not stop.wait(0.05):
        try:
            conn.sendall(b" ")
        except OSError:
            return


def cut_off(conn, stop):
    conn.sendall(HEADERS % 100 + b'{"repositories": [')


def test_it_times_out_when_the_registry_never_answers():
    limits = Limits(connect_timeout=1, read_timeout=0.3, deadline=5)
    with raw_server(never_answer) as url:
        started = time.monotonic()
        with pytest.raises(errors.Timeout):
            RegistryClient(url, limits=limits).ping()
    assert time.monotonic() - started < 2


def test_it_enforces_the_total_deadline_on_a_trickling_body():
    limits = Limits(connect_timeout=1, read_timeout=1, deadline=0.5)
    with raw_server(trickle) as url:
        started = time.monotonic()
        with pytest.raises(errors.Timeout):
            RegistryClient(url, limits=limits).catalog()
    assert time.monotonic() - started < 1.6


def test_it_reports_a_body_cut_off_before_its_content_length():
    with raw_server(cut_off) as url, pytest.raises(errors.BadResponse, match="cut off"):
        RegistryClient(url).catalog()


def test_it_reports_a_closed_port_as_unreachable():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(errors.Unreachable):
        RegistryClient(f"http://127.0.0.1:{port}").ping()


def self_signed(tmp_path):
    ip = x509.IPAddress(ipaddress.ip_address("127.0.0.1"))
    return certificate(tmp_path, alt_name=ip, common_name="regfront test registry")


class V2Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        body = json.dumps({}).encode()
        self.send_response(200)
        self.send_header("Docker-Distribution-API-Version", "registry/2.0")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def tls_registry(tmp_path):
    cert_path, key_path = self_signed(tmp_path)
    server = ThreadingHTTPServer(("127.0.0.1", 0), V2Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{server.server_address[1]}", str(cert_path)
    server.shutdown()
    server.server_close()


def test_it_verifies_tls_with_the_given_ca_bundle(tls_registry):
    url, ca_bundle = tls_registry
    with pytest.raises(errors.TLSError):
        RegistryClient(url).ping()
    assert RegistryClient(url, verify=ca_bundle).ping().api_version == "registry/2.0"
    with pytest.warns(urllib3.exceptions.InsecureRequestWarning):
        assert RegistryClient(url, verify=False).ping().ok


@pytest.mark.django_db
def test_a_registry_rows_ca_bundle_is_trusted_from_a_private_file(tls_registry):
    """The service layer writes the row's PEM to a 0700 directory and verifies with it."""
    import os
    from pathlib import Path

    from registries.models import Registry
    from registries.services.clients import build_client

    url, ca_path = tls_registry
    pem = Path(ca_path).read_text()
    untrusting = Registry(name="tls", url=url)
    with pytest.raises(errors.TLSError):
        build_client(untrusting).ping()
    trusting = Registry(name="tls", url=url, ca_bundle=pem)
    client = build_client(trusting)
    assert client.ping().api_version == "registry/2.0"
    bundle_file = Path(client._transport.verify)
    assert bundle_file.read_text() == pem
    assert os.stat(bundle_file.parent).st_mode & 0o077 == 0
