"""`make bench`, second part: the inventory's targets (issue 11), on the bench data set.

1. Seeds the registry as bench/run.py does (10,000 repositories, the 300- and 5,000-tag
   repositories, an index) and serves it with its access log on, so request counts are what
   the registry received.
2. Full index: `manage.py sync_registry bench` on PostgreSQL against the naive sequential
   crawl (catalog, then per repository tags/list and per tag manifest + config); then a
   resync with nothing changed, counting its manifest and blob GETs.
3. Pages from the index under gunicorn (PostgreSQL + Redis): the tag page of a tag with 600
   siblings in the 5,000-tag repository with an empty cache, against the raw registry's time
   for that manifest + config; the 5,000-tag repository page newest first against by version.
4. Search over 1,000,000 tags in 50,000 repositories, written straight into the index tables,
   through the search page and the service in one process; EXPLAIN of every query it sends.
5. Replaces the "Inventory" section of docs/benchmarks.md.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.access_log import AccessLog, start_logged_registry  # noqa: E402
from bench.harness import (  # noqa: E402
    ACCEPT,
    COLD_SAMPLES,
    PG_DB,
    PY,
    REDIS_DB,
    REDIS_HOST,
    REDIS_PORT,
    WARM_SAMPLES,
    base_env,
    drop_database,
    log,
    median,
    ms,
    p95,
    prepare_database,
    replace_section,
    reset_cache,
    start_regfront,
    timed_get,
    verdict,
    warm_both_workers,
)
from bench.naive import naive_crawl  # noqa: E402
from bench.seed import ALIAS_TAG, ALIASES_FROM, TAGS_5000, seed, version_tag  # noqa: E402

SEARCH_REPOSITORIES = 50_000
SEARCH_TAGS_PER_REPOSITORY = 20  # 1,000,000 tags
SEARCH_MANIFESTS = 100_000
SEARCH_SAMPLES = int(os.environ.get("BENCH_SEARCH_SAMPLES", "20"))
SECTION = "## Inventory (issue 11)"


def run_command(env: dict[str, str], *args: str) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(
        [PY, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return time.perf_counter() - started, done.stdout.strip()


def raw_image(base: str, repository: str, tag: str) -> float:
    """The registry's own time for a tag's manifest and its config, on a warm connection."""
    with requests.Session() as session:
        session.get(f"{base}/v2/", timeout=10)
        started = time.perf_counter()
        reply = session.get(
            f"{base}/v2/{repository}/manifests/{tag}", headers={"Accept": ACCEPT}, timeout=10
        )
        config = reply.json()["config"]["digest"]
        session.get(f"{base}/v2/{repository}/blobs/{config}", timeout=10).raise_for_status()
        return time.perf_counter() - started


def logged(access: AccessLog) -> dict:
    time.sleep(0.5)  # the registry writes its access log after answering
    return access.counts()


def measure_sync(env: dict[str, str], registry, access: AccessLog) -> dict:
    log("naive sequential crawl")
    access.mark()
    naive_seconds, naive_requests = naive_crawl(registry.url)
    naive_counts = logged(access)
    log(f"  {naive_requests} requests in {naive_seconds:.1f} s")

    log("regfront: full sync (sync_registry bench)")
    access.mark()
    full_seconds, full_out = run_command(env, "sync_registry", "bench")
    full_counts = logged(access)
    log(f"  {full_seconds:.1f} s: {full_out}")

    log("regfront: resync, nothing changed")
    access.mark()
    resync_seconds, resync_out = run_command(env, "sync_registry", "bench")
    resync_counts = logged(access)
    log(f"  {resync_seconds:.1f} s: {resync_out}")
    return {
        "naive": (naive_seconds, naive_counts),
        "full": (full_seconds, full_counts, full_out),
        "resync": (resync_seconds, resync_counts, resync_out),
    }


def measure_pages(server, work: Path, registry, access: AccessLog) -> dict:
    tag_path = f"/registry/bench/{TAGS_5000}:{ALIAS_TAG}"
    siblings = {version_tag(i) for i in range(ALIASES_FROM, 5_000)}
    cold, cold_counts = [], []
    for _ in range(COLD_SAMPLES):
        reset_cache(server, work)
        with requests.Session() as session:
            session.get(f"{server.url}/bench/floor").raise_for_status()  # connect first
            access.mark()
            cold.append(timed_get(session, server.url + tag_path))
            cold_counts.append(logged(access))
    page = requests.get(server.url + tag_path, timeout=60).text
    listed = set(re.findall(rf'href="/registry/bench/{TAGS_5000}:([^"]+)"', page))
    raw = [raw_image(registry.url, TAGS_5000, ALIAS_TAG) for _ in range(20)]
    warm_both_workers(server.url + tag_path)
    with requests.Session() as session:
        tag_warm = [timed_get(session, server.url + tag_path) for _ in range(WARM_SAMPLES)]
    log(
        f"  tag page cold {ms(median(cold))} ms, warm {ms(median(tag_warm))} ms, "
        f"raw manifest + config {ms(median(raw))} ms"
    )

    by_version = f"/registry/bench/{TAGS_5000}/?sort=natural"
    newest = f"/registry/bench/{TAGS_5000}/?sort=newest"
    warm: dict[str, list[float]] = {}
    for name, path in (("by version", by_version), ("newest first", newest)):
        warm_both_workers(server.url + path)
        with requests.Session() as session:
            warm[name] = [timed_get(session, server.url + path) for _ in range(WARM_SAMPLES)]
        log(f"  5,000-tag page {name}: warm {ms(median(warm[name]))} ms")
    return {
        "tag_cold": cold,
        "tag_cold_counts": cold_counts,
        "tag_warm": tag_warm,
        "raw": raw,
        "siblings_expected": len(siblings),
        "siblings_listed": len(siblings & listed),
        "warm": warm,
    }


# --- search over a seeded index -------------------------------------------------------------

SEED_SQL = [
    # Two registries: `ops` is limited to a group, so every query also filters by visibility.
    """INSERT INTO registries_indexedrepository (registry_id, name, first_seen, last_seen)
    SELECT CASE WHEN mod(i, 5) = 0 THEN %(ops)s ELSE %(bench)s END,
        'team-' || mod(i, 97) || '/svc-' || substr(md5(i::text), 1, 10), now(), now()
    FROM generate_series(1, %(repositories)s) AS i""",
    # Version-like and build tags, each pointing at one of the manifests below.
    """INSERT INTO registries_indexedtag (repository_id, name, digest, first_seen, last_seen)
    SELECT r.id,
        CASE WHEN t = 1 THEN 'latest'
             WHEN mod(t, 3) = 0 THEN 'build-' || substr(md5(r.id::text || '/' || t), 1, 12)
             ELSE mod(r.id, 7) || '.' || t || '.' || mod(r.id * t, 31) END,
        'sha256:' || md5(mod(r.id * 31 + t, %(manifests)s)::text)
            || md5((-mod(r.id * 31 + t, %(manifests)s))::text),
        now(), now()
    FROM registries_indexedrepository AS r, generate_series(1, %(tags)s) AS t""",
    """INSERT INTO registries_indexedmanifest (registry_id, digest, media_type, kind, platforms,
        config_digest, layers, subject_digest, labels, annotations, artifact_type, fetched_at,
        image_children)
    SELECT r.registry_id, 'sha256:' || md5(i::text) || md5((-i)::text),
        'application/vnd.oci.image.manifest.v1+json', 'image', '[]', '', '[]', '',
        jsonb_build_object('org.opencontainers.image.revision', md5((i * 7)::text),
            'org.opencontainers.image.source', 'https://git.example/team-' || mod(i, 97)),
        '{}', '', now(), '[]'
    FROM generate_series(0, %(manifests)s - 1) AS i
    JOIN (SELECT DISTINCT registry_id FROM registries_indexedrepository) AS r ON true""",
]


def seed_search(env: dict[str, str]) -> None:
    script = f"""
import django, json
django.setup()
from django.contrib.auth.models import Group
from django.db import connection
from registries.models import Registry
bench = Registry.objects.get(name="bench")
ops = Registry.objects.create(name="ops", url="https://ops.example")
ops.groups.add(Group.objects.create(name="ops-team"))
params = dict(bench=bench.pk, ops=ops.pk, repositories={SEARCH_REPOSITORIES},
    tags={SEARCH_TAGS_PER_REPOSITORY}, manifests={SEARCH_MANIFESTS})
with connection.cursor() as cursor:
    for sql in json.loads({json.dumps(json.dumps(SEED_SQL))}):
        cursor.execute(sql, params)
    cursor.execute("SELECT count(*) FROM registries_indexedtag")
    print(cursor.fetchone()[0])
"""
    started = time.perf_counter()
    out = subprocess.run(
        [PY, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout
    log(f"  {int(out.split()[-1]):,} tags seeded in {time.perf_counter() - started:.0f} s")
    import psycopg

    # VACUUM (outside a transaction) merges the GIN pending lists and gives the planner
    # statistics, as autovacuum would on a production database by the time anyone searches.
    with psycopg.connect(env["DATABASE_URL"], autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


SEARCH_PROBE = """
import django, json, sys, time
django.setup()
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from registries.inventory.search import search_index
queries, samples = json.loads(sys.argv[1]), int(sys.argv[2])
client = Client()
results = {}
for name, query in queries.items():
    page, service = [], []
    for _ in range(samples):
        started = time.perf_counter()
        reply = client.get("/search/", {"q": query}, HTTP_HOST="127.0.0.1")
        page.append(time.perf_counter() - started)
        assert reply.status_code == 200, reply.status_code
        started = time.perf_counter()
        found = search_index(user=AnonymousUser(), query=query)
        service.append(time.perf_counter() - started)
    with CaptureQueriesContext(connection) as captured:
        search_index(user=AnonymousUser(), query=query)
    plans = []
    with connection.cursor() as cursor:
        for q in captured.captured_queries:
            if "registries_indexed" in q["sql"]:
                cursor.execute("EXPLAIN " + q["sql"])
                plans.append("\\n".join(row[0] for row in cursor.fetchall()))
    hits = sum(len(g.hits) for g in (found.repositories, found.tags, found.digests, found.labels))
    results[name] = {"page": page, "service": service, "plans": plans, "hits": hits}
print(json.dumps(results))
"""

# What people type: a name fragment, a version, a common tag, a digest prefix, a label value.
SEARCH_QUERIES = {
    "repository name fragment": "svc-a3590023",
    "namespace (many hits)": "team-42/",
    "tag name fragment": "build-c3c752",
    "common tag (`latest`, 50,000 hits)": "latest",
    "version prefix (many hits)": "3.17.",
    "digest prefix (12 hex)": "sha256:f1c159258841",
    "label value": "97d84fba14b84fb843751040837c95b4",
}
SEARCH_INDEXES = (
    "inventory_repository_name_trgm",
    "inventory_tag_name_trgm",
    "inventory_manifest_labels_trgm",
    "inventory_manifest_digest_prefix",
)


def measure_search(env: dict[str, str]) -> dict:
    out = subprocess.run(
        [PY, "-c", SEARCH_PROBE, json.dumps(SEARCH_QUERIES), str(SEARCH_SAMPLES)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    results = json.loads(out.strip().splitlines()[-1])
    for name, found in results.items():
        log(f"  {name}: page p95 {ms(p95(found['page']))} ms, {found['hits']} hits")
    return results


# --- the report -----------------------------------------------------------------------------


def report(facts: dict) -> tuple[str, list[tuple[str, bool, str]]]:
    sync, pages, search = facts["sync"], facts["pages"], facts["search"]
    naive_seconds, naive_counts = sync["naive"]
    full_seconds, full_counts, full_out = sync["full"]
    resync_seconds, resync_counts, resync_out = sync["resync"]
    lines = [
        SECTION,
        "",
        f"Generated by bench/inventory.py (`make bench`) on {facts['when']}, on the data set "
        "above; regfront on PostgreSQL + Redis, request counts from the registry's access log. "
        f"Load average at the end: {facts['load']}.",
        "",
        "| sync | time | catalog | tags/list | manifest GET | manifest HEAD | blob GET |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]

    def row(name: str, seconds: float, counts: dict) -> str:
        cells = [counts.get(k, 0) for k in ("catalog", "tags/list", "manifest GET")]
        cells += [counts.get("manifest HEAD", 0), counts.get("blob GET", 0)]
        return f"| {name} | {seconds:.1f} s | " + " | ".join(f"{c:,}" for c in cells) + " |"

    lines += [
        row("naive sequential crawl", naive_seconds, naive_counts),
        row("regfront full sync (`sync_registry bench`)", full_seconds, full_counts),
        row("regfront resync, nothing changed", resync_seconds, resync_counts),
        "",
        f"`sync_registry` printed: {full_out} / {resync_out} (times include the command's "
        "start-up, about a second).",
        "",
    ]
    cold, raw = median(pages["tag_cold"]), median(pages["raw"])
    registry_requests = pages["tag_cold_counts"][-1]
    tag_warm = median(pages["tag_warm"])
    warm_version = median(pages["warm"]["by version"])
    warm_newest = median(pages["warm"]["newest first"])
    lines += [
        "| page | measured |",
        "|---|---:|",
        f"| tag page `{TAGS_5000}:{ALIAS_TAG}` cold cache, indexed (median of {COLD_SAMPLES}) "
        f"| {ms(cold)} ms |",
        f"| its registry requests (access log) | {dict(registry_requests)} |",
        f"| the same page warm (median of {WARM_SAMPLES}): what Django costs it without the "
        f"registry | {ms(tag_warm)} ms |",
        f"| cold minus warm: what asking the registry adds | {ms(cold - tag_warm)} ms "
        f"({(cold - tag_warm) / raw:.1f} x raw) |",
        f"| raw registry: that manifest + config, warm connection (median of 20) | {ms(raw)} ms |",
        f"| siblings listed | {pages['siblings_listed']} of {pages['siblings_expected']} |",
        f"| 5,000-tag repository page by version, warm | {ms(warm_version)} ms |",
        f"| 5,000-tag repository page newest first, warm | {ms(warm_newest)} ms |",
        "",
        f"Search: {SEARCH_TAGS_PER_REPOSITORY * SEARCH_REPOSITORIES:,} tags in "
        f"{SEARCH_REPOSITORIES:,} repositories and {2 * SEARCH_MANIFESTS:,} manifests over two "
        "registries (one group-limited), written straight into the index tables; "
        f"{SEARCH_SAMPLES} samples per query, anonymous, in one process (Django's test client "
        "for the page: server time without the network).",
        "",
        "| query | hits | page median | page p95 | service p95 | indexes in the plans |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for name, found in search.items():
        used = [i for i in SEARCH_INDEXES if any(i in plan for plan in found["plans"])]
        lines.append(
            f"| {name} `{SEARCH_QUERIES[name]}` | {found['hits']} | {ms(median(found['page']))} "
            f"ms | {ms(p95(found['page']))} ms | {ms(p95(found['service']))} ms | "
            f"{', '.join(used) or '—'} |"
        )
    all_page = [t for found in search.values() for t in found["page"]]
    plans = "\n".join(plan for found in search.values() for plan in found["plans"])
    checks = [
        (
            "full index ≤ 0.3 x the naive sequential crawl",
            full_seconds <= 0.3 * naive_seconds,
            f"{full_seconds / naive_seconds:.2f} x",
        ),
        (
            "a resync with nothing changed sends no manifest or config GET",
            resync_counts.get("manifest GET", 0) == 0 and resync_counts.get("blob GET", 0) == 0,
            f"{resync_counts.get('manifest GET', 0)} manifest, "
            f"{resync_counts.get('blob GET', 0)} blob GETs",
        ),
        (
            "tag page in the 5,000-tag repository, cold but indexed, ≤ 3 x raw manifest + config",
            cold <= 3 * raw,
            f"{cold / raw:.1f} x",
        ),
        (
            "its siblings listed in full",
            pages["siblings_listed"] == pages["siblings_expected"],
            f"{pages['siblings_listed']} of {pages['siblings_expected']}",
        ),
        (
            "newest-first 5,000-tag page warm ≤ 1.5 x by version",
            warm_newest <= 1.5 * warm_version,
            f"{warm_newest / warm_version:.2f} x",
        ),
        (
            "search p95 ≤ 50 ms over 1,000,000 tags (all queries, page)",
            p95(all_page) <= 0.050,
            f"{ms(p95(all_page))} ms",
        ),
        (
            "search plans use the indexes",
            all(i in plans for i in SEARCH_INDEXES),
            ", ".join(i for i in SEARCH_INDEXES if i not in plans) or "all four",
        ),
    ]
    lines += ["", "| target | measured | |", "|---|---:|---|"]
    lines += [f"| {name} | {measured} | {verdict(ok)} |" for name, ok, measured in checks]
    notes = ROOT / "bench" / "inventory_notes.md"
    if notes.exists():
        lines += ["", notes.read_text().rstrip()]
    return "\n".join(lines) + "\n", checks


def main() -> int:
    started = time.monotonic()
    shm = Path("/dev/shm")
    work = Path(tempfile.mkdtemp(prefix="regfront-inv-", dir=shm if shm.is_dir() else None))
    registry = server = None
    database = f"postgres://postgres@127.0.0.1:5432/{PG_DB}"
    try:
        log(f"seeding a registry in {work}")
        storage = work / "storage"
        seeded = seed(storage)
        registry = start_logged_registry(work / "registry", storage)
        access = AccessLog(registry.log_path)
        prepare_database(database)
        env = base_env(work, registry.url) | {
            "DATABASE_URL": database,
            "CACHE_URL": f"redis://{REDIS_HOST}:{REDIS_PORT}/{REDIS_DB}",
        }
        subprocess.run(
            [PY, "manage.py", "collectstatic", "--no-input", "-v0"], cwd=ROOT, env=env, check=True
        )
        subprocess.run(
            [PY, "-m", "regfront.prestart"], cwd=ROOT, env=env, check=True, capture_output=True
        )
        facts = {"sync": measure_sync(env, registry, access)}
        log("pages from the index under gunicorn")
        server = start_regfront("inventory", env, work / "gunicorn.log")
        facts["pages"] = measure_pages(server, work, registry, access)
        server.stop()
        server = None
        log("search over 1,000,000 seeded tags")
        prepare_database(database)
        subprocess.run(
            [PY, "-m", "regfront.prestart"], cwd=ROOT, env=env, check=True, capture_output=True
        )
        seed_search(env)
        facts["search"] = measure_search(env)
        facts["when"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        facts["load"] = " / ".join(f"{x:.1f}" for x in os.getloadavg()[:2]) + " (1 / 5 min)"
        text, checks = report(facts)
        replace_section(ROOT / "docs" / "benchmarks.md", SECTION, text)
        log(
            f"wrote docs/benchmarks.md in {time.monotonic() - started:.0f} s ({seeded.blobs} blobs)"
        )
        for name, ok, measured in checks:
            log(f"  {'met   ' if ok else 'MISSED'} {name}: {measured}")
        return 0
    finally:
        if server is not None:
            server.stop()
        if registry is not None:
            registry.stop()
        drop_database(database)
        if os.environ.get("BENCH_KEEP"):
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
