"""/metrics: off by default, then open to the public, listed addresses or a bearer token."""

import pytest
from django.test import override_settings

from regfront import metrics
from regfront.clientip import parse_networks


def test_it_hides_metrics_when_off(client):
    assert client.get("/metrics").status_code == 404


@override_settings(REGFRONT_METRICS="public")
def test_it_counts_requests_by_view_and_status(client):
    client.get("/healthz")
    response = client.get("/metrics")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    text = response.content.decode()
    assert 'regfront_http_requests_total{method="GET",status="200",view="healthz"}' in text
    assert "regfront_http_request_duration_seconds_bucket" in text


@override_settings(REGFRONT_METRICS="public")
def test_it_exposes_registry_and_cache_observations(client):
    metrics.observe_registry_call(
        registry="metricsreg", method="GET", outcome="ok", status=200, duration=0.05
    )
    metrics.observe_registry_call(
        registry="metricsreg", method="GET", outcome="Unreachable", status=None, duration=1.0
    )
    metrics.observe_cache(hit=True, kind="catalog")
    metrics.observe_cache(hit=False, kind="catalog")

    text = client.get("/metrics").content.decode()

    assert (
        'regfront_registry_requests_total{method="GET",outcome="ok",registry="metricsreg",'
        'status="200"}' in text
    )
    assert 'outcome="Unreachable",registry="metricsreg",status="none"}' in text
    duration = "regfront_registry_request_duration_seconds_count"
    assert f'{duration}{{outcome="ok",registry="metricsreg"}}' in text
    assert 'regfront_cache_lookups_total{kind="catalog",result="hit"}' in text
    assert 'regfront_cache_lookups_total{kind="catalog",result="miss"}' in text


@override_settings(
    REGFRONT_METRICS="allowlist", REGFRONT_METRICS_NETWORKS=parse_networks(["10.0.0.0/8"])
)
def test_it_serves_metrics_to_listed_networks_only(client):
    assert client.get("/metrics", REMOTE_ADDR="10.20.30.40").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="192.0.2.1").status_code == 403


@pytest.mark.parametrize(
    ("authorization", "status"),
    [(None, 403), ("Bearer wrong-token", 403), ("Bearer scrape-token-123", 200)],
)
@override_settings(REGFRONT_METRICS="off", REGFRONT_METRICS_TOKEN="scrape-token-123")
def test_it_serves_metrics_with_the_bearer_token(client, authorization, status):
    headers = {"Authorization": authorization} if authorization else {}
    assert client.get("/metrics", headers=headers).status_code == status
