"""Cache lookups made during a request are counted once, when the request ends."""

from prometheus_client import REGISTRY

from regfront import metrics

LOOKUPS = "regfront_cache_lookups_total"


def _count(kind: str, result: str) -> float:
    return REGISTRY.get_sample_value(LOOKUPS, {"kind": kind, "result": result}) or 0.0


def test_it_counts_a_requests_lookups_when_it_ends():
    hits, misses = _count("batched", "hit"), _count("batched", "miss")

    with metrics.request_batch():
        for _ in range(3):
            metrics.observe_cache(hit=True, kind="batched")
        metrics.observe_cache(hit=False, kind="batched")
        assert _count("batched", "hit") == hits  # not yet: added up at the end

    assert _count("batched", "hit") == hits + 3
    assert _count("batched", "miss") == misses + 1


def test_it_counts_lookups_outside_a_request_at_once():
    before = _count("unbatched", "hit")

    metrics.observe_cache(hit=True, kind="unbatched")

    assert _count("unbatched", "hit") == before + 1


def test_it_counts_lookups_of_a_request_that_failed():
    before = _count("failed", "miss")

    try:
        with metrics.request_batch():
            metrics.observe_cache(hit=False, kind="failed")
            raise RuntimeError("the view broke")
    except RuntimeError:
        pass

    assert _count("failed", "miss") == before + 1
