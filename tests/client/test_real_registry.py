"""RegistryClient against real distribution 2.8 registries (tests/support/fixtures.py)."""

import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest

from registries.client import errors
from registries.client import media_types as mt
from registries.client.api import RegistryClient
from registries.client.auth import TokenCache
from registries.client.models import ImageIndex, ImageManifest
from registries.client.reference import InvalidReference
from tests.support.images import (
    APP,
    DEEP,
    HOSTILE,
    HOSTILE_ANNOTATIONS,
    LEGACY_LIST,
    MANY_REPOS,
    MANY_TAG_NAMES,
    MANY_TAGS,
    MULTI_ARCH,
    TEAM_SERVICE,
    tag_existing,
)

KINDS = ["registry_open", "registry_basic", "registry_token"]
AUTH_MODES = {"none": "none", "basic": "basic", "token": "bearer"}


@pytest.fixture(params=KINDS)
def reg(request):
    return request.getfixturevalue(request.param)


def client_for(reg, **kwargs) -> RegistryClient:
    kwargs.setdefault("username", reg.username)
    kwargs.setdefault("password", reg.password)
    return RegistryClient(reg.url, name="test", **kwargs)


def test_it_pings(reg):
    result = client_for(reg).ping()
    assert result.ok
    assert result.api_version == "registry/2.0"
    assert result.auth_mode == AUTH_MODES[reg.auth]


def test_it_lists_the_whole_catalog_across_pages(reg):
    client = client_for(reg)
    pages = list(client.iter_catalog_pages(page_size=50))
    assert len(pages) >= 3
    names = [name for page in pages for name in page]
    assert set(reg.dataset.repositories) <= set(names)
    assert set(MANY_REPOS) <= set(names)
    assert client.catalog() == names  # one page of up to 1000


def test_it_lists_all_tags_across_pages(reg):
    client = client_for(reg)
    # distribution 2.8 ignores `n` on tags/list and sends every tag in one page (no Link);
    # following Link across tag pages is covered in test_transport.py.
    pages = list(client.iter_tag_pages(MANY_TAGS, page_size=40))
    assert sorted(tag for page in pages for tag in page) == MANY_TAG_NAMES
    assert sorted(client.tags(APP)) == ["1.10.0", "1.2.0", "1.9.3", "latest"]
    assert client.tags(DEEP) == ["v1"]


def test_it_fetches_docker_and_oci_manifests(reg):
    client = client_for(reg)
    image = reg.dataset.image(APP, "1.2.0")
    fetched = client.manifest(APP, "1.2.0")
    assert fetched.digest == image.digest
    assert fetched.media_type == mt.DOCKER_MANIFEST
    assert fetched.raw == image.manifest_bytes
    assert isinstance(fetched.parsed, ImageManifest)
    assert fetched.parsed.size == image.size
    assert [layer.digest for layer in fetched.parsed.layers] == image.layer_digests
    assert fetched.etag == f'"{image.digest}"'
    assert client.manifest(APP, image.digest).raw == image.manifest_bytes

    hostile = client.manifest(HOSTILE, "v1")
    assert hostile.media_type == mt.OCI_MANIFEST
    assert hostile.parsed.annotations == HOSTILE_ANNOTATIONS
    assert client.manifest(TEAM_SERVICE, "2.0").media_type == mt.DOCKER_MANIFEST


def test_it_fetches_an_oci_index_and_a_docker_manifest_list(reg):
    client = client_for(reg)
    index = client.manifest(MULTI_ARCH, "v1")
    assert index.media_type == mt.OCI_INDEX
    assert index.digest == reg.dataset.digest(MULTI_ARCH, "v1")
    assert isinstance(index.parsed, ImageIndex)
    platforms = [str(d.platform) for d in index.parsed.manifests]
    assert platforms == ["linux/amd64", "linux/arm64/v8", "linux/arm/v7"]
    child = client.manifest(MULTI_ARCH, index.parsed.manifests[1].digest)
    assert child.media_type == mt.OCI_MANIFEST

    legacy = client.manifest(LEGACY_LIST, "v1")
    assert legacy.media_type == mt.DOCKER_MANIFEST_LIST
    assert [str(d.platform) for d in legacy.parsed.manifests] == ["linux/amd64", "linux/arm64/v8"]


def test_it_answers_not_modified_for_a_matching_etag(reg):
    client = client_for(reg)
    fetched = client.manifest(APP, "latest")
    assert client.manifest(APP, "latest", if_none_match=fetched.etag) is None
    assert client.manifest(APP, "1.2.0", if_none_match=fetched.etag) is not None


def test_it_resolves_a_tag_to_its_digest_with_head(reg):
    records = []
    client = client_for(reg, observer=records.append)
    assert client.manifest_digest(APP, "latest") == reg.dataset.digest(APP, "1.10.0")
    assert records[-1].method == "HEAD"


def test_it_parses_the_image_config(reg):
    client = client_for(reg)
    image = reg.dataset.image(APP, "1.2.0")
    manifest = client.manifest(APP, "1.2.0").parsed
    config = client.config(APP, manifest.config)
    assert config.created == datetime(2023, 3, 1, 10, 0, tzinfo=UTC)
    assert config.labels["org.opencontainers.image.version"] == "1.2.0"
    assert config.os == "linux"
    assert config.architecture == "amd64"
    assert config.env == tuple(image.config["config"]["Env"])
    assert config.diff_ids == tuple(image.config["rootfs"]["diff_ids"])
    assert len(config.history) == len(image.config["history"])
    assert any(entry.created_by for entry in config.history)
    assert client.config(APP, image.config_digest) == config


def test_it_fetches_verified_blobs(reg):
    image = reg.dataset.image(APP, "1.2.0")
    layer = client_for(reg).blob(APP, image.layer_digests[0], max_bytes=1024 * 1024)
    assert len(layer) == image.layer_sizes[0]
    with pytest.raises(errors.TooLarge):
        client_for(reg).blob(APP, image.layer_digests[0], max_bytes=10)


def test_it_reports_unknown_repositories_and_manifests(reg):
    client = client_for(reg)
    with pytest.raises(errors.NotFound) as info:
        client.tags("no/such/repo")
    assert info.value.what == "repository"
    with pytest.raises(errors.NotFound) as info:
        client.manifest(APP, "no-such-tag")
    assert info.value.what == "manifest"
    with pytest.raises(errors.NotFound):
        client.manifest_digest(APP, "no-such-tag")


def test_it_reports_referrers_as_unsupported_on_distribution_2_8(reg):
    assert client_for(reg).referrers(APP, reg.dataset.digest(APP, "1.2.0")) is None


def test_it_deletes_by_digest_with_every_tag_pointing_at_it(reg, fresh_repo):
    repo = fresh_repo(reg, tag="v1")
    tag_existing(reg, repo.name, "also", repo.image.manifest_bytes, repo.image.media_type)
    client = client_for(reg)
    assert sorted(client.tags(repo.name)) == ["also", "v1"]
    with pytest.raises(InvalidReference):
        client.delete_manifest(repo.name, "v1")
    client.delete_manifest(repo.name, repo.image.digest)
    assert client.tags(repo.name) == []
    with pytest.raises(errors.NotFound) as info:
        client.manifest(repo.name, repo.image.digest)
    assert info.value.what == "manifest"
    with pytest.raises(errors.NotFound):
        client.delete_manifest(repo.name, repo.image.digest)


def test_it_reports_deletion_disabled_as_unsupported(registry_nodelete):
    digest = registry_nodelete.dataset.digest(APP, "1.2.0")
    with pytest.raises(errors.Unsupported):
        client_for(registry_nodelete).delete_manifest(APP, digest)


@pytest.mark.parametrize("kind", ["registry_basic", "registry_token"])
def test_it_rejects_a_wrong_password(request, kind):
    reg = request.getfixturevalue(kind)
    client = client_for(reg, password="not-the-password")
    with pytest.raises(errors.Unauthorized):
        client.ping()
    with pytest.raises(errors.Unauthorized):
        client.tags(APP)


def test_it_needs_credentials_for_basic_auth(registry_basic):
    client = client_for(registry_basic, username=None, password=None)
    with pytest.raises(errors.Unauthorized, match="requires a username"):
        client.ping()


def test_it_gives_anonymous_token_clients_pull_but_not_catalog_or_delete(registry_token):
    client = client_for(registry_token, username=None, password=None)
    assert client.ping().auth_mode == "bearer"
    assert "latest" in client.tags(APP)
    with pytest.raises(errors.Denied):
        client.catalog()
    with pytest.raises(errors.Denied):
        client.delete_manifest(APP, registry_token.dataset.digest(APP, "1.2.0"))


def test_it_reuses_tokens_and_known_challenges(registry_token):
    server = registry_token.token_server
    cache = TokenCache()
    records = []
    client = client_for(registry_token, token_cache=cache, observer=records.append)
    client.tags(APP)
    before = len(server.requests)
    records.clear()
    client.tags(APP)
    client_for(registry_token, token_cache=cache, observer=records.append).tags(APP)
    assert len(server.requests) == before
    assert [r.status for r in records] == [200, 200]  # no 401 round trip either


def test_it_refuses_private_addresses_when_asked_to(registry_open):
    literal = client_for(registry_open, deny_private=True)
    with pytest.raises(errors.Refused):
        literal.ping()
    by_name = RegistryClient(registry_open.url.replace("127.0.0.1", "localhost"), deny_private=True)
    with pytest.raises(errors.Refused):
        by_name.ping()  # checked when connecting, after DNS


def test_it_shares_one_client_across_threads_with_one_token_fetch(registry_token):
    server = registry_token.token_server
    client = client_for(registry_token)
    before = len(server.requests)
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(lambda _: client.manifest(APP, "latest").digest, range(32)))
    assert set(results) == {registry_token.dataset.digest(APP, "latest")}
    assert len(server.requests) - before == 1


def test_heads_reuse_one_connection(registry_open, caplog):
    """A HEAD's empty body is read, so its connection goes back to the pool: closing it
    unread drops the connection, and urllib3 reconnects for every HEAD (a resync sends one
    per known tag)."""
    client = client_for(registry_open)
    with caplog.at_level(logging.DEBUG, logger="urllib3.connectionpool"):
        digests = {client.manifest_digest(APP, "1.2.0") for _ in range(20)}
    assert len(digests) == 1
    connects = [
        r.message for r in caplog.records if r.message.startswith(("Starting new", "Resetting"))
    ]
    assert len(connects) == 1, connects
