"""Registries that hide or lack `_catalog`: pinned repositories, Docker Hub names, rate limits."""

import pytest
import responses
from django.core.exceptions import ValidationError

from registries.client.reference import hub_repository, is_docker_hub, repository_on
from registries.models import Registry
from registries.pinned import parse_pinned, pinned_repositories
from tests.api_support import refuse_catalog

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def closed_registry(registry_factory):
    """A real token-auth registry whose token server refuses `registry:catalog:*`."""
    return registry_factory(auth="token", grants=refuse_catalog, dataset="small")


@pytest.fixture
def closed_row(closed_registry, registry_row):
    registry = registry_row(closed_registry, name="closed")
    registry.pinned_repositories = "app\nnot/pushed/yet"
    registry.save()
    return registry


# --- closed catalogs ----------------------------------------------------------------------


def test_it_browses_pinned_repositories_when_the_catalog_is_closed(
    client, closed_registry, closed_row
):
    response = client.get("/registry/closed/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "This registry does not list its repositories" in page
    assert "does not allow regfront&#x27;s account to list them" in page
    assert 'href="/registry/closed/app/"' in page
    assert 'href="/registry/closed/not/pushed/yet/"' in page
    # The token server was asked for the catalog and said no; the pinned repository browses.
    assert any(
        "registry:catalog:*" in scopes for _, scopes in closed_registry.token_server.requests
    )
    tags = client.get("/registry/closed/app/")
    assert tags.status_code == 200
    assert 'href="/registry/closed/app:1.10.0"' in tags.content.decode()
    assert client.get("/registry/closed/app:latest").status_code == 200


def test_it_filters_the_pinned_repositories_of_a_closed_catalog(client, closed_row):
    page = client.get("/registry/closed/", {"q": "PUSHED"}).content.decode()
    assert 'href="/registry/closed/not/pushed/yet/"' in page
    assert 'href="/registry/closed/app/"' not in page
    nothing = client.get("/registry/closed/", {"q": "zzz"}).content.decode()
    assert "No pinned repository matches." in nothing


def test_it_says_how_to_pin_when_nothing_is_pinned(client, persona, closed_registry, registry_row):
    registry_row(closed_registry, name="closed")
    anonymous = client.get("/registry/closed/").content.decode()
    assert "people who may edit this registry can pin some" in anonymous
    persona("chris")
    editor = client.get("/registry/closed/").content.decode()
    assert 'href="/manage/registries/closed/edit/">pin some</a>' in editor


@responses.activate
@pytest.mark.parametrize(
    ("status", "reason"),
    [(404, "it has no catalog"), (405, "it has no catalog"), (401, "only with valid credentials")],
)
def test_oci_registries_without_a_catalog_offer_pinned_repositories(client, status, reason):
    # A real distribution always has _catalog; registries that answer 404/405 are faked.
    Registry.objects.create(name="oci", url="https://oci.example", pinned_repositories="team/app")
    responses.get("https://oci.example/v2/_catalog", status=status)
    response = client.get("/registry/oci/")
    assert response.status_code == 200
    page = response.content.decode()
    assert reason in page
    assert 'href="/registry/oci/team/app/"' in page


def test_unreachable_registries_are_still_errors_not_closed_catalogs(client, closed_port_url):
    Registry.objects.create(name="down", url=closed_port_url, pinned_repositories="app")
    assert client.get("/registry/down/").status_code == 502


# --- open catalogs ------------------------------------------------------------------------


def test_pinned_repositories_come_first_and_marked_on_an_open_catalog(
    client, registry_open, registry_row
):
    registry = registry_row(registry_open, name="open")
    registry.pinned_repositories = "team/service\napp"
    registry.save()
    page = client.get("/registry/open/").content.decode()
    pinned = page.index('id="pinned-heading"')
    assert pinned < page.index('id="ns-heading"') < page.index('id="repo-heading"')
    section = page[pinned : page.index('id="ns-heading"')]
    assert section.index("team/service") < section.index('"/registry/open/app/"')
    # In the full listing the pinned top-level repository carries the same mark.
    listing = page[page.index('id="repo-heading"') :]
    assert 'href="/registry/open/app/">app</a> <span class="badge">pinned</span>' in listing
    # Inside a namespace the pinned section steps aside.
    assert 'id="pinned-heading"' not in client.get("/registry/open/?ns=many").content.decode()


# --- forms --------------------------------------------------------------------------------


def test_the_portal_form_validates_and_tidies_pinned_repositories(client, persona):
    persona("adam")
    data = {"name": "hub", "url": "https://registry-1.docker.io", "username": "", "password": ""}
    bad = client.post(
        "/manage/registries/add/", data | {"pinned_repositories": "alpine\nNot/Valid\n-x"}
    )
    assert bad.status_code == 400
    page = bad.content.decode()
    assert "Line 2: Invalid repository name" in page and "Line 3:" in page
    assert not Registry.objects.exists()
    good = client.post(
        "/manage/registries/add/",
        data | {"pinned_repositories": " alpine \n\nbitnami/redis/\nalpine\n"},
    )
    assert good.status_code == 302
    assert Registry.objects.get().pinned_repositories == "alpine\nbitnami/redis"


def test_the_admin_form_validates_pinned_repositories(client, persona):
    persona("sue")
    response = client.post(
        "/admin/registries/registry/add/",
        {
            "name": "hub",
            "url": "https://registry-1.docker.io",
            "verify_tls": "on",
            "pinned_repositories": "UPPER",
        },
    )
    assert response.status_code == 200
    assert "Line 1: Invalid repository name" in response.content.decode()
    assert not Registry.objects.exists()


def test_parse_pinned_keeps_order_and_refuses_too_many():
    assert parse_pinned("b\na\nb\n\n a/x/ ") == ["b", "a", "a/x"]
    with pytest.raises(ValidationError):
        parse_pinned("\n".join(f"r{i}" for i in range(501)))


# --- Docker Hub's library/ convention -----------------------------------------------------


@pytest.mark.parametrize(
    "host",
    ["registry-1.docker.io", "docker.io", "index.docker.io", "REGISTRY-1.docker.io:443"],
)
def test_a_single_name_on_docker_hub_is_an_official_image(host):
    assert is_docker_hub(host)
    assert repository_on(host, "alpine") == "library/alpine"
    assert repository_on(host, "bitnami/redis") == "bitnami/redis"
    assert pinned_repositories(host=host, text="alpine\nlibrary/alpine\nbitnami/redis") == [
        "library/alpine",
        "bitnami/redis",
    ]


@pytest.mark.parametrize("host", ["ghcr.io", "registry.example:5000", "docker.io.example"])
def test_other_registries_keep_single_names(host):
    assert not is_docker_hub(host)
    assert repository_on(host, "alpine") == "alpine"
    assert hub_repository("alpine") == "library/alpine"


@pytest.fixture
def hub():
    return Registry.objects.create(name="hub", url="https://registry-1.docker.io")


@pytest.mark.parametrize(
    ("ref", "location"),
    [
        ("alpine", "/registry/hub/library/alpine/"),
        ("alpine:3.20", "/registry/hub/library/alpine:3.20"),
        ("docker.io/alpine", "/registry/hub/library/alpine/"),
        ("index.docker.io/nginx:latest", "/registry/hub/library/nginx:latest"),
        ("registry-1.docker.io/bitnami/redis:7", "/registry/hub/bitnami/redis:7"),
        (
            "docker.io/library/alpine@sha256:" + "a" * 64,
            "/registry/hub/library/alpine@sha256:" + "a" * 64,
        ),
    ],
)
def test_the_jump_box_resolves_docker_hub_names(client, hub, ref, location):
    response = client.get("/go", {"ref": ref})
    assert response.status_code == 302
    assert response["Location"] == location


def test_a_single_name_url_on_docker_hub_redirects_to_library(client, hub):
    response = client.get("/registry/hub/alpine:3.20")
    assert response.status_code == 302
    assert response["Location"] == "/registry/hub/library/alpine:3.20"
    assert client.get("/registry/hub/alpine/")["Location"] == "/registry/hub/library/alpine/"


def test_the_catalog_page_of_docker_hub_lists_pinned_official_images(client):
    Registry.objects.create(
        name="hub", url="https://registry-1.docker.io", pinned_repositories="alpine\nbitnami/redis"
    )
    with responses.RequestsMock() as mock:
        # Docker Hub answers _catalog with 401 for everyone (faked: no internet in tests).
        mock.get("https://registry-1.docker.io/v2/_catalog", status=401)
        page = client.get("/registry/hub/").content.decode()
    assert 'href="/registry/hub/library/alpine/"' in page
    assert 'href="/registry/hub/bitnami/redis/"' in page


# --- rate limits --------------------------------------------------------------------------


@responses.activate
def test_a_rate_limit_is_shown_with_docker_hubs_quota_and_never_retried(client):
    Registry.objects.create(name="hub", url="https://registry-1.docker.io")
    tags = responses.get(
        "https://registry-1.docker.io/v2/library/alpine/tags/list",
        status=429,
        headers={
            "Retry-After": "60",
            "ratelimit-limit": "100;w=21600",
            "ratelimit-remaining": "0;w=21600",
        },
        json={"errors": [{"code": "TOOMANYREQUESTS", "message": "pull rate limit"}]},
    )
    response = client.get("/registry/hub/library/alpine/")
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    page = response.content.decode()
    assert "limit 100 per 6 hours, 0 left" in page
    assert "try again in 1 minute" in page
    assert tags.call_count == 1  # one answer, one request: no retry loop
