"""Request log lines and the formatters every regfront logger goes through."""

import json
import logging
import subprocess

import pytest

from regfront.logformat import PlainFormatter
from tests.production_support import ROOT, VENV_BIN, production_env


def _request_records(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "regfront.request"]


@pytest.mark.django_db
def test_it_logs_one_line_per_request_without_the_query_string(client, caplog):
    caplog.set_level(logging.INFO, logger="regfront.request")

    client.get("/healthz?token=abc")
    client.get("/?token=abc&next=/admin/")

    records = _request_records(caplog)
    assert [r.getMessage().split(" 200 ")[0] for r in records] == ["GET /healthz", "GET /"]
    assert [(r.path, r.status, r.view, r.user_id) for r in records] == [
        ("/healthz", 200, "healthz", None),
        ("/", 200, "registries:home", None),
    ]
    assert not any("abc" in PlainFormatter().format(r) for r in caplog.records)


@pytest.mark.django_db
def test_it_logs_the_user_id_of_a_logged_in_user(client, django_user_model, caplog):
    user = django_user_model.objects.create_user("dora", password="unused-pw-123")
    client.force_login(user)
    caplog.set_level(logging.INFO, logger="regfront.request")

    client.get("/")

    [record] = _request_records(caplog)
    assert record.user_id == user.pk
    assert record.getMessage().endswith(f"view=registries:home user={user.pk}")


@pytest.mark.django_db
def test_it_keeps_a_hostile_path_on_one_plain_line(client, caplog):
    caplog.set_level(logging.INFO, logger="regfront.request")

    client.get("/no-such%0Afake INFO line")

    [record] = _request_records(caplog)
    line = PlainFormatter().format(record)
    assert "\n" not in line
    assert "/no-such\\x0afake INFO line 404" in line


def test_it_formats_registry_client_lines_as_json_like_request_lines(tmp_path):
    # The registry client logs on regfront.registry; with REGFRONT_LOG_FORMAT=json that
    # logger goes through the same JSON formatter as regfront.request.
    script = (
        "import django, logging; django.setup(); "
        "logging.getLogger('regfront.registry').info("
        "'registry=%s method=%s path=%s status=%s', 'local', 'GET', '/v2/', 200)"
    )
    result = subprocess.run(
        [str(VENV_BIN / "python"), "-c", script],
        cwd=ROOT,
        env=production_env(tmp_path, REGFRONT_LOG_FORMAT="json"),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    [line] = result.stderr.splitlines()
    entry = json.loads(line)
    assert entry["logger"] == "regfront.registry"
    assert entry["level"] == "INFO"
    assert entry["message"] == "registry=local method=GET path=/v2/ status=200"
