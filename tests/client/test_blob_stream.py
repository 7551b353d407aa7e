"""RegistryClient.blob_stream: a blob read as it arrives, within its size cap and deadline,
verified against its digest once read to the end. Real registries where they can show it,
`responses` for what they cannot (a lying body, a cut-off one, a redirect to storage)."""

import hashlib
import time

import pytest
import responses

from registries.client import errors
from registries.client.api import RegistryClient
from tests.contents.build import OCI_LAYER_GZIP, f, gz, push_layers, tar_bytes
from tests.support.fixtures import ALICE

BASE = "https://registry.test"
BLOB = b"layer bytes " * 1000
DIGEST = "sha256:" + hashlib.sha256(BLOB).hexdigest()


def read_all(reader, piece: int = 1000) -> bytes:
    out = b""
    while chunk := reader.read(piece):
        out += chunk
    return out


@pytest.mark.parametrize("fixture", ["registry_open", "registry_token"])
def test_it_streams_a_real_blob_through_the_registrys_auth(request, fixture):
    reg = request.getfixturevalue(fixture)
    blob = gz(tar_bytes([f("hello.txt", b"hello\n" * 500)]))
    image = push_layers(reg, "contents/stream", "v1", [(blob, OCI_LAYER_GZIP)])
    username, password = ALICE if reg.auth != "none" else (None, None)
    client = RegistryClient(reg.url, username=username, password=password)
    with client.blob_stream(
        "contents/stream", image.layer_digests[0], max_bytes=1 << 20, seconds=10
    ) as reader:
        assert read_all(reader) == blob
        assert reader.bytes_read == len(blob)


def test_an_unknown_blob_is_not_found(registry_open):
    client = RegistryClient(registry_open.url)
    with pytest.raises(errors.NotFound) as caught:
        client.blob_stream("app", "sha256:" + "0" * 64, max_bytes=1024, seconds=5)
    assert caught.value.what == "blob"


@responses.activate
def test_a_redirect_to_storage_gets_no_authorization():
    storage = "https://storage.test/bucket/blob?X-Amz-Signature=abc"

    def registry(request):
        if "Authorization" not in request.headers:
            return 401, {"WWW-Authenticate": 'Basic realm="Registry Realm"'}, b""
        return 307, {"Location": storage}, b""

    responses.add_callback(responses.GET, f"{BASE}/v2/app/blobs/{DIGEST}", callback=registry)
    responses.get(storage, body=BLOB)
    client = RegistryClient(BASE, username="alice", password="pw")
    with client.blob_stream("app", DIGEST, max_bytes=1 << 20, seconds=5) as reader:
        assert read_all(reader) == BLOB
    to_storage = [c for c in responses.calls if c.request.url.startswith("https://storage.test")]
    assert len(to_storage) == 1
    assert "Authorization" not in to_storage[0].request.headers


@responses.activate
def test_a_body_that_does_not_match_the_digest_fails_at_its_end():
    responses.get(f"{BASE}/v2/app/blobs/{DIGEST}", body=BLOB[:-1] + b"!")
    reader = RegistryClient(BASE).blob_stream("app", DIGEST, max_bytes=1 << 20, seconds=5)
    with pytest.raises(errors.DigestMismatch, match="does not match its digest"):
        read_all(reader)


@responses.activate
def test_a_declared_length_over_the_cap_is_refused_before_reading():
    responses.get(f"{BASE}/v2/app/blobs/{DIGEST}", body=BLOB, auto_calculate_content_length=True)
    with pytest.raises(errors.TooLarge):
        RegistryClient(BASE).blob_stream("app", DIGEST, max_bytes=100, seconds=5)


@responses.activate
def test_a_body_past_the_cap_stops_there():
    responses.get(f"{BASE}/v2/app/blobs/{DIGEST}", body=BLOB)  # no Content-Length
    reader = RegistryClient(BASE).blob_stream("app", DIGEST, max_bytes=5000, seconds=5)
    with pytest.raises(errors.TooLarge):
        read_all(reader)


@responses.activate
def test_a_body_cut_off_before_its_length_is_a_bad_response():
    responses.get(
        f"{BASE}/v2/app/blobs/{DIGEST}",
        body=BLOB[:5000],
        headers={"Content-Length": str(len(BLOB))},
        auto_calculate_content_length=False,
    )
    reader = RegistryClient(BASE).blob_stream("app", DIGEST, max_bytes=1 << 20, seconds=5)
    with pytest.raises(errors.BadResponse):
        read_all(reader)


@responses.activate
def test_reading_stops_at_the_deadline():
    responses.get(f"{BASE}/v2/app/blobs/{DIGEST}", body=BLOB)
    reader = RegistryClient(BASE).blob_stream("app", DIGEST, max_bytes=1 << 20, seconds=0.2)
    reader.read(10)
    time.sleep(0.3)
    with pytest.raises(errors.Timeout, match="longer than allowed"):
        reader.read(10)
