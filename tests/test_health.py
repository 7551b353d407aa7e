"""/healthz and /readyz through the test client. The same against a real gunicorn and a
PostgreSQL that stops and starts: tests/test_production_readyz.py."""

import socket
import time

import pytest
from django.test import override_settings


def _redis_cache(port: int, timeout: float = 5.0) -> dict:
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {"socket_connect_timeout": timeout, "socket_timeout": timeout},
        }
    }


@pytest.mark.django_db
def test_it_answers_health_and_readiness(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok", "database": "ok", "cache": "ok"}
    assert "no-store" in ready["Cache-Control"]


@pytest.mark.django_db
def test_it_is_not_ready_when_the_cache_refuses_connections(client):
    with socket.socket() as sock:  # a port where nothing listens
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with override_settings(CACHES=_redis_cache(port)):
        ready = client.get("/readyz")

    assert ready.status_code == 503
    assert ready.json() == {"status": "unavailable", "database": "ok", "cache": "unreachable"}


@pytest.mark.django_db
def test_it_answers_in_time_when_the_cache_never_replies(client):
    # Accepts the connection (the kernel does) and never says a word.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        caches = _redis_cache(silent.getsockname()[1], timeout=3)
        with override_settings(CACHES=caches, REGFRONT_READYZ_TIMEOUT=0.5):
            started = time.monotonic()
            ready = client.get("/readyz")
            elapsed = time.monotonic() - started

    assert ready.status_code == 503
    assert ready.json()["cache"] == "timeout"
    assert elapsed < 2


def test_it_answers_healthz_without_the_database(client):
    # No django_db mark: any database access would fail this test.
    assert client.get("/healthz").status_code == 200


@pytest.mark.django_db
def test_it_refuses_other_methods(client):
    assert client.post("/healthz").status_code == 405
    assert client.post("/readyz").status_code == 405
