"""regfront's Redis cache backend: Django's, with one client object per connection pool."""

import subprocess
import uuid

from regfront.redis_cache import RedisCache
from tests.production_support import ROOT, VENV_BIN, production_env

REDIS = "redis://127.0.0.1:6379/14"


def test_it_reuses_one_client_for_every_call():
    backend = RedisCache(REDIS, {})

    first = backend._cache.get_client()

    assert backend._cache.get_client() is first
    assert backend._cache.get_client(write=True) is first  # one server: one pool


def test_it_reads_what_it_wrote():
    backend = RedisCache(REDIS, {"KEY_PREFIX": f"test-{uuid.uuid4().hex}"})
    try:
        backend.set("tag", {"digest": "sha256:abc"}, 30)
        backend.set_many({"a": 1, "b": 2}, 30)

        assert backend.get("tag") == {"digest": "sha256:abc"}
        assert backend.get_many(["a", "b", "missing"]) == {"a": 1, "b": 2}
    finally:
        backend.delete_many(["tag", "a", "b"])


def test_it_is_the_backend_of_a_redis_cache_url(tmp_path):
    script = (
        "import django; django.setup(); from django.conf import settings; "
        "c = settings.CACHES['default']; print(c['BACKEND'], c['OPTIONS']['socket_timeout'])"
    )
    result = subprocess.run(
        [str(VENV_BIN / "python"), "-c", script],
        cwd=ROOT,
        env=production_env(tmp_path, CACHE_URL=REDIS, DJANGO_SETTINGS_MODULE="regfront.settings"),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["regfront.redis_cache.RedisCache", "2.0"]
