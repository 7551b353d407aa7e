"""The cache under load: coalesced misses, metrics, and no credentials in it (counted, not timed).

Runs on whichever cache the suite runs with: local memory (first pass of `make test`) and
Redis (second pass, CACHE_URL=redis://...).
"""

import pickle
import threading
import time

import pytest
from django.core.cache import cache
from prometheus_client import REGISTRY

from registries import services
from registries.services.clients import add_observer, remove_observer
from tests.support.images import MANY_TAG_NAMES, MANY_TAGS

pytestmark = pytest.mark.django_db


@pytest.fixture
def slow_registry():
    """Make every registry request take 0.2 s longer (the observer runs inside the request
    path), so that concurrent callers surely overlap while the first one is still asking."""

    def slow(_record) -> None:
        time.sleep(0.2)

    add_observer(slow)
    yield
    remove_observer(slow)


def run_together(count: int, work) -> list:
    barrier = threading.Barrier(count)
    results: list = [None] * count
    errors: list = []

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = work()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results


def test_it_coalesces_concurrent_misses_for_one_key_into_one_request(
    registry_open, registry_row, registry_requests, slow_registry
):
    registry = registry_row(registry_open, name="open")
    results = run_together(12, lambda: services.tag_list(registry=registry, repository=MANY_TAGS))
    assert all(result == results[0] for result in results)
    assert len(results[0]) == len(MANY_TAG_NAMES)
    assert [r.path for r in registry_requests] == [f"/v2/{MANY_TAGS}/tags/list"]


def test_it_coalesces_two_page_views_of_the_same_tags(
    registry_open, registry_row, registry_requests, slow_registry
):
    registry = registry_row(registry_open, name="open")
    visible = MANY_TAG_NAMES[:20]
    results = run_together(
        2,
        lambda: services.tag_summaries(registry=registry, repository=MANY_TAGS, tags=visible),
    )
    assert [s.image.digest for s in results[0]] == [s.image.digest for s in results[1]]
    manifests = [r for r in registry_requests if "/manifests/" in r.path]
    configs = {r.path for r in registry_requests if "/blobs/" in r.path}
    # Each tag and each image asked for once, although two pages wanted them at once.
    assert len(manifests) == len(visible) == len({r.path for r in manifests})
    assert len([r for r in registry_requests if "/blobs/" in r.path]) == len(configs)
    digests = {registry_open.dataset.digest(MANY_TAGS, tag) for tag in visible}
    assert len(configs) == len(digests)


def counter(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_it_counts_cache_hits_misses_and_registry_requests_in_metrics(
    client, registry_open, registry_row, registry_requests, settings
):
    settings.REGFRONT_PAGE_CACHE = False  # the entries' lookups, not the whole page's
    registry_row(registry_open, name="open")
    before = {
        "miss": counter("regfront_cache_lookups_total", kind="tag", result="miss"),
        "hit": counter("regfront_cache_lookups_total", kind="tag", result="hit"),
        "summary hit": counter("regfront_cache_lookups_total", kind="summary", result="hit"),
        "requests": counter(
            "regfront_registry_requests_total",
            registry="open",
            method="GET",
            outcome="ok",
            status="200",
        ),
    }
    client.get("/registry/open/app/")  # cold: four tag misses
    client.get("/registry/open/app/")  # warm: four tag hits, summaries from the cache
    ok_gets = [
        r
        for r in registry_requests
        if r.registry == "open" and r.method == "GET" and r.status == 200
    ]
    assert counter("regfront_cache_lookups_total", kind="tag", result="miss") - before["miss"] >= 4
    assert counter("regfront_cache_lookups_total", kind="tag", result="hit") - before["hit"] >= 4
    assert (
        counter("regfront_cache_lookups_total", kind="summary", result="hit")
        - before["summary hit"]
        >= 4
    )
    after = counter(
        "regfront_registry_requests_total",
        registry="open",
        method="GET",
        outcome="ok",
        status="200",
    )
    assert after - before["requests"] == len(ok_gets) > 0


def cached_values() -> list[bytes]:
    """Every value in the cache as stored (pickled bytes), on local memory or Redis."""
    backend = cache._cache  # LocMemCache: dict of pickles; RedisCache: RedisCacheClient
    if isinstance(backend, dict):
        return list(backend.values())
    redis = backend.get_client()
    keys = list(redis.scan_iter(match=f"{cache.key_prefix}*"))
    return [value for value in redis.mget(keys) if value is not None] if keys else []


@pytest.mark.parametrize("auth", ["basic", "token"])
def test_it_keeps_credentials_and_tokens_out_of_the_cache(
    auth, client, request, registry_row, registry_requests
):
    running = request.getfixturevalue(f"registry_{auth}")
    registry_row(running, name=auth)
    for path in ("", "app/", "app:1.2.0", "multi/arch:v1"):
        assert client.get(f"/registry/{auth}/{path}").status_code == 200
    client.get("/")
    assert any(r.registry == auth for r in registry_requests)
    values = cached_values()
    assert len(values) > 10  # the pages above did fill the cache
    blob = b"\n".join(values)
    text = b"\n".join(
        repr(pickle.loads(v)).encode() if v[:1] == b"\x80" else v for v in values
    )  # LocMem and Redis pickle values; Redis stores plain ints as digits
    for secret in (running.password.encode(), b"Bearer ", b"Basic ", b"eyJ"):
        assert secret not in blob and secret not in text
