"""`make bench`, the retention targets (issue 12): "dry-run plan for one policy over the
5,000-tag repository from the index ≤ 100 ms warm; a 10,000-repository registry ≤ 2 s;
deleting 1,000 digests runs at the configured rate with at most one HEAD + one DELETE per
digest".

1. Seeds the registry as bench/run.py does (bench/seed.py: 10,000 repositories, the 300- and
   5,000-tag repositories, an index), plus 10 repositories `clean/app-NN` of 101 single-tagged
   images each, and serves it with deletes enabled and its access log on.
2. Indexes it all with `manage.py sync_registry bench` on PostgreSQL (a real sync, not rows
   written into the index).
3. Plans, in a fresh process each (registries/retention/index.py, what the Cleanup page, the
   API and `manage.py retention --dry-run` all call): a policy over the 5,000-tag repository,
   the first plan (cold) then BENCH_RETENTION_SAMPLES warm, and the same plan through
   `GET /api/v1/registries/bench/retention/<policy>/plan` (Django's test client: server time);
   a policy over every repository (`*`), cold then warm.
4. Runs a policy over `clean/*` (keep the last by version: 1,000 digests to delete) through
   the retention run service (registries/retention/run.py) at REGFRONT_RETENTION_RATE =
   BENCH_RETENTION_RATE, counting what the registry received in its access log.
5. Replaces the "Retention (issue 12)" section of docs/benchmarks.md, nothing else.

PostgreSQL database: BENCH_RETENTION_DB (dropped and made again); Redis: BENCH_REDIS_DB.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.access_log import REQUEST_LINE, AccessLog, start_logged_registry  # noqa: E402
from bench.harness import (  # noqa: E402
    PG_ADMIN_URL,
    PY,
    REDIS_DB,
    REDIS_HOST,
    REDIS_PORT,
    base_env,
    log,
    median,
    ms,
    p95,
    replace_section,
    verdict,
)
from bench.seed import TAGS_5000, Store, make_image, put_image, seed, version_tag  # noqa: E402

SECTION = "## Retention (issue 12)"
DATABASE = os.environ.get("BENCH_RETENTION_DB", "regfront_bench_retention")
SAMPLES = int(os.environ.get("BENCH_RETENTION_SAMPLES", "30"))
WIDE_SAMPLES = int(os.environ.get("BENCH_RETENTION_WIDE_SAMPLES", "5"))
# Half what a run managed here when paced at 20/s (18/s), so the pace is what bounds it.
RATE = float(os.environ.get("BENCH_RETENTION_RATE", "10"))
CLEAN_REPOSITORIES = 10
CLEAN_TAGS = 101  # keep the last by version: 100 digests to delete in each
PLAN_TARGET, WIDE_TARGET = 0.100, 2.0

POLICIES = {
    # "Keep the last 10 builds, never touch latest or release-*", over the 5,000 tags.
    "five-thousand": {
        "repositories": TAGS_5000,
        "keep_last": 10,
        "order": "version",
        "protect": "latest\nrelease-*",
    },
    "everything": {"repositories": "*", "keep_last": 1, "protect": "latest"},
    "clean": {"repositories": "clean/*", "keep_last": 1, "order": "version"},
}


def seed_clean(storage: Path) -> int:
    """The repositories the delete run empties: each tag on an image of its own."""
    store = Store(storage)
    layer_data = b"\x1f\x8b" + b"retention-layer" * 64
    layer = (layer_data, store.blob(layer_data))
    for r in range(CLEAN_REPOSITORIES):
        repo = f"clean/app-{r:02d}"
        for i in range(CLEAN_TAGS):
            created = f"2024-03-{1 + i % 28:02d}T00:00:{i % 60:02d}Z"
            image = make_image(store, seed=f"{repo}:{i}", created=created, layer=layer)
            put_image(store, repo, version_tag(i), image)
    return CLEAN_REPOSITORIES * (CLEAN_TAGS - 1)


def database_reset(*, create: bool) -> None:
    """harness.prepare_database names one database for every bench; this bench takes its own
    (BENCH_RETENTION_DB), so it can run beside the others."""
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        if create:
            conn.execute(f"CREATE DATABASE {DATABASE}")


def probe(env: dict[str, str], script: str, *args: str) -> dict:
    done = subprocess.run(
        [PY, "-c", script, *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"probe failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


SETUP = """
import django, json, sys
django.setup()
from registries.models import Registry
from registries.retention.models import RetentionPolicy
bench = Registry.objects.get(name="bench")
for name, fields in json.loads(sys.argv[1]).items():
    RetentionPolicy.objects.create(registry=bench, name=name, **fields)
print(json.dumps({"policies": RetentionPolicy.objects.count()}))
"""

# One process per measured policy: its first plan is cold (no manifest facts remembered).
PLAN_PROBE = """
import django, json, sys, time
django.setup()
from django.contrib.auth.models import Permission, User
from django.test import Client
from registries.models import Registry
from registries.retention.index import index_plan
from registries.retention.models import RetentionPolicy
from registries.retention.rules import Rules
name, samples, api = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "api"
registry = Registry.objects.get(name="bench")
rules = Rules.from_policy(RetentionPolicy.objects.get(registry=registry, name=name))
cpu = []
def timed():
    started, used = time.perf_counter(), time.process_time()
    plan = index_plan(registry=registry, rules=rules)
    cpu.append(time.process_time() - used)
    return time.perf_counter() - started, plan
cold, plan = timed()
warm = [timed()[0] for _ in range(samples)]
out = {"cold": cold, "warm": warm, "cpu": cpu[1:], "repositories": len(plan.repositories),
       "delete": plan.deletions, "keep": sum(len(r.keep) for r in plan.repositories),
       "tags": sum(len(r.keep) + sum(len(d.tags) for d in r.delete) for r in plan.repositories),
       "reclaimable": plan.reclaimable_bytes}
# Where a warm plan's time goes (shares of one profiled plan: the profiler slows it).
import cProfile, pstats
profiler = cProfile.Profile()
profiler.runcall(index_plan, registry=registry, rules=rules)
spent = {f"{path.rsplit('/', 1)[-1]}:{func}": row[3]
         for (path, _, func), row in pstats.Stats(profiler).stats.items()}
total = spent["index.py:index_plan"]
out["shares"] = {"plan": spent["plan.py:plan"] / total,
                 # cached per tag name: on a warm plan it is rarely computed at all
                 "natural_key": spent.get("listings.py:natural_key", 0.0) / total,
                 "facts": spent["index.py:manifest_facts"] / total}
from registries.inventory.models import IndexedTag
out["registry_tags"] = IndexedTag.objects.filter(repository__registry=registry).count()
if api:
    user = User.objects.create_user("bench-" + name)
    user.user_permissions.add(Permission.objects.get(codename="change_registry"))
    client = Client()
    client.force_login(user)
    path = f"/api/v1/registries/bench/retention/{name}/plan"
    times = []
    for _ in range(samples + 1):
        started = time.perf_counter()
        reply = client.get(path, HTTP_HOST="127.0.0.1")
        times.append(time.perf_counter() - started)
        assert reply.status_code == 200, reply.status_code
    assert reply.json() == plan.as_json()
    out |= {"api": times[1:], "api_bytes": len(reply.content)}
print(json.dumps(out))
"""

RUN_PROBE = """
import django, json, time
django.setup()
from django.conf import settings
from registries.models import Registry
from registries.retention.models import RetentionPolicy, RetentionRun
from registries.retention.rules import Rules
from registries.retention.run import run_create, run_execute
registry = Registry.objects.get(name="bench")
policy = RetentionPolicy.objects.get(registry=registry, name="clean")
run = run_create(registry=registry, rules=Rules.from_policy(policy), policy=policy,
                 trigger=RetentionRun.Trigger.COMMAND)
items = run.items.count()
started = time.perf_counter()
run = run_execute(run_id=run.pk)
elapsed = time.perf_counter() - started
print(json.dumps({"items": items, "elapsed": elapsed, "state": run.state, "message": run.message,
                  "deleted": run.deleted, "skipped": run.skipped, "errors": run.errors,
                  "rate": settings.REGFRONT_RETENTION_RATE}))
"""

# [02/Jan/2006:15:04:05 -0700] "DELETE /v2/…": the second each DELETE was logged in.
DELETE_SECOND = re.compile(r'\[([^\]]+)\] "DELETE /v2/\S*/manifests/')


def delete_seconds(access: AccessLog) -> Counter[str]:
    with access.path.open("rb") as text:
        text.seek(access.offset)
        return Counter(DELETE_SECOND.findall(text.read().decode(errors="replace")))


def measure_run(env: dict[str, str], registry, access: AccessLog) -> dict:
    access.mark()
    facts = probe(env | {"REGFRONT_RETENTION_RATE": str(RATE)}, RUN_PROBE)
    time.sleep(0.5)  # the registry writes its access log after answering
    facts["counts"] = dict(access.counts())
    with access.path.open("rb") as text:
        text.seek(access.offset)
        statuses = Counter(f"{m[1]} {m[3]}" for m in REQUEST_LINE.finditer(text.read().decode()))
    facts["statuses"] = dict(statuses)
    facts["busiest_second"] = max(delete_seconds(access).values(), default=0)
    left = {}
    for r in range(CLEAN_REPOSITORIES):
        repo = f"clean/app-{r:02d}"
        listed = requests.get(f"{registry.url}/v2/{repo}/tags/list", timeout=30).json()
        left[repo] = listed.get("tags") or []
    facts["tags_left"] = sorted({t for tags in left.values() for t in tags})
    return facts


def report(facts: dict) -> tuple[str, list[tuple[str, bool, str]]]:
    five, wide, run = facts["five"], facts["wide"], facts["run"]
    shares = five["shares"]
    counts = run["counts"]
    items = run["items"]
    heads, deletes = counts.get("manifest HEAD", 0), counts.get("manifest DELETE", 0)
    lists = counts.get("tags/list", 0)
    other = sum(
        n for k, n in counts.items() if k not in ("manifest HEAD", "manifest DELETE", "tags/list")
    )
    floor = items / run["rate"]
    lines = [
        SECTION,
        "",
        f"Generated by `bench/retention.py` (`make bench`) on {facts['when']}, on the data set "
        f"above plus {CLEAN_REPOSITORIES} repositories `clean/app-NN` of {CLEAN_TAGS} "
        "single-tagged images each, served by Debian's docker-registry with deletes enabled; "
        f"indexed by `sync_registry bench` ({facts['sync']:.0f} s) on PostgreSQL; request "
        f"counts from the registry's access log. Load average at the end: {facts['load']}.",
        "",
        "| measure | value | target | verdict |",
        "|---|---|---|---|",
    ]
    checks = [
        (
            f"plan of `five-thousand` ({TAGS_5000}), warm: median / p95 of {SAMPLES}",
            median(five["warm"]) <= PLAN_TARGET,
            f"{ms(median(five['warm']))} / {ms(p95(five['warm']))} ms",
            f"≤ {PLAN_TARGET * 1000:.0f} ms",
        ),
        (
            f"plan of `everything` ({wide['repositories']:,} repositories), cold",
            wide["cold"] <= WIDE_TARGET,
            f"{wide['cold']:.2f} s",
            f"≤ {WIDE_TARGET:.0f} s",
        ),
        (
            f"plan of `everything`, warm: median / p95 of {WIDE_SAMPLES}",
            median(wide["warm"]) <= WIDE_TARGET,
            f"{median(wide['warm']):.2f} / {p95(wide['warm']):.2f} s",
            f"≤ {WIDE_TARGET:.0f} s",
        ),
        (
            f"run of `clean`: {run['deleted']:,} of {items:,} digests deleted at "
            f"REGFRONT_RETENTION_RATE={run['rate']:g}",
            run["deleted"] == items and run["elapsed"] >= floor,
            f"{run['elapsed']:.1f} s ({run['deleted'] / run['elapsed']:.1f}/s)",
            f"≥ {floor:.1f} s (items / rate)",
        ),
        (
            "its requests: manifest HEAD / DELETE / tags/list / other",
            heads <= items and deletes <= items and lists <= CLEAN_REPOSITORIES and not other,
            f"{heads:,} / {deletes:,} / {lists} / {other}",
            f"≤ {items:,} / {items:,} / {CLEAN_REPOSITORIES} / 0",
        ),
    ]
    lines += [
        f"| {name} | {value} | {target} | {verdict(ok)} |" for name, ok, value, target in checks
    ]
    lines += [
        f"| *plan of `five-thousand`, cold (first in its process)* | {ms(five['cold'])} ms | | |",
        f"| *CPU time of the plan's own process, warm (median): `five-thousand` / `everything`; "
        f"PostgreSQL's share is not in it* | {ms(median(five['cpu']))} ms / "
        f"{median(wide['cpu']):.2f} s | | |",
        f"| *the same plan as `GET /api/v1/registries/bench/retention/five-thousand/plan`, warm: "
        f"median / p95 of {SAMPLES} (server time, {five['api_bytes'] / 1024:.0f} KiB)* | "
        f"{ms(median(five['api']))} / {ms(p95(five['api']))} ms | | |",
        f"| *where a warm `five-thousand` plan's time goes (one profiled plan): the plan "
        f"itself (of which the version sort key) / the manifest facts (remembered) / reading "
        f"the registry's {five['registry_tags']:,} tag rows* | {shares['plan']:.0%} "
        f"({shares['natural_key']:.0%}) / {shares['facts']:.0%} / "
        f"{1 - shares['plan'] - shares['facts']:.0%} | | |",
        f"| *most DELETEs the registry logged in one clock second* | {run['busiest_second']} "
        f"| ≤ {math.ceil(run['rate']) + 1} | |",
        "",
        "| plan | repositories | tags | digests to delete | tags kept | reclaimable |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, plan in (("five-thousand", five), ("everything", wide)):
        lines.append(
            f"| `{name}` | {plan['repositories']:,} | {plan['tags']:,} | {plan['delete']:,} "
            f"| {plan['keep']:,} | {plan['reclaimable']:,} B |"
        )
    lines += [
        "",
        f"Policies: `five-thousand` keeps the last 10 of `{TAGS_5000}` by version and protects "
        "`latest`, `release-*`; `everything` keeps the newest image of every repository (`*`) "
        "and protects `latest`; `clean` keeps the highest version of each `clean/app-NN`. "
        f"After the run the registry's `clean/*` tags are {run['tags_left']}; the run's state "
        f"is `{run['state']}`, {run['skipped']} skipped, {run['errors']} errors. Cold means the "
        "first plan in a new process (no manifest facts remembered; PostgreSQL's own cache is "
        "warm from the sync); plans are timed in one process through the service the page, "
        "the API and `manage.py retention --dry-run` share.",
    ]
    notes = ROOT / "bench" / "retention_notes.md"
    if notes.exists():
        lines += ["", notes.read_text().rstrip()]
    return "\n".join(lines) + "\n", [(n, ok, v) for n, ok, v, _ in checks]


def main() -> int:
    started = time.monotonic()
    shm = Path("/dev/shm")
    work = Path(tempfile.mkdtemp(prefix="regfront-ret-", dir=shm if shm.is_dir() else None))
    registry = None
    database = f"postgres://postgres@127.0.0.1:5432/{DATABASE}"
    try:
        log(f"seeding a registry in {work}")
        storage = work / "storage"
        seeded = seed(storage)
        doomed = seed_clean(storage)
        registry = start_logged_registry(work / "registry", storage, delete_enabled=True)
        access = AccessLog(registry.log_path)
        database_reset(create=True)
        env = base_env(work, registry.url) | {
            "DATABASE_URL": database,
            "CACHE_URL": f"redis://{REDIS_HOST}:{REDIS_PORT}/{REDIS_DB}",
        }
        subprocess.run(
            [PY, "-m", "regfront.prestart"], cwd=ROOT, env=env, check=True, capture_output=True
        )
        log(f"indexing {seeded.repositories + CLEAN_REPOSITORIES:,} repositories (sync_registry)")
        sync_started = time.perf_counter()
        subprocess.run(
            [PY, "manage.py", "sync_registry", "bench"],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
        facts: dict = {"sync": time.perf_counter() - sync_started}
        probe(env, SETUP, json.dumps(POLICIES))
        log("plans")
        facts["five"] = probe(env, PLAN_PROBE, "five-thousand", str(SAMPLES), "api")
        log(f"  five-thousand: warm {ms(median(facts['five']['warm']))} ms median")
        facts["wide"] = probe(env, PLAN_PROBE, "everything", str(WIDE_SAMPLES), "")
        log(f"  everything: cold {facts['wide']['cold']:.2f} s")
        log(f"a run deleting {doomed:,} digests at {RATE:g}/s")
        facts["run"] = measure_run(env, registry, access)
        log(f"  {facts['run']['deleted']} deleted in {facts['run']['elapsed']:.1f} s")
        facts["when"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        facts["load"] = " / ".join(f"{x:.1f}" for x in os.getloadavg()[:2]) + " (1 / 5 min)"
        text, checks = report(facts)
        print(text)
        replace_section(ROOT / "docs" / "benchmarks.md", SECTION, text)
        log(f"wrote docs/benchmarks.md ({SECTION[3:]}) in {time.monotonic() - started:.0f} s")
        for name, ok, measured in checks:
            log(f"  {'met   ' if ok else 'MISSED'} {name}: {measured}")
        return 0
    finally:
        if registry is not None:
            registry.stop()
        database_reset(create=False)
        if os.environ.get("BENCH_KEEP"):
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
