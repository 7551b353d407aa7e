"""`make bench`: regfront against the naive baseline and a floor, on a real registry.

1. Fills a real docker-registry (Debian's distribution 2.8) with 10,000 repositories, a 300-tag
   and a 5,000-tag repository and a three-platform index, by writing its storage (seed.py).
2. Measures the naive baseline: a plain keep-alive client fetching the tag list, then each
   tag's manifest and config one after the other, and the raw catalog paged at n=1000.
3. Runs regfront under gunicorn (regfront/gunicorn.conf.py) with production settings, on
   PostgreSQL + Redis and on SQLite + local memory, and measures each page cold (empty cache)
   and warm, throughput at 8 and 32 clients against a floor view, and peak RSS per worker.
4. Writes docs/benchmarks.md.

Everything is measured in this one run on this machine: compare the ratios, not the numbers.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import (  # noqa: E402
    COLD_SAMPLES,
    PG_DB,
    PY,
    REDIS_DB,
    REDIS_HOST,
    REDIS_PORT,
    WARM_SAMPLES,
    Server,
    base_env,
    drop_database,
    log,
    median,
    ms,
    p95,
    prepare_database,
    reset_cache,
    start_regfront,
    timed_get,
    verdict,
    warm_both_workers,
)
from bench.naive import naive_repository, raw_catalog  # noqa: E402
from bench.seed import INDEX_REPO, TAGS_300, TAGS_5000, seed  # noqa: E402
from tests.support.registry_server import start_registry  # noqa: E402

LOAD_SECONDS = int(os.environ.get("BENCH_LOAD_SECONDS", "6"))


PAGES = [
    ("home", "/"),
    ("catalog page 1", "/registry/bench/"),
    ("300-tag repository", f"/registry/bench/{TAGS_300}/"),
    ("5,000-tag repository", f"/registry/bench/{TAGS_5000}/"),
    ("tag page", f"/registry/bench/{TAGS_300}:1.0.7"),
    ("index page", f"/registry/bench/{INDEX_REPO}:v1"),
]


def measure_pages(server: Server, work: Path) -> dict[str, dict[str, float]]:
    results: dict[str, dict[str, float]] = {}
    for name, path in PAGES:
        url = server.url + path
        cold = []
        for _ in range(COLD_SAMPLES):
            reset_cache(server, work)
            with requests.Session() as session:
                session.get(f"{server.url}/bench/floor").raise_for_status()  # connect first
                cold.append(timed_get(session, url))
        warm_both_workers(url)
        warm = []
        with requests.Session() as session:
            for _ in range(WARM_SAMPLES):
                warm.append(timed_get(session, url))
        results[name] = {
            "cold_median": median(cold),
            "cold_p95": p95(cold),
            "warm_median": median(warm),
            "warm_p95": p95(warm),
        }
        log(
            f"  {server.label}: {name}: cold {median(cold) * 1000:.1f} ms, "
            f"warm {median(warm) * 1000:.1f} ms (p95 {p95(warm) * 1000:.1f})"
        )
    return results


@dataclass
class Load:
    rps: float
    requests: int
    errors: int
    p50_ms: float | None = None
    p99_ms: float | None = None


def load_wrk(url: str, clients: int, seconds: int) -> Load:
    threads = min(clients, 2)
    out = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{clients}",
            f"-d{seconds}s",
            "--latency",
            "--timeout",
            "10s",
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    errors = 0
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non_2xx:
        errors += int(non_2xx.group(1))

    def latency(pct: str) -> float | None:
        found = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", out, re.MULTILINE)
        if not found:
            return None
        scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[found.group(2)]
        return float(found.group(1)) * scale

    return Load(rps, total, errors, latency("50"), latency("99"))


def load_python(url: str, clients: int, seconds: int) -> Load:
    """Fallback without wrk: `clients` threads with keep-alive sessions, as fast as they can."""
    stop = time.monotonic() + seconds
    counts = [0] * clients
    errors = [0] * clients

    def client(index: int) -> None:
        with requests.Session() as session:
            while time.monotonic() < stop:
                try:
                    ok = session.get(url, timeout=10).status_code == 200
                except requests.RequestException:
                    ok = False
                counts[index] += ok
                errors[index] += not ok

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    return Load(sum(counts) / elapsed, sum(counts) + sum(errors), sum(errors))


def ensure_wrk() -> bool:
    if shutil.which("wrk"):
        return True
    if os.geteuid() == 0 and shutil.which("apt-get"):
        log("installing Debian's wrk (load generator)")
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "wrk"],
            env=os.environ | {"DEBIAN_FRONTEND": "noninteractive"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
    return shutil.which("wrk") is not None


def measure_load(server: Server, use_wrk: bool) -> dict[str, dict[int, Load]]:
    generate = load_wrk if use_wrk else load_python
    targets = {"floor": "/bench/floor", "tag page": PAGES[4][1]}
    warm_both_workers(server.url + targets["tag page"])
    results: dict[str, dict[int, Load]] = {}
    for clients in (8, 32):
        for name, path in targets.items():
            found = generate(server.url + path, clients, LOAD_SECONDS)
            results.setdefault(name, {})[clients] = found
            log(
                f"  {server.label}: {name} at {clients} clients: {found.rps:.0f} req/s, "
                f"{found.errors} errors"
            )
    return results


# --- the report -----------------------------------------------------------------------------


def write_report(path: Path, facts: dict) -> list[tuple[str, bool, str]]:
    lines: list[str] = []
    add = lines.append
    add("# Benchmarks")
    add("")
    add(
        f"Generated by `make bench` (bench/run.py) on {facts['when']}; one run, one machine. "
        "Compare ratios within this run, not absolute numbers across machines: the machine "
        "is shared and its load changes."
    )
    add("")
    add("## Machine and setup")
    add("")
    for item in facts["machine"]:
        add(f"- {item}")
    add("")
    add("## Naive baseline (same registry, plain keep-alive client, sequential)")
    add("")
    add("| what | requests | time |")
    add("|---|---:|---:|")
    for name, (seconds, count) in facts["naive"].items():
        add(f"| {name} | {count} | {ms(seconds)} ms |")
    add("")
    checks: list[tuple[str, bool, str]] = []
    for label, run in facts["runs"].items():
        pages, load, rss = run["pages"], run["load"], run["rss"]
        add(f"## regfront on {label}")
        add("")
        add(
            "Latency seen by a keep-alive client on loopback (≈ server time + ~0.3 ms); cold = "
            f"cache emptied before each of {COLD_SAMPLES} samples, warm = {WARM_SAMPLES} "
            "samples after both workers served the page once."
        )
        add("")
        add("| page | cold median | cold p95 | warm median | warm p95 | cold / naive |")
        add("|---|---:|---:|---:|---:|---:|")
        naive_for = {
            "300-tag repository": facts["naive"]["300-tag repository (301 … 601 requests)"][0],
            "5,000-tag repository": facts["naive"]["5,000-tag repository"][0],
            "catalog page 1": facts["naive"]["raw catalog, all pages at n=1000"][0],
        }
        for name, values in pages.items():
            ratio = f"{values['cold_median'] / naive_for[name]:.3f}" if name in naive_for else "—"
            add(
                f"| {name} | {ms(values['cold_median'])} ms | {ms(values['cold_p95'])} ms | "
                f"{ms(values['warm_median'])} ms | {ms(values['warm_p95'])} ms | {ratio} |"
            )
        add("")
        add(
            "Throughput (warm), "
            f"{'wrk' if facts['wrk'] else 'Python threads'}, {LOAD_SECONDS} s per cell:"
        )
        add("")
        add(
            "| clients | floor req/s | tag page req/s | tag page / floor | errors (floor, tag) "
            "| tag page p50 / p99 |"
        )
        add("|---:|---:|---:|---:|---:|---:|")
        for clients in (8, 32):
            floor, tag = load["floor"][clients], load["tag page"][clients]
            latency = f"{tag.p50_ms:.1f} / {tag.p99_ms:.1f} ms" if tag.p50_ms is not None else "—"
            add(
                f"| {clients} | {floor.rps:.0f} | {tag.rps:.0f} | {tag.rps / floor.rps:.2f} | "
                f"{floor.errors}, {tag.errors} | {latency} |"
            )
        add("")
        peak = max(rss.values()) / 1024 if rss else float("nan")
        add(
            f"Peak RSS per worker (VmHWM): {', '.join(f'{v / 1024:.0f} MB' for v in rss.values())}"
            f" — max {peak:.0f} MB."
        )
        add("")
        p300, p5000 = pages["300-tag repository"], pages["5,000-tag repository"]
        cat = pages["catalog page 1"]
        checks += [
            (
                f"{label}: cold 300-tag page ≤ 0.25 x naive",
                p300["cold_median"] <= 0.25 * naive_for["300-tag repository"],
                f"{p300['cold_median'] / naive_for['300-tag repository']:.3f} x",
            ),
            (
                f"{label}: warm 300-tag page median ≤ 20 ms",
                p300["warm_median"] <= 0.020,
                f"{ms(p300['warm_median'])} ms",
            ),
            (
                f"{label}: warm 5,000-tag page median ≤ 20 ms",
                p5000["warm_median"] <= 0.020,
                f"{ms(p5000['warm_median'])} ms",
            ),
            (
                f"{label}: warm 5,000-tag ≤ 1.5 x warm 300-tag",
                p5000["warm_median"] <= 1.5 * p300["warm_median"],
                f"{p5000['warm_median'] / p300['warm_median']:.2f} x",
            ),
            (
                f"{label}: warm tag page throughput ≥ 0.5 x floor at 8 clients",
                load["tag page"][8].rps >= 0.5 * load["floor"][8].rps,
                f"{load['tag page'][8].rps / load['floor'][8].rps:.2f} x",
            ),
            (
                f"{label}: zero errors at 32 clients",
                load["tag page"][32].errors == 0 and load["floor"][32].errors == 0,
                f"{load['tag page'][32].errors + load['floor'][32].errors} errors",
            ),
            (
                f"{label}: cold catalog page 1 ≤ 1.2 x raw catalog paging",
                cat["cold_median"] <= 1.2 * naive_for["catalog page 1"],
                f"{cat['cold_median'] / naive_for['catalog page 1']:.2f} x",
            ),
            (
                f"{label}: warm catalog page 1 ≤ 30 ms",
                cat["warm_median"] <= 0.030,
                f"{ms(cat['warm_median'])} ms",
            ),
            (f"{label}: peak RSS per worker ≤ 150 MB", peak <= 150, f"{peak:.0f} MB"),
        ]
    add("## Targets (issue 6)")
    add("")
    add("| target | measured | |")
    add("|---|---:|---|")
    for name, ok, measured in checks:
        add(f"| {name} | {measured} | {verdict(ok)} |")
    add("")
    notes = ROOT / "bench" / "notes.md"
    if notes.exists():
        add(notes.read_text().rstrip())
        add("")
    path.write_text("\n".join(lines))
    return checks


# --- main -----------------------------------------------------------------------------------


def main() -> int:
    started = time.monotonic()
    shm = Path("/dev/shm")
    work = Path(tempfile.mkdtemp(prefix="regfront-bench-", dir=shm if shm.is_dir() else None))
    registry = None
    try:
        log(f"seeding a registry in {work} (10,000 repositories, 300 + 5,000 tags, an index)")
        seeded = seed(work / "registry" / "storage")
        log(f"  {seeded.blobs} blobs, {seeded.links} links in {time.monotonic() - started:.0f} s")
        registry = start_registry(work / "registry")
        _, names = raw_catalog(registry.url)
        if names != seeded.repositories:
            raise RuntimeError(
                f"the registry lists {names} repositories, seeded {seeded.repositories}"
            )
        log(f"  the registry serves {names} repositories")

        log("naive baseline")
        naive: dict[str, tuple[float, int]] = {}
        catalog_runs = [raw_catalog(registry.url)[0] for _ in range(5)]
        runs_300 = [naive_repository(registry.url, TAGS_300) for _ in range(3)]
        naive["300-tag repository (301 … 601 requests)"] = (
            median([s for s, _ in runs_300]),
            runs_300[0][1],
        )
        naive["5,000-tag repository"] = naive_repository(registry.url, TAGS_5000)
        naive["raw catalog, all pages at n=1000"] = (median(catalog_runs), 11)
        for name, (seconds, count) in naive.items():
            log(f"  {name}: {count} requests, {ms(seconds)} ms")

        log("collectstatic")
        env0 = base_env(work, registry.url)
        env0["DATABASE_URL"] = f"sqlite:///{work / 'collectstatic.sqlite3'}"
        subprocess.run(
            [PY, "manage.py", "collectstatic", "--no-input", "-v0"], cwd=ROOT, env=env0, check=True
        )
        use_wrk = ensure_wrk()
        configs = {
            "PostgreSQL + Redis": (
                f"postgres://postgres@127.0.0.1:5432/{PG_DB}",
                f"redis://{REDIS_HOST}:{REDIS_PORT}/{REDIS_DB}",
            ),
            "SQLite + local memory": (f"sqlite:///{work / 'bench.sqlite3'}", "locmemcache://bench"),
        }
        runs = {}
        for label, (database, cache) in configs.items():
            log(f"regfront on {label}")
            prepare_database(database)
            env = base_env(work, registry.url) | {"DATABASE_URL": database, "CACHE_URL": cache}
            server = start_regfront(label, env, work / f"gunicorn-{len(runs)}.log")
            try:
                pages = measure_pages(server, work)
                load = measure_load(server, use_wrk)
                time.sleep(0.6)  # one more RSS sample
                runs[label] = {"pages": pages, "load": load, "rss": dict(server.peak_rss)}
            finally:
                server.stop()
                drop_database(database)
        facts = {
            "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "machine": machine_facts(registry, seeded),
            "naive": naive,
            "runs": runs,
            "wrk": use_wrk,
        }
        report = ROOT / "docs" / "benchmarks.md"
        report.parent.mkdir(exist_ok=True)
        checks = write_report(report, facts)
        (work / "facts.json").write_text(json.dumps(facts, default=lambda o: o.__dict__))
        log(f"wrote {report.relative_to(ROOT)} in {time.monotonic() - started:.0f} s")
        for name, ok, measured in checks:
            log(f"  {'met   ' if ok else 'MISSED'} {name}: {measured}")
        return 0
    finally:
        if registry is not None:
            registry.stop()
        if os.environ.get("BENCH_KEEP"):
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def machine_facts(registry, seeded) -> list[str]:
    version = subprocess.run(
        ["/usr/bin/docker-registry", "--version"], capture_output=True, text=True
    ).stdout.strip()
    load1, load5, _ = os.getloadavg()
    return [
        f"{os.cpu_count()} CPUs, {platform.machine()}, Linux {platform.release()}; "
        f"load average at the end {load1:.1f} / {load5:.1f} (1 / 5 min; the machine is shared)",
        f"Python {platform.python_version()}; registry: {version or 'docker-registry'} "
        "(filesystem storage in tmpfs)",
        f"dataset: {seeded.repositories:,} repositories (4,000 at the root, 60 namespaces x 100, "
        f"plus the three below), `{TAGS_300}` (300 tags), `{TAGS_5000}` (5,000 tags), each tag "
        f"its own image; `{INDEX_REPO}:v1`, a three-platform OCI index; "
        f"{seeded.blobs:,} blobs written straight into the registry's storage layout",
        "gunicorn: regfront/gunicorn.conf.py defaults (gthread, 2 workers x 8 threads, "
        "keep-alive 5 s) with worker recycling off during the run; production settings "
        "(DEBUG off, whitenoise manifest storage, request log at INFO) plus a floor view "
        "(bench/settings.py, bench/urls.py)",
        "REGFRONT_CACHE_TTL=30, REGFRONT_MAX_CONCURRENCY=8 (defaults); tag pages show 50 tags",
    ]


if __name__ == "__main__":
    sys.exit(main())
