"""What bench/run.py and bench/inventory.py share: settings, statistics, regfront under
gunicorn, its database and cache."""

from __future__ import annotations

import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent

PY = sys.executable
PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")
PG_DB = os.environ.get("BENCH_PG_DB", "regfront_bench")
REDIS_HOST, REDIS_PORT, REDIS_DB = "127.0.0.1", 6379, int(os.environ.get("BENCH_REDIS_DB", "14"))
COLD_SAMPLES = int(os.environ.get("BENCH_COLD_SAMPLES", "5"))
WARM_SAMPLES = int(os.environ.get("BENCH_WARM_SAMPLES", "40"))
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
            except requests.RequestException:  # not listening yet, or busy starting
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


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def verdict(ok: bool) -> str:
    return "**met**" if ok else "**missed**"


def start_regfront(label: str, env: dict[str, str], log_path: Path) -> Server:
    """Migrate and seed the registry row (regfront.prestart), then start gunicorn."""
    env = env | {"REGFRONT_BIND": f"127.0.0.1:{free_port()}"}
    subprocess.run(
        [PY, "-m", "regfront.prestart"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
    )
    server = Server(label, env, int(env["REGFRONT_BIND"].rsplit(":", 1)[1]), log_path)
    try:
        server.start()
    except BaseException:
        server.stop()  # a gunicorn that never answered must not outlive the bench
        raise
    return server


def replace_section(path: Path, heading: str, text: str) -> None:
    """Put `text` (starting with `heading`) in place of that section of the report, from its
    heading to the next one of the same level, or at the end; the rest is kept."""
    old = path.read_text() if path.exists() else ""
    level = heading.split(" ", 1)[0] + " "
    start = old.find(f"\n{heading}\n")
    if start < 0:
        path.write_text(old.rstrip("\n") + "\n\n" + text)
        return
    end = old.find(f"\n{level}", start + len(heading) + 2)
    rest = old[end:] if end >= 0 else ""
    path.write_text(old[: start + 1] + text + rest)
