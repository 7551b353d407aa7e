"""The production set-up end to end, outside a container: the Dockerfile's collectstatic, then
scripts/entrypoint on an empty SQLite database (migrate, seed, gunicorn with our config), with
HTTPS behind a proxy, a sub-path, JSON logs and metrics for loopback clients."""

import json
import re
import sqlite3
import subprocess
import uuid

import pytest

from tests.production_support import (
    ROOT,
    VENV_BIN,
    Server,
    free_port,
    get,
    production_env,
    start_entrypoint,
)

PREFIX = "/registry-ui"
HTTPS = {"X-Forwarded-Proto": "https"}


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("production")
    static_root = tmp / "static"
    # The Dockerfile's build step, with its throwaway secrets.
    subprocess.run(
        [str(VENV_BIN / "python"), "manage.py", "collectstatic", "--no-input", "-v0"],
        cwd=ROOT,
        check=True,
        timeout=60,
        env=production_env(
            tmp,
            SECRET_KEY="collectstatic-only-not-a-secret-0123456789-abcdefghijklmnop",
            REGFRONT_ENCRYPTION_KEYS="AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
            REGFRONT_STATIC_MANIFEST="true",
            REGFRONT_STATIC_ROOT=str(static_root),
        ),
    )
    env = production_env(
        tmp,
        REGISTRY_NAME="local",
        REGISTRY_URL="http://127.0.0.1:9",  # nothing listens: status checks fail fast
        REGFRONT_URL_PREFIX=PREFIX,
        REGFRONT_HTTPS="true",
        REGFRONT_BEHIND_PROXY="true",
        REGFRONT_LOG_FORMAT="json",
        REGFRONT_METRICS="127.0.0.1,::1",
        REGFRONT_STATIC_MANIFEST="true",
        REGFRONT_STATIC_ROOT=str(static_root),
        GUNICORN_WORKERS="2",
        GUNICORN_THREADS="2",
    )
    server = start_entrypoint(env, tmp / "server.log")
    try:
        server.wait_until_serving()
        yield server, tmp
    finally:
        returncode = server.stop()
    assert returncode == 0, server.output()


def _json_lines(server: Server) -> list[dict]:
    entries = []
    for line in server.output().splitlines():
        if line.startswith("{"):
            entries.append(json.loads(line))
    return entries


def _counter(metrics: str, name: str, **labels: str) -> float:
    for line in metrics.splitlines():
        if line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_it_migrates_and_seeds_an_empty_database(deployment):
    server, tmp = deployment
    with sqlite3.connect(tmp / "regfront.sqlite3") as db:
        rows = db.execute("SELECT name, url FROM registries_registry").fetchall()
        migrations = db.execute("SELECT COUNT(*) FROM django_migrations").fetchone()[0]
    assert rows == [("local", "http://127.0.0.1:9")]
    assert migrations > 0
    assert "Registry 'local'" in server.output()  # seed_registry ran and said so


def test_it_answers_probes_whatever_the_host_header(deployment):
    server, _ = deployment
    # Load balancers and the HEALTHCHECK ask by address; ALLOWED_HOSTS does not list it.
    assert get(server.port, "/healthz", headers={"Host": "10.1.2.3:8000"}).status == 200
    assert get(server.port, "/", headers={"Host": "10.1.2.3:8000", **HTTPS}).status == 400


def test_it_redirects_plain_http_and_sends_hsts_over_https(deployment):
    server, _ = deployment
    plain = get(server.port, "/")
    assert plain.status == 301
    assert plain.headers["location"] == f"https://localhost{PREFIX}/"

    page = get(server.port, "/", headers=HTTPS)
    assert page.status == 200
    assert page.headers["strict-transport-security"] == (
        "max-age=31536000; includeSubDomains; preload"
    )
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert "script-src 'self'" in page.headers["content-security-policy"]


def test_it_sets_secure_cookies_on_the_sub_path(deployment):
    server, _ = deployment
    login = get(server.port, "/admin/login/", headers=HTTPS)
    assert login.status == 200
    cookie = login.headers["set-cookie"]
    assert cookie.startswith("csrftoken=")
    assert "Secure" in cookie
    assert f"Path={PREFIX}/" in cookie


def test_it_serves_links_and_hashed_static_files_under_the_sub_path(deployment):
    server, _ = deployment
    html = get(server.port, "/", headers=HTTPS).text()
    assert f'href="{PREFIX}/"' in html
    hashed_css = r"/static/regfront/regfront\.[0-9a-f]{12}\.css"
    stylesheet = re.search(f'href="{PREFIX}({hashed_css})"', html)
    assert stylesheet, html

    # The proxy strips the prefix before passing the request on.
    css = get(server.port, stylesheet.group(1), headers=HTTPS)
    assert css.status == 200
    assert css.headers["content-type"].startswith("text/css")
    assert "immutable" in css.headers["cache-control"]

    admin = get(server.port, "/admin/", headers=HTTPS)
    assert admin.status == 302
    assert admin.headers["location"] == f"{PREFIX}/admin/login/?next={PREFIX}/admin/"


def test_it_logs_one_json_line_per_request_without_the_query_string(deployment):
    server, _ = deployment
    secret = f"tok-{uuid.uuid4().hex}"

    def request_lines() -> list[dict]:
        return [
            entry
            for entry in _json_lines(server)
            if entry["logger"] == "regfront.request" and entry["path"] == f"{PREFIX}/readyz"
        ]

    before = len(request_lines())
    for _ in range(3):
        assert get(server.port, f"/readyz?token={secret}", headers=HTTPS).status == 200
    lines = request_lines()
    # Requests that Django itself logs (bad Host header, 404) keep the secret out too.
    get(server.port, f"/?token={secret}", headers={"Host": "evil.example", **HTTPS})
    get(server.port, f"/no/such/page?token={secret}", headers=HTTPS)

    assert len(lines) == before + 3
    assert {k: lines[-1][k] for k in ("method", "status", "view", "user_id")} == {
        "method": "GET",
        "status": 200,
        "view": "readyz",
        "user_id": None,
    }
    assert isinstance(lines[-1]["duration_ms"], float)
    assert secret not in server.output()
    # gunicorn's own messages are JSON lines too.
    assert any(e["logger"] == "gunicorn.error" for e in _json_lines(server))


def test_it_counts_requests_of_every_worker_in_metrics(deployment):
    server, _ = deployment
    labels = {"view": "healthz", "method": "GET", "status": "200"}
    before = _counter(get(server.port, "/metrics").text(), "regfront_http_requests_total", **labels)

    for _ in range(12):  # new connections: both workers get some
        assert get(server.port, "/healthz").status == 200
    metrics = get(server.port, "/metrics")

    assert metrics.status == 200
    assert metrics.headers["content-type"].startswith("text/plain")
    after = _counter(metrics.text(), "regfront_http_requests_total", **labels)
    assert after - before == 12  # summed over both workers' files, not one worker's view
    assert 'regfront_http_request_duration_seconds_bucket{le="0.005",view="healthz"}' in (
        metrics.text()
    )


def test_it_refuses_metrics_to_clients_not_listed(deployment):
    server, _ = deployment
    # Behind the proxy the client is the address it appended to X-Forwarded-For.
    outside = get(server.port, "/metrics", headers={"X-Forwarded-For": "203.0.113.7"})
    assert outside.status == 403


def test_it_passes_the_images_healthcheck_command(deployment):
    server, tmp = deployment
    dockerfile = (ROOT / "Dockerfile").read_text()
    command = json.loads(re.search(r"^\s*CMD (\[.*\])$", dockerfile, re.MULTILINE).group(1))
    assert command[:2] == ["python", "-c"]

    def healthcheck(port: int) -> int:
        env = production_env(tmp, REGFRONT_BIND=f"0.0.0.0:{port}")
        run = [str(VENV_BIN / "python"), "-c", command[2]]
        return subprocess.run(run, env=env, capture_output=True, timeout=30).returncode

    assert healthcheck(server.port) == 0
    assert healthcheck(free_port()) != 0
