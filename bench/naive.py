"""The naive baseline: what a simple frontend or crawler sends, with one plain keep-alive
client, one request after another."""

from __future__ import annotations

import time
from urllib.parse import urljoin

import requests

from bench.harness import ACCEPT


def listing(session: requests.Session, url: str, key: str) -> tuple[list[str], int]:
    """Every page of a `_catalog` or `tags/list` answer (following `Link`), and the requests."""
    names: list[str] = []
    count = 0
    next_url: str | None = url
    while next_url:
        reply = session.get(next_url, timeout=60)
        reply.raise_for_status()
        count += 1
        names += reply.json().get(key) or []
        link = reply.headers.get("Link")
        next_url = urljoin(next_url, link.split(";")[0].strip("<> ")) if link else None
    return names, count


def image(session: requests.Session, base: str, repo: str, reference: str) -> int:
    """One manifest and its config (an index: each child's); the number of requests sent."""
    reply = session.get(
        f"{base}/v2/{repo}/manifests/{reference}", headers={"Accept": ACCEPT}, timeout=30
    )
    reply.raise_for_status()
    manifest = reply.json()
    if "manifests" in manifest:
        return 1 + sum(image(session, base, repo, m["digest"]) for m in manifest["manifests"])
    config = manifest["config"]["digest"]
    session.get(f"{base}/v2/{repo}/blobs/{config}", timeout=30).raise_for_status()
    return 2


def images(session: requests.Session, base: str, repo: str) -> int:
    """tags/list, then each tag's manifest and config; the number of requests sent."""
    tags, count = listing(session, f"{base}/v2/{repo}/tags/list?n=1000", "tags")
    return count + sum(image(session, base, repo, tag) for tag in tags)


def naive_repository(base: str, repo: str) -> tuple[float, int]:
    """A simple frontend's repository page: seconds and requests."""
    with requests.Session() as session:
        started = time.perf_counter()
        count = images(session, base, repo)
        return time.perf_counter() - started, count


def raw_catalog(base: str) -> tuple[float, int]:
    """The whole catalog paged at n=1000, as regfront asks for it: seconds and names."""
    with requests.Session() as session:
        started = time.perf_counter()
        names, _ = listing(session, f"{base}/v2/_catalog?n=1000", "repositories")
        return time.perf_counter() - started, len(names)


def naive_crawl(base: str) -> tuple[float, int]:
    """A sequential crawler indexing everything: the catalog, then every repository's
    images. Seconds and requests."""
    with requests.Session() as session:
        started = time.perf_counter()
        names, count = listing(session, f"{base}/v2/_catalog?n=1000", "repositories")
        for name in names:
            count += images(session, base, name)
        return time.perf_counter() - started, count
