"""Two regfront instances (gunicorn) on one PostgreSQL database and one Redis behave as one."""

import re
import subprocess
import sys
import threading
import time
import uuid

import psycopg
import pytest
import redis
import requests

from tests.production_support import ROOT, production_env, start_gunicorn
from tests.support.images import push_image

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
REDIS_DB = 12
LOAD_SECONDS = 6
LOAD_THREADS = 6


@pytest.fixture
def shared_database():
    name = f"regfront_two_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield f"postgres://postgres@127.0.0.1:5432/{name}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def instances(tmp_path, shared_database):
    redis.Redis(db=REDIS_DB).flushdb()
    env = production_env(
        tmp_path,
        DATABASE_URL=shared_database,
        CACHE_URL=f"redis://127.0.0.1:6379/{REDIS_DB}",
        DJANGO_SUPERUSER_PASSWORD="sue-password-123",
    )
    for command in (["migrate", "--no-input"], ["createsuperuser", "--no-input", "--username",
                                                 "sue", "--email", "sue@example.com"]):  # fmt: skip
        subprocess.run(
            [sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True,
            capture_output=True, timeout=120,
        )  # fmt: skip
    servers = [start_gunicorn(env, tmp_path / f"gunicorn-{n}.log") for n in "ab"]
    try:
        for server in servers:
            server.wait_until_serving()
        yield [f"http://127.0.0.1:{server.port}" for server in servers]
    finally:
        for server in servers:
            server.stop()


def logged_in(base: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{base}/accounts/login/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    response = session.post(
        f"{base}/accounts/login/",
        data={"username": "sue", "password": "sue-password-123", "csrfmiddlewaretoken": token},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302, response.text[:500]
    return session


def post_form(session: requests.Session, url: str, data: dict) -> requests.Response:
    page = session.get(url, timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    return session.post(
        url, data={**data, "csrfmiddlewaretoken": token}, allow_redirects=False, timeout=30
    )


def add_registry(session, base: str, name: str, url: str) -> None:
    response = post_form(session, f"{base}/manage/registries/add/", {"name": name, "url": url})
    assert response.status_code == 302, response.text[:1000]


@pytest.mark.postgres
def test_two_instances_share_registries_deletes_and_survive_load(instances, registry_open):
    a, b = instances
    # Sessions live in the shared database: one login works on both instances.
    session = logged_in(a)

    add_registry(session, a, "shared", registry_open.url)
    catalog = session.get(f"{b}/registry/shared/", timeout=30)
    assert catalog.status_code == 200
    assert "repositories at" in catalog.text

    repo = f"twoinst/{uuid.uuid4().hex[:8]}"
    doomed = push_image(registry_open, repo, "doomed", seed=f"{repo}-doomed")
    push_image(registry_open, repo, "kept", seed=f"{repo}-kept")
    before = session.get(f"{b}/registry/shared/{repo}/", timeout=30).text  # cached on b
    assert f"{repo}:doomed" in before
    deleted = post_form(
        session, f"{a}/manage/registry/shared/delete/{repo}:doomed", {"digest": doomed.digest}
    )
    assert deleted.status_code == 302, deleted.text[:1000]
    after = session.get(f"{b}/registry/shared/{repo}/", timeout=30).text
    assert f"{repo}:doomed" not in after
    assert f"{repo}:kept" in after

    failures: list[str] = []
    counts = {"reads": 0, "changes": 0}
    stop_at = time.monotonic() + LOAD_SECONDS
    paths = ["/", "/registry/shared/", "/registry/shared/app/", "/registry/shared/app:1.2.0"]

    def reader(index: int) -> None:
        reader_session = requests.Session()
        reader_session.cookies.update(session.cookies)
        n = 0
        while time.monotonic() < stop_at:
            base = (a, b)[n % 2]
            path = paths[(n + index) % len(paths)]
            try:
                response = reader_session.get(f"{base}{path}", timeout=30)
                if response.status_code != 200:
                    failures.append(f"{base}{path} -> {response.status_code}")
            except requests.RequestException as exc:
                failures.append(f"{base}{path} -> {exc!r}")
            n += 1
            counts["reads"] += 1

    def changer() -> None:
        n = 0
        while time.monotonic() < stop_at:
            base = (a, b)[n % 2]
            name = f"tmp{n}"
            try:
                add_registry(session, base, name, registry_open.url)
                removed = post_form(
                    session, f"{(b, a)[n % 2]}/manage/registries/{name}/remove/", {}
                )
                if removed.status_code != 302:
                    failures.append(f"remove {name} -> {removed.status_code}")
            except (AssertionError, requests.RequestException) as exc:
                failures.append(f"change {name} -> {exc!r}"[:300])
            n += 1
            counts["changes"] += 1

    threads = [threading.Thread(target=reader, args=(i,)) for i in range(LOAD_THREADS)]
    threads.append(threading.Thread(target=changer))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(LOAD_SECONDS + 60)

    assert failures == []
    assert counts["reads"] > 50 and counts["changes"] > 3, counts
