"""/readyz on a real gunicorn follows PostgreSQL: 503 while it is stopped, 200 once it is
back. The PostgreSQL here is a throwaway cluster of this test's own, never the shared one."""

import json
import time

import pytest

from tests.production_support import (
    ThrowawayPostgres,
    get,
    postgres_bin,
    production_env,
    start_gunicorn,
)

pytestmark = pytest.mark.skipif(postgres_bin() is None, reason="PostgreSQL server not installed")


@pytest.fixture
def postgres():
    cluster = ThrowawayPostgres()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.destroy()


def _readyz(port: int) -> tuple[int, dict, float]:
    started = time.monotonic()
    reply = get(port, "/readyz")
    return reply.status, json.loads(reply.body), time.monotonic() - started


def test_it_is_ready_only_while_postgresql_runs(tmp_path, postgres):
    env = production_env(tmp_path, DATABASE_URL=postgres.url, REGFRONT_READYZ_TIMEOUT="3")
    server = start_gunicorn(env, tmp_path / "gunicorn.log")
    try:
        server.wait_until_serving("/readyz")

        postgres.stop()
        status, body, elapsed = _readyz(server.port)
        assert (status, body) == (
            503,
            {"status": "unavailable", "database": "unreachable", "cache": "ok"},
        )
        assert elapsed < 3.5  # never hangs

        postgres.start()
        status, body, _ = _readyz(server.port)
        assert (status, body) == (200, {"status": "ok", "database": "ok", "cache": "ok"})
    finally:
        server.stop()
