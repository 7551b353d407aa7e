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
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.seed import INDEX_REPO, TAGS_300, TAGS_5000, seed  # noqa: E402
from tests.support.registry_server import start_registry  # noqa: E402

PY = sys.executable
PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")
PG_DB = "regfront_bench"
REDIS_HOST, REDIS_PORT, REDIS_DB = "127.0.0.1", 6379, int(os.environ.get("BENCH_REDIS_DB", "14"))
COLD_SAMPLES = int(os.environ.get("BENCH_COLD_SAMPLES", "5"))
WARM_SAMPLES = int(os.environ.get("BENCH_WARM_SAMPLES", "40"))
LOAD_SECONDS = int(os.environ.get("BENCH_LOAD_SECONDS", "6"))
ACCEPT = ", ".join(
    [
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    ]
)


def log(message: str) -> None:
    print(f"bench: {message}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def median(values: list[float]) -> float:
    return statistics.median(values)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


# --- the naive baseline ---------------------------------------------------------------------


def naive_repository(base: str, repo: str) -> tuple[float, int]:
    """A simple frontend: tags/list, then manifest + config per tag, sequentially."""
    session = requests.Session()
    started = time.perf_counter()
    count = 0
    url: str | None = f"{base}/v2/{repo}/tags/list?n=1000"
    tags: list[str] = []
    while url:
        reply = session.get(url, timeout=30)
        reply.raise_for_status()
        count += 1
        tags += reply.json().get("tags") or []
        link = reply.headers.get("Link")
        url = urljoin(url, link.split(";")[0].strip("<> ")) if link else None
    for tag in tags:
        manifest = session.get(f"{base}/v2/{repo}/manifests/{tag}", headers={"Accept": ACCEPT})
        manifest.raise_for_status()
        config = manifest.json()["config"]["digest"]
        session.get(f"{base}/v2/{repo}/blobs/{config}", timeout=30).raise_for_status()
        count += 2
    session.close()
    return time.perf_counter() - started, count


def raw_catalog(base: str) -> tuple[float, int]:
    """The whole catalog paged at n=1000, as regfront asks for it."""
    session = requests.Session()
    started = time.perf_counter()
    url: str | None = f"{base}/v2/_catalog?n=1000"
    names = 0
    while url:
        reply = session.get(url, timeout=60)
        reply.raise_for_status()
        names += len(reply.json()["repositories"])
        link = reply.headers.get("Link")
        url = urljoin(url, link.split(";")[0].strip("<> ")) if link else None
    session.close()
    return time.perf_counter() - started, names


# --- regfront under gunicorn ----------------------------------------------------------------


@dataclass
class Server:
    label: str
    env: dict[str, str]
    port: int
    log_path: Path
    process: subprocess.Popen | None = None
    peak_rss: dict[int, int] = field(default_factory=dict)  # worker pid -> VmHWM kB
    _stop_watch: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                str(Path(PY).with_name("gunicorn")),
                "-c",
                "regfront/gunicorn.conf.py",
                "regfront.wsgi",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=self.log_path.open("wb"),
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {self.log_path}")
            try:
                if requests.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            time.sleep(0.2)
        else:
            raise RuntimeError(f"gunicorn did not start; see {self.log_path}")
        threading.Thread(target=self._watch_rss, daemon=True).start()

    def workers(self) -> list[int]:
        assert self.process is not None
        pid = self.process.pid
        try:
            text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
        except OSError:
            return []
        return [int(p) for p in text.split()]

    def _watch_rss(self) -> None:
        while not self._stop_watch.wait(0.5):
            for pid in self.workers():
                try:
                    status = Path(f"/proc/{pid}/status").read_text()
                except OSError:
                    continue
                found = re.search(r"VmHWM:\s+(\d+) kB", status)
                if found:
                    self.peak_rss[pid] = max(self.peak_rss.get(pid, 0), int(found.group(1)))

    def stop(self) -> None:
        self._stop_watch.set()
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def prepare_database(url: str) -> None:
    if url.startswith("postgres"):
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {PG_DB}")


def drop_database(url: str) -> None:
    if url.startswith("postgres"):
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")


def base_env(work: Path, registry_url: str) -> dict[str, str]:
    from cryptography.fernet import Fernet

    env = {k: v for k, v in os.environ.items() if not k.startswith(("REGFRONT_", "GUNICORN_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        SECRET_KEY="bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        REGFRONT_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        REGFRONT_STATIC_ROOT=str(work / "static"),
        REGFRONT_DATA_DIR=str(work / "data"),
        REGISTRY_NAME="bench",
        REGISTRY_URL=registry_url,
        BENCH_RESET_FILE=str(work / "reset"),
        # Steady state: no worker recycling in the middle of a measurement (production
        # recycles every 5,000 requests, which would also empty a local-memory cache).
        GUNICORN_MAX_REQUESTS="0",
    )
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    return env


def reset_cache(server: Server, work: Path) -> None:
    """Empty the cache: flush our Redis database, or have each worker clear its own."""
    if server.env["CACHE_URL"].startswith("redis"):
        import redis

        redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=REDIS_DB).flushdb()
    (work / "reset").write_text(str(time.time_ns()))
    time.sleep(0.01)  # mtime granularity


def timed_get(session: requests.Session, url: str) -> float:
    started = time.perf_counter()
    reply = session.get(url, timeout=120)
    elapsed = time.perf_counter() - started
    if reply.status_code != 200:
        raise RuntimeError(f"{url} answered {reply.status_code}: {reply.text[:300]}")
    return elapsed


def warm_both_workers(url: str) -> None:
    """Several fresh connections, so that each gunicorn worker has served the page once
    (matters for local memory, where every worker has its own cache)."""
    for _ in range(12):
        with requests.Session() as session:
            session.get(url, timeout=120).raise_for_status()


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


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def verdict(ok: bool) -> str:
    return "**met**" if ok else "**missed**"


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
    servers: list[Server] = []
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
            env["REGFRONT_BIND"] = f"127.0.0.1:{free_port()}"
            subprocess.run(
                [PY, "-m", "regfront.prestart"],
                cwd=ROOT,
                env=env,
                check=True,
                stdout=subprocess.DEVNULL,
            )
            server = Server(
                label,
                env,
                int(env["REGFRONT_BIND"].rsplit(":", 1)[1]),
                work / f"gunicorn-{len(servers)}.log",
            )
            servers.append(server)
            server.start()
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
        for server in servers:
            server.stop()
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
