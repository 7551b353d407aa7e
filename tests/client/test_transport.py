"""Edge cases a real registry cannot be made to produce, faked with `responses`."""

import base64
import hashlib
import io
import json
import logging

import pytest
import requests
import responses
from responses import matchers

from registries.client import errors
from registries.client import media_types as mt
from registries.client.api import RegistryClient
from registries.client.transport import MIB

BASE = "https://registry.test"
REALM = "https://auth.test/token"
PASSWORD = "wonderland-s3cret"
BEARER_CHALLENGE = f'Bearer realm="{REALM}",service="registry.test",scope="registry:catalog:*"'
MANIFEST = json.dumps(
    {
        "schemaVersion": 2,
        "mediaType": mt.DOCKER_MANIFEST,
        "config": {"mediaType": mt.DOCKER_CONFIG, "size": 7, "digest": "sha256:" + "c" * 64},
        "layers": [{"mediaType": mt.DOCKER_LAYER, "size": 100, "digest": "sha256:" + "d" * 64}],
    }
).encode()


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def make_client(**kwargs) -> RegistryClient:
    return RegistryClient(BASE, name="test", **kwargs)


class CountingStream(io.RawIOBase):
    """A lazily generated body that remembers how much of it was read."""

    def __init__(self, size: int) -> None:
        self.left = size
        self.served = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = min(len(buffer), self.left)
        buffer[:n] = b" " * n
        self.left -= n
        self.served += n
        return n


@responses.activate
def test_it_raises_too_many_requests_with_retry_after():
    responses.get(
        f"{BASE}/v2/app/tags/list?n=1000",
        status=429,
        headers={"Retry-After": "30"},
        json={"errors": [{"code": "TOOMANYREQUESTS", "message": "slow down"}]},
    )
    with pytest.raises(errors.TooManyRequests) as info:
        make_client().tags("app")
    assert info.value.retry_after == 30


@responses.activate
def test_it_maps_toomanyrequests_code_without_429():
    responses.get(
        f"{BASE}/v2/app/tags/list?n=1000",
        status=503,
        json={"errors": [{"code": "TOOMANYREQUESTS"}]},
    )
    with pytest.raises(errors.TooManyRequests) as info:
        make_client().tags("app")
    assert info.value.retry_after is None


@responses.activate
def test_it_rejects_truncated_json():
    responses.get(f"{BASE}/v2/_catalog?n=1000", body=b'{"repositories": ["a", "b"')
    with pytest.raises(errors.BadResponse):
        make_client().catalog()


@responses.activate
def test_it_refuses_a_huge_manifest_by_content_length_without_reading_it():
    stream = CountingStream(48 * MIB)
    responses.get(
        f"{BASE}/v2/app/manifests/latest",
        body=io.BufferedReader(stream),
        headers={"Content-Length": str(48 * MIB), "Content-Type": mt.DOCKER_MANIFEST},
    )
    with pytest.raises(errors.TooLarge):
        make_client().manifest("app", "latest")
    assert stream.served < 1 * MIB


@responses.activate
def test_it_cuts_off_a_huge_chunked_manifest():
    stream = CountingStream(48 * MIB)
    responses.get(
        f"{BASE}/v2/app/manifests/latest",
        body=io.BufferedReader(stream),
        headers={"Content-Type": mt.DOCKER_MANIFEST},
    )
    with pytest.raises(errors.TooLarge):
        make_client().manifest("app", "latest")
    assert stream.served < 5 * MIB


@responses.activate
def test_it_does_not_send_authorization_to_a_redirect_target_on_another_host():
    blob = b"layer bytes"
    digest = sha256(blob)
    storage = "https://storage.test/bucket/blob?X-Amz-Signature=abc"

    def registry(request):
        if "Authorization" not in request.headers:
            return 401, {"WWW-Authenticate": 'Basic realm="Registry Realm"'}, b""
        return 307, {"Location": storage}, b""

    responses.add_callback(responses.GET, f"{BASE}/v2/app/blobs/{digest}", callback=registry)
    responses.get(storage, body=blob)
    client = make_client(username="alice", password=PASSWORD)
    assert client.blob("app", digest, max_bytes=1024) == blob
    to_storage = [c for c in responses.calls if c.request.url.startswith("https://storage.test")]
    assert len(to_storage) == 1
    assert "Authorization" not in to_storage[0].request.headers
    # The registry got the credentials on the retry.
    assert responses.calls[1].request.headers["Authorization"].startswith("Basic ")


@responses.activate
def test_it_refuses_a_redirect_to_cloud_metadata():
    digest = sha256(b"x")
    responses.get(
        f"{BASE}/v2/app/blobs/{digest}",
        status=302,
        headers={"Location": "http://169.254.169.254/latest/meta-data/"},
    )
    with pytest.raises(errors.Refused):
        make_client().blob("app", digest, max_bytes=1024)
    assert len(responses.calls) == 1  # nothing was sent to the metadata address


@responses.activate
def test_it_refuses_too_many_redirects():
    responses.get(f"{BASE}/v2/", status=302, headers={"Location": "/v2/"})
    with pytest.raises(errors.BadResponse, match="redirected too many"):
        make_client().ping()
    assert len(responses.calls) == 6


@responses.activate
def test_it_detects_a_lying_docker_content_digest():
    responses.get(
        f"{BASE}/v2/app/manifests/latest",
        body=MANIFEST,
        headers={"Content-Type": mt.DOCKER_MANIFEST, "Docker-Content-Digest": sha256(b"other")},
    )
    with pytest.raises(errors.DigestMismatch):
        make_client().manifest("app", "latest")


@responses.activate
def test_it_detects_a_manifest_that_does_not_match_the_requested_digest():
    wanted = sha256(b"something else")
    responses.get(
        f"{BASE}/v2/app/manifests/{wanted}",
        body=MANIFEST,
        headers={"Content-Type": mt.DOCKER_MANIFEST, "Docker-Content-Digest": wanted},
    )
    with pytest.raises(errors.DigestMismatch):
        make_client().manifest("app", wanted)


@responses.activate
def test_it_computes_the_digest_when_the_header_is_missing():
    responses.get(
        f"{BASE}/v2/app/manifests/latest", body=MANIFEST, headers={"Content-Type": "text/plain"}
    )
    fetched = make_client().manifest("app", "latest")
    assert fetched.digest == sha256(MANIFEST)
    assert fetched.media_type == mt.DOCKER_MANIFEST
    assert fetched.parsed.size == 107
    accept = responses.calls[0].request.headers["Accept"]
    assert accept.split(", ") == list(mt.MANIFEST_ACCEPT)


@responses.activate
def test_it_detects_a_blob_that_does_not_match_its_digest():
    digest = sha256(b"good")
    responses.get(f"{BASE}/v2/app/blobs/{digest}", body=b"evil")
    with pytest.raises(errors.DigestMismatch):
        make_client().blob("app", digest, max_bytes=1024)


@responses.activate
def test_it_follows_an_opaque_link_cursor():
    cursor = "/v2/_catalog?n=2&next_page=gAAAAABk-Op4que%3D%3D"
    responses.get(
        f"{BASE}/v2/_catalog?n=2",
        json={"repositories": ["a", "b"]},
        headers={"Link": f'<{cursor}>; rel="next"'},
    )
    responses.get(f"{BASE}{cursor}", json={"repositories": ["c"]})
    assert make_client().catalog(page_size=2) == ["a", "b", "c"]
    assert responses.calls[1].request.url == f"{BASE}{cursor}"


@responses.activate
def test_it_stops_a_link_that_loops():
    responses.get(
        f"{BASE}/v2/_catalog?n=2",
        json={"repositories": ["a"]},
        headers={"Link": '</v2/_catalog?n=2>; rel="next"'},
    )
    with pytest.raises(errors.BadResponse):
        make_client().catalog(page_size=2)


@responses.activate
def test_it_refetches_a_token_that_expired_mid_pagination():
    tokens = iter(["t1", "t2"])
    token_requests = []

    def token_endpoint(request):
        token_requests.append(request)
        return 200, {}, json.dumps({"token": next(tokens), "expires_in": 300})

    def catalog(request):
        auth = request.headers.get("Authorization")
        last = "last=b" in request.url
        if auth is None:
            return 401, {"WWW-Authenticate": BEARER_CHALLENGE}, b""
        if last and auth == "Bearer t1":  # t1 expired between pages
            expired = BEARER_CHALLENGE + ',error="invalid_token"'
            return 401, {"WWW-Authenticate": expired}, b""
        if last:
            return 200, {}, json.dumps({"repositories": ["c"]})
        link = '</v2/_catalog?last=b&n=2>; rel="next"'
        return 200, {"Link": link}, json.dumps({"repositories": ["a", "b"]})

    responses.add_callback(responses.GET, REALM, callback=token_endpoint)
    responses.add_callback(responses.GET, f"{BASE}/v2/_catalog", callback=catalog)
    client = make_client(username="alice", password=PASSWORD)
    assert client.catalog(page_size=2) == ["a", "b", "c"]
    assert len(token_requests) == 2
    assert "scope=registry%3Acatalog%3A%2A" in token_requests[0].url
    assert "service=registry.test" in token_requests[0].url
    assert token_requests[0].headers["Authorization"].startswith("Basic ")
    auths = [c.request.headers.get("Authorization") for c in responses.calls]
    assert auths[-1] == "Bearer t2"


@responses.activate
def test_it_maps_insufficient_scope_to_denied_after_one_new_token():
    responses.get(REALM, json={"access_token": "anon"})
    responses.get(
        f"{BASE}/v2/_catalog?n=1000",
        status=401,
        headers={"WWW-Authenticate": BEARER_CHALLENGE + ',error="insufficient_scope"'},
        json={"errors": [{"code": "UNAUTHORIZED"}]},
    )
    with pytest.raises(errors.Denied):
        make_client().catalog()
    assert [c.request.url.split("?")[0] for c in responses.calls] == [
        f"{BASE}/v2/_catalog",
        REALM,
        f"{BASE}/v2/_catalog",
    ]


@responses.activate
def test_it_maps_a_rejected_token_request_to_unauthorized():
    responses.get(f"{BASE}/v2/", status=401, headers={"WWW-Authenticate": BEARER_CHALLENGE})
    responses.get(REALM, status=401, json={"errors": [{"code": "UNAUTHORIZED"}]})
    with pytest.raises(errors.Unauthorized):
        make_client(username="alice", password="wrong").ping()


@pytest.mark.parametrize(
    ("status", "code", "kind", "what"),
    [
        (404, "NAME_UNKNOWN", errors.NotFound, "repository"),
        (404, "MANIFEST_UNKNOWN", errors.NotFound, "manifest"),
        (404, None, errors.NotFound, "manifest"),
        (403, "DENIED", errors.Denied, None),
        (401, "DENIED", errors.Denied, None),
        (405, "UNSUPPORTED", errors.Unsupported, None),
        (405, None, errors.Unsupported, None),
        (500, None, errors.BadResponse, None),
        (400, "MANIFEST_INVALID", errors.BadResponse, None),
    ],
)
@responses.activate
def test_it_maps_registry_errors(status, code, kind, what):
    body = json.dumps({"errors": [{"code": code, "message": "m"}]}) if code else "oops"
    url = f"{BASE}/v2/app/manifests/latest"
    responses.get(url, status=status, body=body)
    with pytest.raises(kind) as info:
        make_client().manifest("app", "latest")
    if what:
        assert info.value.what == what
    assert "?" not in info.value.user_message


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (requests.exceptions.ConnectTimeout(), errors.Timeout),
        (requests.exceptions.ReadTimeout(), errors.Timeout),
        (requests.exceptions.SSLError(), errors.TLSError),
        (requests.exceptions.ConnectionError(), errors.Unreachable),
        (requests.exceptions.ChunkedEncodingError(), errors.BadResponse),
    ],
)
@responses.activate
def test_it_maps_network_failures(exc, kind):
    responses.get(f"{BASE}/v2/", body=exc)
    with pytest.raises(kind):
        make_client().ping()


@responses.activate
def test_it_logs_one_line_per_call_without_secrets(caplog):
    caplog.set_level(logging.DEBUG)

    def tags(request):
        if request.headers.get("Authorization") != "Bearer sekrit-token-value":
            return 401, {"WWW-Authenticate": BEARER_CHALLENGE}, b""
        return 200, {}, json.dumps({"name": "app", "tags": ["1"]})

    responses.get(REALM, json={"token": "sekrit-token-value", "expires_in": 300})
    responses.add_callback(responses.GET, f"{BASE}/v2/app/tags/list", callback=tags)
    records = []
    client = make_client(username="alice", password=PASSWORD, observer=records.append)
    assert client.tags("app") == ["1"]
    lines = [r.getMessage() for r in caplog.records if r.name == "regfront.registry"]
    assert len(lines) == 3 == len(records)
    assert "path=/token" in lines[1]
    basic = base64.b64encode(f"alice:{PASSWORD}".encode()).decode()
    everything = "\n".join(r.getMessage() for r in caplog.records) + repr(client)
    for secret in (PASSWORD, basic, "sekrit-token-value", "scope=", "n=1000"):
        assert secret not in everything
    assert [(r.method, r.path, r.status) for r in records] == [
        ("GET", "/v2/app/tags/list", 401),
        ("GET", "/token", 200),
        ("GET", "/v2/app/tags/list", 200),
    ]


@responses.activate
def test_it_returns_none_for_not_modified():
    responses.get(
        f"{BASE}/v2/app/manifests/latest",
        status=304,
        match=[matchers.header_matcher({"If-None-Match": '"sha256:abc"'}, strict_match=False)],
    )
    assert make_client().manifest("app", "latest", if_none_match='"sha256:abc"') is None


@responses.activate
def test_it_does_not_send_credentials_to_a_link_on_another_host():
    elsewhere = "https://elsewhere.test/v2/_catalog?n=1&last=a"

    def first_page(request):
        if "Authorization" not in request.headers:
            return 401, {"WWW-Authenticate": 'Basic realm="r"'}, b""
        link = f'<{elsewhere}>; rel="next"'
        return 200, {"Link": link}, json.dumps({"repositories": ["a"]})

    responses.add_callback(responses.GET, f"{BASE}/v2/_catalog", callback=first_page)
    responses.get(elsewhere, json={"repositories": []})
    client = make_client(username="alice", password=PASSWORD)
    assert client.catalog(page_size=1) == ["a"]
    assert responses.calls[1].request.headers["Authorization"].startswith("Basic ")
    assert responses.calls[2].request.url == elsewhere
    assert "Authorization" not in responses.calls[2].request.headers


@responses.activate
def test_it_falls_back_to_get_when_head_has_no_digest_header():
    url = f"{BASE}/v2/app/manifests/latest"
    responses.head(url)
    responses.get(url, body=MANIFEST, headers={"Content-Type": mt.DOCKER_MANIFEST})
    assert make_client().manifest_digest("app", "latest") == sha256(MANIFEST)
    assert [c.request.method for c in responses.calls] == ["HEAD", "GET"]


@responses.activate
def test_it_refuses_a_token_realm_at_a_metadata_address():
    challenge = 'Bearer realm="https://169.254.169.254/token",service="x"'
    responses.get(f"{BASE}/v2/", status=401, headers={"WWW-Authenticate": challenge})
    with pytest.raises(errors.Refused):
        make_client().ping()


@responses.activate
def test_it_refuses_to_send_credentials_to_a_plain_http_token_realm():
    challenge = 'Bearer realm="http://auth.test/token",service="x"'
    responses.get(f"{BASE}/v2/", status=401, headers={"WWW-Authenticate": challenge})
    with pytest.raises(errors.BadResponse, match="without HTTPS"):
        make_client(username="alice", password=PASSWORD).ping()
    assert len(responses.calls) == 1


def index_of(*descriptors):
    return {"schemaVersion": 2, "mediaType": mt.OCI_INDEX, "manifests": list(descriptors)}


SBOM = {
    "mediaType": mt.OCI_MANIFEST,
    "digest": "sha256:" + "1" * 64,
    "size": 500,
    "artifactType": "application/spdx+json",
}
SIGNATURE = {**SBOM, "digest": "sha256:" + "2" * 64, "artifactType": "application/vnd.sig"}


@responses.activate
def test_it_lists_referrers_across_pages_and_filters_when_the_registry_did_not():
    subject = "sha256:" + "f" * 64
    url = f"{BASE}/v2/app/referrers/{subject}"
    responses.get(
        f"{url}?artifactType=application%2Fspdx%2Bjson",
        json=index_of(SBOM),
        headers={"Link": f'<{url}?artifactType=application%2Fspdx%2Bjson&page=2>; rel="next"'},
    )
    responses.get(f"{url}?artifactType=application%2Fspdx%2Bjson&page=2", json=index_of(SIGNATURE))
    found = make_client().referrers("app", subject, artifact_type="application/spdx+json")
    assert [d.digest for d in found] == [SBOM["digest"]]


@responses.activate
def test_it_trusts_the_registry_filter_when_it_says_it_applied_it():
    subject = "sha256:" + "f" * 64
    responses.get(
        f"{BASE}/v2/app/referrers/{subject}",
        json=index_of(SBOM, SIGNATURE),
        headers={"OCI-Filters-Applied": "artifactType"},
    )
    found = make_client().referrers("app", subject, artifact_type="application/spdx+json")
    assert len(found) == 2


@pytest.mark.parametrize(
    ("status", "body"),
    [(404, "404 page not found"), (405, ""), (200, "<html>SPA fallback</html>")],
)
@responses.activate
def test_it_reports_referrers_unsupported_as_none(status, body):
    subject = "sha256:" + "f" * 64
    responses.get(f"{BASE}/v2/app/referrers/{subject}", status=status, body=body)
    assert make_client().referrers("app", subject) is None


@responses.activate
def test_it_deletes_with_a_delete_scope():
    digest = sha256(MANIFEST)
    responses.get(REALM, json={"token": "t"})

    def delete(request):
        if request.headers.get("Authorization") != "Bearer t":
            challenge = f'Bearer realm="{REALM}",service="s",scope="repository:app:delete"'
            return 401, {"WWW-Authenticate": challenge}, b""
        return 202, {}, b""

    responses.add_callback(responses.DELETE, f"{BASE}/v2/app/manifests/{digest}", callback=delete)
    make_client(username="alice", password=PASSWORD).delete_manifest("app", digest)
    token_url = responses.calls[1].request.url
    assert "scope=repository%3Aapp%3Apull%2Cdelete" in token_url
    assert "scope=repository%3Aapp%3Adelete" in token_url
