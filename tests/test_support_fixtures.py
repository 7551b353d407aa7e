"""The test-support fixtures start real registries holding exactly the standard dataset."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests

from tests.support import images, registry_server
from tests.support.fixtures import ALICE
from tests.support.images import ACCEPT_ALL, DOCKER_LIST, OCI_INDEX
from tests.support.registry_server import RunningRegistry
from tests.support.token_server import TokenServer, fetch_token

LINK_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')


def pages(url: str, key: str, **kwargs) -> list[list[str]]:
    """Every page of a paginated list, following `Link` (relative to the request URL)."""
    out = []
    while url:
        resp = requests.get(url, timeout=10, **kwargs)
        assert resp.status_code == 200, resp.text
        out.append(resp.json()[key] or [])
        match = LINK_NEXT.search(resp.headers.get("Link", ""))
        url = urljoin(url, match.group(1)) if match else ""
    return out


def get_manifest(reg: RunningRegistry, repo: str, ref: str, **kwargs) -> requests.Response:
    return requests.get(
        f"{reg.url}/v2/{repo}/manifests/{ref}",
        headers={"Accept": ACCEPT_ALL, **kwargs.pop("headers", {})},
        timeout=10,
        **kwargs,
    )


def test_it_pages_the_catalog_past_120_repositories(registry_open: RunningRegistry):
    catalog = pages(f"{registry_open.url}/v2/_catalog", "repositories")

    assert len(catalog) >= 2  # distribution's default page is 100
    repos = [r for page in catalog for r in page]
    assert len(repos) > 120
    # Other tests push fresh repositories into this shared registry: the dataset is a subset.
    assert set(registry_open.dataset.repositories) <= set(repos)
    assert {"a/b/c/d", "team/service", "many/repo-119", "oci/hostile"} <= set(repos)


def test_it_has_130_tags_in_many_tags(registry_open: RunningRegistry):
    tag_pages = pages(f"{registry_open.url}/v2/many-tags/tags/list?n=50", "tags")

    # distribution 2.8 ignores `n` on tags/list and sends every tag on one page.
    assert sum(len(p) for p in tag_pages) == 130
    assert sorted(t for p in tag_pages for t in p) == [f"t{i:03d}" for i in range(130)]
    digests = {i.digest for i in registry_open.dataset.manifests["many-tags"].values()}
    assert len(digests) == 13


def test_it_serves_the_digests_the_dataset_records(registry_open: RunningRegistry):
    dataset = registry_open.dataset
    for repo in dataset.repositories:
        if repo.startswith("many/"):
            continue  # 120 alike; one is checked below
        for tag, pushed in dataset.manifests[repo].items():
            resp = get_manifest(registry_open, repo, tag)
            assert resp.status_code == 200, (repo, tag, resp.text)
            assert resp.headers["Docker-Content-Digest"] == pushed.digest
            assert resp.headers["Content-Type"] == pushed.media_type
            assert "sha256:" + hashlib.sha256(resp.content).hexdigest() == pushed.digest
    assert get_manifest(registry_open, "many/repo-042", "v1").headers[
        "Docker-Content-Digest"
    ] == dataset.digest("many/repo-042", "v1")


def test_it_shares_one_digest_between_latest_and_1_10_0(registry_open: RunningRegistry):
    app = registry_open.dataset.app

    assert sorted(app) == ["1.10.0", "1.2.0", "1.9.3", "latest"]
    assert app["latest"].digest == app["1.10.0"].digest
    assert len({app[t].digest for t in ("1.2.0", "1.9.3", "1.10.0")}) == 3
    labels = registry_open.dataset.image("app", "1.2.0").config["config"]["Labels"]
    assert labels["org.opencontainers.image.source"] == "https://example.com/app"


def test_it_pushes_a_three_platform_oci_index(registry_open: RunningRegistry):
    index = registry_open.dataset.index("multi/arch", "v1")
    resp = get_manifest(registry_open, "multi/arch", "v1")

    assert resp.headers["Content-Type"] == OCI_INDEX
    platforms = [m["platform"] for m in resp.json()["manifests"]]
    assert platforms == [
        {"architecture": "amd64", "os": "linux"},
        {"architecture": "arm64", "os": "linux", "variant": "v8"},
        {"architecture": "arm", "os": "linux", "variant": "v7"},
    ]
    assert len(index.children) == 3
    for child in index.children:
        assert get_manifest(registry_open, "multi/arch", child.digest).status_code == 200


def test_it_pushes_a_docker_manifest_list(registry_open: RunningRegistry):
    resp = get_manifest(registry_open, "legacy/list", "v1")

    assert resp.headers["Content-Type"] == DOCKER_LIST
    assert len(resp.json()["manifests"]) == 2


def test_it_pushes_real_image_configs_and_layers(registry_open: RunningRegistry):
    image = registry_open.dataset.image("oci/hostile", "v1")
    base = f"{registry_open.url}/v2/oci/hostile/blobs"

    config = requests.get(f"{base}/{image.config_digest}", timeout=10).json()
    assert config["config"]["Labels"]["evil"] == "<script>alert(1)</script>"
    assert config["config"]["Labels"]["link"] == "javascript:alert(1)"
    diff_ids = []
    for digest in image.layer_digests:
        raw = gzip.decompress(requests.get(f"{base}/{digest}", timeout=10).content)
        diff_ids.append("sha256:" + hashlib.sha256(raw).hexdigest())
    assert config["rootfs"] == {"type": "layers", "diff_ids": diff_ids}
    assert [h.get("empty_layer", False) for h in config["history"]].count(True) == 1
    assert image.size == image.config_size + sum(image.layer_sizes)


def test_it_stores_an_artifact_with_a_subject(registry_open: RunningRegistry):
    sbom = registry_open.dataset.sbom
    body = get_manifest(registry_open, "app", sbom.digest).json()

    assert body["artifactType"] == "application/vnd.example.sbom"
    assert body["subject"]["digest"] == registry_open.dataset.digest("app", "1.2.0")


def test_it_deletes_from_a_fresh_repository(registry_open: RunningRegistry, fresh_repo):
    repo = fresh_repo(registry_open, tag="doomed")
    url = f"{registry_open.url}/v2/{repo.name}/manifests/{repo.image.digest}"

    assert requests.delete(url, timeout=10).status_code == 202
    assert get_manifest(registry_open, repo.name, "doomed").status_code == 404


def test_it_refuses_deletion_when_it_is_off(registry_nodelete: RunningRegistry):
    digest = registry_nodelete.dataset.digest("app", "1.2.0")
    resp = requests.delete(f"{registry_nodelete.url}/v2/app/manifests/{digest}", timeout=10)

    assert resp.status_code == 405
    assert resp.json()["errors"][0]["code"] == "UNSUPPORTED"
    assert registry_nodelete.dataset.repositories == ["app"]


def test_it_needs_basic_credentials(registry_basic: RunningRegistry):
    url = f"{registry_basic.url}/v2/_catalog"

    refused = requests.get(url, timeout=10)
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"].startswith("Basic ")
    assert requests.get(url, auth=("alice", "wrong"), timeout=10).status_code == 401
    assert requests.get(url, auth=ALICE, timeout=10).status_code == 200
    assert registry_basic.credentials == ALICE


def _bearer(server: TokenServer, scopes: list[str], auth=None) -> dict[str, str]:
    token = fetch_token(server.realm, service=server.service, scopes=scopes, auth=auth)
    return {"Authorization": f"Bearer {token}"}


def test_it_gives_anonymous_tokens_pull_only(
    registry_token: RunningRegistry, token_server: TokenServer
):
    digest = registry_token.dataset.digest("app", "1.2.0")
    anon_pull = _bearer(token_server, ["repository:app:pull"])
    anon_all = _bearer(token_server, ["repository:app:pull,delete", "registry:catalog:*"])

    assert get_manifest(registry_token, "app", "1.2.0").status_code == 401
    assert get_manifest(registry_token, "app", "1.2.0", headers=anon_pull).status_code == 200
    url = f"{registry_token.url}/v2/app/manifests/{digest}"
    assert requests.delete(url, headers=anon_all, timeout=10).status_code == 401
    catalog = f"{registry_token.url}/v2/_catalog"
    assert requests.get(catalog, headers=anon_all, timeout=10).status_code == 401
    assert (None, ["repository:app:pull"]) in token_server.requests


def test_it_gives_alice_catalog_and_delete(
    registry_token: RunningRegistry, token_server: TokenServer, fresh_repo
):
    repo = fresh_repo(registry_token)
    headers = _bearer(
        token_server, [f"repository:{repo.name}:pull,delete", "registry:catalog:*"], auth=ALICE
    )

    catalog = pages(f"{registry_token.url}/v2/_catalog", "repositories", headers=headers)
    assert repo.name in {r for page in catalog for r in page}
    url = f"{registry_token.url}/v2/{repo.name}/manifests/{repo.image.digest}"
    assert requests.delete(url, headers=headers, timeout=10).status_code == 202
    with pytest.raises(requests.HTTPError):
        fetch_token(token_server.realm, service="regfront-test", scopes=[], auth=("alice", "x"))


def test_it_signs_tokens_with_a_libtrust_kid(token_server: TokenServer):
    import jwt

    token = fetch_token(token_server.realm, service=token_server.service, scopes=[])
    header = jwt.get_unverified_header(token)

    assert header["alg"] == "ES256"
    assert re.fullmatch(r"([A-Z2-7]{4}:){11}[A-Z2-7]{4}", header["kid"])
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["aud"] == "regfront-test"
    assert claims["exp"] - claims["iat"] == token_server.expires_in


def test_it_makes_registries_with_a_custom_grant_policy(registry_factory):
    def no_catalog(account, type_, name, actions):
        return [] if type_ == "registry" else list(actions)

    reg = registry_factory(auth="token", grants=no_catalog, dataset="small")
    headers = _bearer(reg.token_server, ["registry:catalog:*", "repository:app:pull"], ALICE)

    assert requests.get(f"{reg.url}/v2/_catalog", headers=headers, timeout=10).status_code == 401
    assert get_manifest(reg, "app", "latest", headers=headers).status_code == 200


def test_it_pushes_the_dataset_quickly(registry_open: RunningRegistry):
    assert registry_open.dataset.seconds < 10


def test_it_names_make_test_when_the_binary_is_missing(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(registry_server, "REGISTRY_BINARY", tmp_path / "nope")

    with pytest.raises(RuntimeError, match="make test"):
        registry_server.start_registry(tmp_path)


def test_it_pushes_the_same_bytes_for_the_same_seed():
    assert images.make_layer("s", 0) == images.make_layer("s", 0)
    assert images.make_layer("s", 0)[1] != images.make_layer("t", 0)[1]
    assert json.loads(images.canonical_json({"a": 1})) == {"a": 1}
