"""The OpenAPI document is valid, served, complete, and true of the live API (schemathesis)."""

import contextlib

import pytest
import schemathesis
from django.urls import get_resolver
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from openapi_spec_validator import validate
from schemathesis import GenerationMode

from registries.api.openapi import openapi_document
from registries.api.views import not_found
from registries.models import Registry

pytestmark = pytest.mark.django_db


def test_the_document_is_valid_openapi_3_1():
    document = openapi_document(server_url="/api/v1")
    assert document["openapi"] == "3.1.0"
    validate(document)


def test_the_document_is_served_as_json(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == openapi_document(server_url="/api/v1")


def test_every_api_route_is_documented():
    api = next(p for p in get_resolver().url_patterns if str(p.pattern) == "api/v1/")
    routes = {str(p.pattern) for p in api.url_patterns if p.callback is not not_found}
    routes -= {"openapi.json"}
    documented = set(openapi_document(server_url="/api/v1")["paths"])
    # `<path:rest>` carries both /tags and /manifests/{reference}.
    as_routes = {
        path.lstrip("/")
        .replace("{registry}", "<str:name>")
        .replace("{policy}", "<str:policy>")
        .replace("{repository}/files", "<path:repository>/files")
        .replace("{repository}/supply-chain", "<path:repository>/supply-chain")
        .replace("{repository}/tags", "<path:rest>")
        .replace("{repository}/manifests/{reference}", "<path:rest>")
        for path in documented
    }
    assert routes == as_routes


@pytest.fixture
def live_api(live_server, registry_open, transactional_db):
    """The schema as the live server serves it; the document's examples name `local`/`app`."""
    Registry.objects.create(name="local", url=registry_open.url, pinned_repositories="app")
    return schemathesis.openapi.from_url(f"{live_server.url}/api/v1/openapi.json")


BOUNDED = settings(
    max_examples=15,
    deadline=None,
    database=None,  # no .hypothesis/ directory
    derandomize=True,  # the same requests on every run
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


def check_operation(operation, base_url: str) -> list[str]:
    """Run the document's examples, then generated valid and invalid requests; collect what
    breaks the document (a 5xx, an undocumented status, a body off its schema)."""
    problems: list[str] = []

    def test(strategy) -> None:
        @BOUNDED
        @given(strategy)
        def run(case) -> None:
            try:
                case.call_and_validate(base_url=base_url, timeout=30)
            except Exception as exc:  # check failures come as exception groups
                problems.append(f"{operation.label} {case.formatted_path} {case.query}: {exc}")

        # Unsatisfiable: nothing to make invalid in an operation without parameters.
        with contextlib.suppress(Unsatisfiable):
            run()

    for strategy in operation.get_strategies_from_examples():
        test(strategy)
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        test(operation.as_strategy(generation_mode=mode))
    return problems


def test_the_live_api_answers_as_documented_and_never_500s(live_api, live_server):
    base_url = f"{live_server.url}/api/v1"
    problems = []
    operations = [result.ok() for result in live_api.get_all_operations()]
    assert len(operations) == len(openapi_document(server_url="")["paths"])
    for operation in operations:
        problems += check_operation(operation, base_url)
    assert problems == []
