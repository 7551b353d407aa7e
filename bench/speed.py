"""Speed II (issue 15), part of `make bench`: latency tails, TTL expiry, scaling, and what
each piece of Django's per-request work costs a warm page under gunicorn.

1. Seeds two real docker-registries: `bench` with 10,000 repositories plus `speed/tags-100`,
   `speed/tags-1000` and `speed/tags-5000` (each tag its own image), and `small` with 1,000
   repositories laid out like the big one.
2. Runs regfront under gunicorn (production settings, PostgreSQL + Redis) and measures, warm,
   req/s, p50, p99 (wrk) and the workers' CPU per request at 8 and 32 clients for the floor
   view, the tag page, the 100-tag repository page (50 rows) and catalog page 1, the pages
   taking turns in short rounds; then the warm server time of the same pages at 1,000 vs
   5,000 tags and 1,000 vs 10,000 repositories (samples alternating, so the machine's load
   hits both sides alike).
3. Profiles the warm tag page with py-spy on both workers under wrk (all threads, and --gil).
4. Starts one gunicorn per BENCH_OFF (bench/settings.py) value — metrics, logging, sessions,
   csrf, templates, each alone and all together — and measures the tag page on all of them
   in turns at 8 clients.
5. Runs the pages with REGFRONT_CACHE_TTL=2 (and `manage.py db_worker` for the refreshes) so
   that entries expire during the load.
6. Writes the "Speed II (issue 15)" section of docs/benchmarks.md.
"""

from __future__ import annotations

import collections
import os
import pickle
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import (  # noqa: E402
    PG_DB,
    PY,
    REDIS_DB,
    REDIS_HOST,
    REDIS_PORT,
    Server,
    base_env,
    drop_database,
    log,
    prepare_database,
    replace_section,
    start_regfront,
    verdict,
    warm_both_workers,
)
from bench.run import Load, ensure_wrk, load_python, load_wrk  # noqa: E402
from bench.seed import Store, catalog_names, created_at, make_image, put_image, version_tag  # noqa: E402
from tests.support.registry_server import start_registry  # noqa: E402

LOAD_SECONDS = int(os.environ.get("BENCH_LOAD_SECONDS", "3"))  # one round of one cell
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
WARM_TTL = 3600  # warm runs: nothing expires while they are measured
TTL_SECONDS = 2  # REGFRONT_CACHE_TTL of the expiry run: many expiries in each run
TTL_LOAD_SECONDS = int(os.environ.get("BENCH_TTL_SECONDS", "12"))
SCALE_SAMPLES = int(os.environ.get("BENCH_SCALE_SAMPLES", "40"))
PROFILE_SECONDS = int(os.environ.get("BENCH_PROFILE_SECONDS", "8"))
TAG = "1.0.7"
TAG_COUNTS = (100, 1_000, 5_000)
VARIANTS = ["", "metrics", "logging", "sessions", "csrf", "templates", "all"]
ALL_OFF = "metrics,logging,sessions,csrf,templates"


def repo(count: int) -> str:
    return f"speed/tags-{count}"


PAGES = {
    "floor": "/bench/floor",
    "tag page": f"/registry/bench/{repo(100)}:{TAG}",
    "100-tag repository": f"/registry/bench/{repo(100)}/",
    "catalog page 1": "/registry/bench/",
}
# Warm server time that must not grow with the data: (check, smaller page, larger page).
SCALING = [
    (
        "tag page, 1,000 vs 5,000 tags",
        f"/registry/bench/{repo(1_000)}:{TAG}",
        f"/registry/bench/{repo(5_000)}:{TAG}",
    ),
    (
        "repository page, 1,000 vs 5,000 tags",
        f"/registry/bench/{repo(1_000)}/",
        f"/registry/bench/{repo(5_000)}/",
    ),
    ("catalog page 1, 1,000 vs 10,000 repositories", "/registry/small/", "/registry/bench/"),
]


# --- data -----------------------------------------------------------------------------------


def seed_registries(work: Path) -> None:
    layer_data = b"\x1f\x8b" + b"speed-layer" * 64  # never unpacked
    big = Store(work / "bench" / "storage")
    small = Store(work / "small" / "storage")
    names = catalog_names()  # 4,000 at the root, 60 namespaces x 100
    small_names = [n for n in names if n.startswith("svc-")][:400]
    small_names += [n for n in names if n.startswith("team-")][:600]
    for store, repositories in ((big, names), (small, small_names)):
        layer = (layer_data, store.blob(layer_data))
        shared = make_image(store, seed="catalog", created="2024-01-01T00:00:00Z", layer=layer)
        for name in repositories:
            put_image(store, name, "latest", shared)
    layer = (layer_data, big.blob(layer_data))
    for count in TAG_COUNTS:
        for i in range(count):
            tag = version_tag(i)
            image = make_image(big, seed=f"{repo(count)}:{tag}", created=created_at(i), layer=layer)
            put_image(big, repo(count), tag, image)


# --- measurements ---------------------------------------------------------------------------


def warm(server: Server) -> None:
    for path in [*PAGES.values(), *(p for _, a, b in SCALING for p in (a, b))]:
        warm_both_workers(server.url + path)


@dataclass
class Cell:
    """One page at one client count, summed over interleaved rounds."""

    rps: float
    requests: int
    errors: int
    p50_ms: float | None  # median of the rounds' p50
    p99_ms: float | None  # highest of the rounds' p99
    cpu_ms: float | None  # CPU time of the gunicorn workers per request (load-independent)


def worker_cpu(server: Server) -> float:
    """CPU seconds the server's workers have used so far (/proc/<pid>/stat utime + stime)."""
    total = 0.0
    for pid in server.workers():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def interleaved(
    targets: dict[str, tuple[Server, str]], generate, *, clients: int, rounds: int, seconds: int
) -> dict[str, Cell]:
    """Round-robin short runs over every target, so that the shared machine's changing load
    falls on all of them alike; the ratios between targets are what counts."""
    runs: dict[str, list[tuple[Load, float, float]]] = {name: [] for name in targets}
    for _ in range(rounds):
        for name, (server, path) in targets.items():
            cpu = worker_cpu(server)
            started = time.monotonic()
            found = generate(server.url + path, clients, seconds)
            runs[name].append((found, time.monotonic() - started, worker_cpu(server) - cpu))
    cells = {}
    for name, done in runs.items():
        count = sum(load.requests for load, _, _ in done)
        p50s = [load.p50_ms for load, _, _ in done if load.p50_ms is not None]
        p99s = [load.p99_ms for load, _, _ in done if load.p99_ms is not None]
        cells[name] = Cell(
            rps=sum(load.rps * seconds for load, _, _ in done) / (seconds * len(done)),
            requests=count,
            errors=sum(load.errors for load, _, _ in done),
            p50_ms=statistics.median(p50s) if p50s else None,
            p99_ms=max(p99s) if p99s else None,
            cpu_ms=sum(cpu for _, _, cpu in done) * 1000 / count if count else None,
        )
        log(f"  {name} at {clients} clients: {describe(cells[name])}")
    return cells


def describe(cell: Cell | Load) -> str:
    latency = (
        f", p50 {cell.p50_ms:.1f} ms, p99 {cell.p99_ms:.1f} ms" if cell.p50_ms is not None else ""
    )
    cpu = f", {cell.cpu_ms:.1f} ms CPU/request" if getattr(cell, "cpu_ms", None) else ""
    return f"{cell.rps:.0f} req/s{latency}{cpu}, {cell.errors} errors"


def measure_scaling(server: Server) -> dict[str, tuple[float, float]]:
    """Median latency of each side, sampled alternately on one keep-alive connection."""
    results = {}
    with requests.Session() as session:
        for name, small, large in SCALING:
            times: dict[str, list[float]] = {small: [], large: []}
            for _ in range(SCALE_SAMPLES):
                for path in (small, large):
                    started = time.perf_counter()
                    reply = session.get(server.url + path, timeout=60)
                    times[path].append(time.perf_counter() - started)
                    reply.raise_for_status()
            results[name] = (statistics.median(times[small]), statistics.median(times[large]))
            a, b = results[name]
            log(f"  {name}: {a * 1000:.1f} vs {b * 1000:.1f} ms ({b / a:.2f} x)")
    return results


@dataclass
class Profile:
    parts: list[tuple[str, float]]  # share of the samples per part of the request
    leaves: list[tuple[str, float]]  # the functions most often on top of the stack
    samples: int


def profile_tag_page(server: Server, work: Path, *, gil: bool) -> Profile | None:
    """py-spy on both workers while wrk loads the tag page. Without `gil`: every thread
    serving a request (time, waits on Redis and PostgreSQL included); with it: only the
    thread holding the GIL, i.e. where the Python CPU goes."""
    spy = Path(PY).with_name("py-spy")
    if not spy.exists() or not shutil.which("wrk"):
        return None
    raws = [work / f"tag-page-{pid}-{'gil' if gil else 'wall'}.txt" for pid in server.workers()]
    recorders = [
        subprocess.Popen(
            [
                str(spy),
                "record",
                *(["--gil"] if gil else []),
                "--pid",
                raw.stem.split("-")[2],
                "--duration",
                str(PROFILE_SECONDS),
                "--rate",
                "250",
                "--format",
                "raw",
                "--output",
                str(raw),
                "--nonblocking",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for raw in raws
    ]
    time.sleep(0.5)
    load_wrk(server.url + PAGES["tag page"], 8, PROFILE_SECONDS)
    for recorder in recorders:
        recorder.wait(timeout=PROFILE_SECONDS + 30)
    text = "\n".join(raw.read_text() for raw in raws if raw.exists())
    return summarise_profile(text) if text else None


# The parts of a request, in the order a stack is matched against them (the first match wins,
# so a cache read inside template rendering counts as a cache read).
PARTS = [
    ("Redis / cache reads", ("django_redis", "redis/", "django/core/cache", "pickle")),
    ("database", ("django/db/", "psycopg")),
    ("Prometheus metrics", ("prometheus_client",)),
    ("request log", ("logging/__init__", "regfront/logformat")),
    ("template rendering", ("django/template/",)),
    ("sessions, auth, messages", ("contrib/sessions", "contrib/auth", "contrib/messages")),
    ("CSRF", ("middleware/csrf",)),
    ("view and services (regfront code)", ("registries/",)),
    ("URL resolving", ("django/urls/",)),
    ("gunicorn + WSGI + HTTP", ("gunicorn/", "django/core/handlers", "django/http/")),
]


def summarise_profile(text: str) -> Profile:
    """Collapsed stacks ("frame;frame;... count") -> shares of the samples serving a
    request (the poller and idle pool threads are left out)."""
    counts: collections.Counter[str] = collections.Counter()
    leaves: collections.Counter[str] = collections.Counter()
    total = 0
    for line in text.splitlines():
        stack, _, number = line.rpartition(" ")
        if not stack or not number.isdigit() or "handle_request" not in stack:
            continue
        n = int(number)
        total += n
        leaf = stack.rsplit(";", 1)[-1]
        name, _, where = leaf.partition(" (")
        leaves[f"{name} ({where.split('site-packages/')[-1].split(':')[0]})"] += n
        for part, needles in PARTS:
            if any(needle in stack for needle in needles):
                counts[part] += n
                break
        else:
            counts["other"] += n
    if not total:
        return Profile([], [], 0)
    parts = [(part, counts[part] / total) for part, _ in [*PARTS, ("other", ())] if counts[part]]
    top = [(leaf, n / total) for leaf, n in leaves.most_common(8)]
    return Profile(parts, top, total)


def start(label: str, env: dict[str, str], work: Path, small_url: str) -> Server:
    # The second registry row, then gunicorn (start_regfront seeds REGISTRY_NAME=bench).
    subprocess.run(
        [PY, "-m", "regfront.prestart"],
        cwd=ROOT,
        env=env | {"REGISTRY_NAME": "small", "REGISTRY_URL": small_url},
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return start_regfront(label, env, work / f"gunicorn-{label}.log")


def task_counts(database: str) -> dict[str, int]:
    """The task worker's results by state (the refreshes queued during the TTL run)."""
    import psycopg

    try:
        with psycopg.connect(database) as conn:
            rows = conn.execute(
                "SELECT status, count(*) FROM django_tasks_database_dbtaskresult GROUP BY status"
            ).fetchall()
    except psycopg.Error as exc:  # the report says so rather than failing the whole bench
        log(f"  could not count the tasks: {exc}")
        return {}
    return dict(rows)


def clear_tasks(database: str) -> None:
    """Drop what the runs without a worker queued (the catalog page queues the index's first
    sync of each registry): the TTL run's worker would spend it syncing 10,000 repositories
    rather than refreshing what the pages served stale."""
    import psycopg

    with psycopg.connect(database) as conn:
        conn.execute("DELETE FROM django_tasks_database_dbtaskresult")


def flush_redis() -> None:
    import redis

    redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=REDIS_DB).flushdb()


# --- report ---------------------------------------------------------------------------------


def write_section(facts: dict) -> list[tuple[str, bool, str]]:
    load, ttl, scaling, variants = facts["load"], facts["ttl"], facts["scaling"], facts["variants"]
    lines: list[str] = []
    add = lines.append
    add("## Speed II (issue 15)")
    add("")
    add(
        f"Generated by `bench/speed.py` (`make bench`) on {facts['when']}, one run: regfront "
        "under gunicorn (regfront/gunicorn.conf.py: 2 workers x 8 threads) with production "
        "settings on PostgreSQL + Redis, Debian's docker-registry holding `bench` (10,000 "
        "repositories and `speed/tags-100`, `-1000`, `-5000`, each tag its own image) and "
        f"`small` (1,000 repositories). {facts['generator']}; warm means "
        f"REGFRONT_CACHE_TTL={WARM_TTL}, every page served before. Each cell is {ROUNDS} "
        f"rounds of {LOAD_SECONDS} s, the pages taking turns, so that the shared machine's "
        "changing load falls on all of them alike: req/s over the rounds, p50 the rounds' "
        "median, p99 the worst round's. *CPU/request* is the gunicorn workers' CPU time "
        "(utime + stime) over the requests served: it hardly moves with the machine's load, "
        "and excludes Redis, PostgreSQL and wrk. Load average at the end: "
        f"{facts['loadavg']} (1 / 5 min) on {os.cpu_count()} cores shared with other "
        "people's test runs."
    )
    add("")
    add("| page | clients | req/s | x floor | p50 | p99 | p99 / p50 | CPU/request | errors |")
    add("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for clients in (8, 32):
        floor = load[clients]["floor"]
        for name in PAGES:
            cell = load[clients][name]
            add(
                f"| {name} | {clients} | {cell.rps:.0f} | {cell.rps / floor.rps:.2f} | "
                f"{fmt_ms(cell.p50_ms)} | {fmt_ms(cell.p99_ms)} | {tail(cell)} | "
                f"{fmt_ms(cell.cpu_ms)} | {cell.errors} |"
            )
    add("")
    add(
        f"Across TTL expiry: REGFRONT_CACHE_TTL={TTL_SECONDS}, the cache and the task queue "
        "emptied first, "
        f"8 clients for {TTL_LOAD_SECONDS} s a page in one run, so every entry of the page "
        f"expires about {TTL_LOAD_SECONDS // TTL_SECONDS} times while it is measured; "
        "`manage.py db_worker` runs beside gunicorn and refreshes what a page found stale "
        f"(background tasks at the end, by state: {facts.get('refreshes') or 'none'})."
    )
    add("")
    add("| page | req/s | p50 | p99 | p99 / p50 | errors |")
    add("|---|---:|---:|---:|---:|---:|")
    for name, cell in ttl.items():
        add(
            f"| {name} | {cell.rps:.0f} | {fmt_ms(cell.p50_ms)} | {fmt_ms(cell.p99_ms)} | "
            f"{tail(cell)} | {cell.errors} |"
        )
    add("")
    add(
        f"Scaling: warm latency on one keep-alive connection, median of {SCALE_SAMPLES} "
        "samples a side, the two sides alternating."
    )
    add("")
    add("| page | smaller | larger | larger / smaller |")
    add("|---|---:|---:|---:|")
    for name, (a, b) in scaling.items():
        add(f"| {name} | {a * 1000:.1f} ms | {b * 1000:.1f} ms | {b / a:.2f} |")
    add("")
    base = variants[""]
    add(
        "What each part costs the warm tag page: one gunicorn per line, all up at once, "
        "each with one part turned off (bench/settings.py's BENCH_OFF), measured in "
        "interleaved rounds at 8 clients. *templates* renders an empty template instead of "
        "the page's (the view still builds its context, so the digest fragment's cache read "
        "goes too); *sessions* also drops auth and messages (every request anonymous)."
    )
    add("")
    add("| turned off | req/s | vs all on | p50 | p99 | CPU/request | CPU saved |")
    add("|---|---:|---:|---:|---:|---:|---:|")
    for name, cell in variants.items():
        label = {"": "nothing (as deployed)", "all": "all five"}.get(name, name)
        saved = (
            f"{(base.cpu_ms - cell.cpu_ms) / base.cpu_ms * 100:.0f} %"
            if name and cell.cpu_ms and base.cpu_ms
            else "—"
        )
        add(
            f"| {label} | {cell.rps:.0f} | {cell.rps / base.rps:.2f} x | {fmt_ms(cell.p50_ms)} "
            f"| {fmt_ms(cell.p99_ms)} | {fmt_ms(cell.cpu_ms)} | {saved} |"
        )
    add("")
    wall, gil = facts["profiles"].get("wall"), facts["profiles"].get("gil")
    if wall and gil and wall.samples and gil.samples:
        add(
            f"py-spy on both workers, {PROFILE_SECONDS} s each of the warm tag page at 8 "
            "clients. *time*: every thread serving a request, waits on Redis and PostgreSQL "
            "included; *CPU*: the thread holding the GIL only (`--gil`). A sample counts for "
            "the first part its stack touches, in the table's order (a cache read inside the "
            f"template counts as a cache read). {wall.samples} and {gil.samples} samples."
        )
        add("")
        add("| part | time | CPU |")
        add("|---|---:|---:|")
        wall_parts, gil_parts = dict(wall.parts), dict(gil.parts)
        for part, _ in [*PARTS, ("other", ())]:
            if part in wall_parts or part in gil_parts:
                add(
                    f"| {part} | {wall_parts.get(part, 0) * 100:.0f} % | "
                    f"{gil_parts.get(part, 0) * 100:.0f} % |"
                )
        add("")
        add("On top of the stack most often (time / CPU):")
        add("")
        for mode, found in (("time", wall), ("CPU", gil)):
            tops = ", ".join(f"`{leaf}` {share * 100:.0f} %" for leaf, share in found.leaves[:5])
            add(f"- {mode}: {tops}")
        add("")
    cell8 = load[8]
    checks = [
        *(
            (
                f"p99 ≤ 3 x p50 at 8 clients: {name}",
                cell8[name].p99_ms <= 3 * cell8[name].p50_ms,
                tail(cell8[name]),
            )
            for name in PAGES
            if name != "floor" and cell8[name].p50_ms is not None
        ),
        *(
            (
                f"p99 ≤ 3 x p50 at 8 clients across TTL expiry: {name}",
                cell.p99_ms <= 3 * cell.p50_ms,
                tail(cell),
            )
            for name, cell in ttl.items()
            if cell.p50_ms is not None
        ),
        (
            "warm tag page ≥ 0.4 x floor at 8 clients",
            cell8["tag page"].rps >= 0.4 * cell8["floor"].rps,
            f"{cell8['tag page'].rps / cell8['floor'].rps:.2f} x",
        ),
        (
            "warm 100-tag repository page ≥ 300 req/s or ≥ 0.15 x floor (8 clients)",
            cell8["100-tag repository"].rps >= 300
            or cell8["100-tag repository"].rps >= 0.15 * cell8["floor"].rps,
            f"{cell8['100-tag repository'].rps:.0f} req/s, "
            f"{cell8['100-tag repository'].rps / cell8['floor'].rps:.2f} x",
        ),
        *(
            (f"warm server time ≤ 1.2 x: {name}", b <= 1.2 * a, f"{b / a:.2f} x")
            for name, (a, b) in scaling.items()
        ),
    ]
    add("| target | measured | |")
    add("|---|---:|---|")
    for name, ok, measured in checks:
        add(f"| {name} | {measured} | {verdict(ok)} |")
    add("")
    notes = ROOT / "bench" / "speed_notes.md"
    if notes.exists():
        add(notes.read_text().rstrip())
        add("")
    replace_section(ROOT / "docs" / "benchmarks.md", "## Speed II (issue 15)", "\n".join(lines))
    return checks


def fmt_ms(value: float | None) -> str:
    return f"{value:.1f} ms" if value is not None else "—"


def tail(cell: Load) -> str:
    if cell.p50_ms is None or cell.p99_ms is None:
        return "—"
    return f"{cell.p99_ms / cell.p50_ms:.2f} x"


# --- main -----------------------------------------------------------------------------------


def main() -> int:
    started = time.monotonic()
    shm = Path("/dev/shm")
    work = Path(tempfile.mkdtemp(prefix="regfront-speed-", dir=shm if shm.is_dir() else None))
    registries = []
    database = f"postgres://postgres@127.0.0.1:5432/{PG_DB}"
    cache = f"redis://{REDIS_HOST}:{REDIS_PORT}/{REDIS_DB}"
    try:
        log(f"speed: seeding two registries in {work}")
        seed_registries(work)
        big = start_registry(work / "bench")
        registries.append(big)
        small = start_registry(work / "small")
        registries.append(small)
        log(f"  seeded in {time.monotonic() - started:.0f} s")
        env = base_env(work, big.url) | {"DATABASE_URL": database, "CACHE_URL": cache}
        collect = env | {"DATABASE_URL": f"sqlite:///{work / 'collectstatic.sqlite3'}"}
        subprocess.run(
            [PY, "manage.py", "collectstatic", "--no-input", "-v0"],
            cwd=ROOT,
            env=collect,
            check=True,
        )
        use_wrk = ensure_wrk()
        generate = load_wrk if use_wrk else load_python
        prepare_database(database)
        flush_redis()

        log("speed: throughput and tails, warm (interleaved rounds)")
        warm_env = env | {"REGFRONT_CACHE_TTL": str(WARM_TTL)}
        server = start("speed", warm_env, work, small.url)
        try:
            warm(server)
            targets = {name: (server, path) for name, path in PAGES.items()}
            load = {
                clients: interleaved(
                    targets, generate, clients=clients, rounds=ROUNDS, seconds=LOAD_SECONDS
                )
                for clients in (8, 32)
            }
            log("speed: scaling")
            scaling = measure_scaling(server)
            log("speed: py-spy on the tag page")
            profiles = {
                "wall": profile_tag_page(server, work, gil=False),
                "gil": profile_tag_page(server, work, gil=True),
            }
            for mode, found in profiles.items():
                for part, share in found.parts if found else []:
                    log(f"  {mode}: {part}: {share * 100:.0f} %")
        finally:
            server.stop()

        log("speed: the tag page with parts turned off (BENCH_OFF), all servers up at once")
        servers: dict[str, Server] = {}
        try:
            for name in VARIANTS:
                off = ALL_OFF if name == "all" else name
                servers[name] = start(
                    f"off-{name or 'none'}", warm_env | {"BENCH_OFF": off}, work, small.url
                )
                warm_both_workers(servers[name].url + PAGES["tag page"])
            variants = interleaved(
                {name: (srv, PAGES["tag page"]) for name, srv in servers.items()},
                generate,
                clients=8,
                rounds=ROUNDS,
                seconds=LOAD_SECONDS,
            )
        finally:
            for srv in servers.values():
                srv.stop()

        log(f"speed: across TTL expiry (REGFRONT_CACHE_TTL={TTL_SECONDS})")
        flush_redis()
        clear_tasks(database)
        ttl_env = env | {"REGFRONT_CACHE_TTL": str(TTL_SECONDS)}
        server = start("ttl", ttl_env, work, small.url)
        # Stale entries are refreshed by the task worker (REGFRONT_REFRESH_IN=auto with Redis).
        worker = subprocess.Popen(
            [PY, "manage.py", "db_worker", "--no-startup-delay", "--no-reload", "--interval", "1"],
            cwd=ROOT,
            env=ttl_env,
            stdout=subprocess.DEVNULL,
            stderr=(work / "db_worker.log").open("wb"),
            start_new_session=True,
        )
        ttl: dict[str, Load] = {}
        try:
            for name, path in PAGES.items():
                if name == "floor":
                    continue
                warm_both_workers(server.url + path)
                ttl[name] = generate(server.url + path, 8, TTL_LOAD_SECONDS)
                log(f"  {name}: {describe(ttl[name])}")
        finally:
            server.stop()
            worker.terminate()
            try:
                worker.wait(timeout=10)
            except subprocess.TimeoutExpired:  # busy with queued refreshes: no need to finish
                worker.kill()
                worker.wait()
        refreshes = task_counts(database)
        log(f"  background tasks by state: {refreshes}")

        load1, load5, _ = os.getloadavg()
        facts = {
            "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "generator": "wrk" if use_wrk else "Python threads (no wrk: no p50/p99)",
            "loadavg": f"{load1:.1f} / {load5:.1f}",
            "load": load,
            "ttl": ttl,
            "refreshes": refreshes,
            "scaling": scaling,
            "variants": variants,
            "profiles": profiles,
        }
        if os.environ.get("BENCH_FACTS"):  # to rewrite the section later: --report <file>
            Path(os.environ["BENCH_FACTS"]).write_bytes(pickle.dumps(facts))
        checks = write_section(facts)
        log(f"speed: wrote docs/benchmarks.md in {time.monotonic() - started:.0f} s")
        for name, ok, measured in checks:
            log(f"  {'met   ' if ok else 'MISSED'} {name}: {measured}")
        return 0
    finally:
        for registry in registries:
            registry.stop()
        drop_database(database)
        if os.environ.get("BENCH_KEEP"):
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--report"]:  # the section again from saved facts (new notes)
        write_section(pickle.loads(Path(sys.argv[2]).read_bytes()))
        sys.exit(0)
    sys.exit(main())
