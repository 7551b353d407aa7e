"""`make bench`, third part: the image contents targets (issue 13).

1. Builds a gzip layer of ~1 GiB unpacked (BENCH_CONTENTS_BYTES): text-like files (words of
   a made-up vocabulary, so it compresses about 2:1 like source trees and logs do, not like
   zeros) in 100 directories, and pushes it as an image to a docker-registry started with
   tests.support.registry_server.
2. Listing: `tar -tzf` on the blob file against regfront's listing (layers.list_layer over
   RegistryClient.blob_stream from the registry), each in its own process, best of
   BENCH_CONTENTS_RUNS; the listing process reports its peak RSS (VmHWM). Both must see the
   same number of entries.
3. A file page under gunicorn (SQLite + local memory, the bench settings): the layer is listed
   in the files page's request (inline limits raised for the bench), then one file's page cold
   (read out of the middle of the layer) and warm, median and p95 of WARM_SAMPLES after every
   worker has served it; a download of the same file, for information.
4. Replaces the "Image contents (issue 13)" section of docs/benchmarks.md, nothing else.

`python bench/contents.py --list URL REPOSITORY DIGEST` is step 2's listing process.
"""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
import tarfile
import tempfile
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SECTION = "## Image contents (issue 13)"
TARGET_BYTES = int(os.environ.get("BENCH_CONTENTS_BYTES", str(1024**3)))
RUNS = int(os.environ.get("BENCH_CONTENTS_RUNS", "3"))
DIRECTORIES = 100
FILE_SIZES = (256, 64 * 1024)  # uniform: ~32 KiB a file, ~32,000 files per GiB
GZIP_LEVEL = 6  # what docker and buildkit use by default
REPOSITORY, TAG = "bench/contents", "v1"
SPEED_TARGET, RSS_TARGET_MB, PAGE_TARGET_MS = 0.7, 100, 30.0


# --- the layer ------------------------------------------------------------------------------


def text_pool(rng: random.Random, size: int) -> bytes:
    """Words of a made-up 5,000-word vocabulary, lines of about 10 words."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    vocabulary = ["".join(rng.choices(letters, k=rng.randint(2, 10))) for _ in range(5000)]
    words = rng.choices(vocabulary, k=size // 6)
    lines = (" ".join(words[i : i + 10]) for i in range(0, len(words), 10))
    return "\n".join(lines).encode()[:size]


def build_layer(path: Path) -> tuple[int, int, str]:
    """Write the gzip layer to `path`; (files, unpacked bytes, a file in the middle)."""
    rng = random.Random(13)
    pool = text_pool(rng, 8 * 1024 * 1024)
    compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31)  # 31: a gzip stream
    written = files = 0
    middle = ""
    with path.open("wb") as out:

        def put(data: bytes) -> None:
            nonlocal written
            written += len(data)
            out.write(compressor.compress(data))

        for index in range(DIRECTORIES):
            put(_header(f"d{index:03d}/", tarfile.DIRTYPE, 0))
        while written < TARGET_BYTES:
            size = rng.randint(*FILE_SIZES)
            name = f"d{files % DIRECTORIES:03d}/f{files:06d}.txt"
            start = rng.randrange(len(pool) - size)
            put(_header(name, tarfile.REGTYPE, size))
            put(pool[start : start + size] + b"\0" * (-size % tarfile.BLOCKSIZE))
            if not middle and written >= TARGET_BYTES // 2:
                middle = name
            files += 1
        put(b"\0" * (2 * tarfile.BLOCKSIZE))
        out.write(compressor.flush())
    return files, written, middle


def _header(name: str, kind: bytes, size: int) -> bytes:
    info = tarfile.TarInfo(name)
    info.type, info.size, info.mode, info.mtime = kind, size, 0o644, 1_700_000_000
    if kind == tarfile.DIRTYPE:
        info.mode = 0o755
    return info.tobuf(format=tarfile.USTAR_FORMAT)


def push_image(registry, blob: Path) -> str:
    from tests.contents.build import OCI_LAYER_GZIP, push_layers

    return push_layers(registry, REPOSITORY, TAG, [(blob.read_bytes(), OCI_LAYER_GZIP)]).digest


def layer_digest(blob: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    with blob.open("rb") as data:
        while chunk := data.read(1024 * 1024):
            digest.update(chunk)
    return f"sha256:{digest.hexdigest()}"


# --- listing: tar against regfront ------------------------------------------------------------


def tar_listing(blob: Path) -> tuple[float, int]:
    started = time.perf_counter()
    done = subprocess.run(["tar", "-tzf", str(blob)], capture_output=True, check=True)
    return time.perf_counter() - started, done.stdout.count(b"\n")


def regfront_listing(url: str, digest: str) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--list", url, REPOSITORY, digest],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return json.loads(done.stdout)


def list_from_registry(url: str, repository: str, digest: str) -> None:
    """The listing process: only what regfront's listing itself needs is imported."""
    from registries.client.api import RegistryClient
    from registries.contents.layers import Limits, list_layer

    client = RegistryClient(url, name="bench")
    started = time.perf_counter()
    with client.blob_stream(repository, digest, max_bytes=2 * 1024**3, seconds=600) as blob:
        listing = list_layer(
            blob,
            Limits(
                max_unpacked_bytes=16 * 1024**3,
                max_entries=500_000,
                deadline=time.monotonic() + 600,
            ),
        )
    seconds = time.perf_counter() - started
    status = Path("/proc/self/status").read_text()
    peak_kb = int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1))
    print(json.dumps({"seconds": seconds, "entries": len(listing.entries), "peak_kb": peak_kb}))


# --- a file page under gunicorn -----------------------------------------------------------------


def measure_file_page(work: Path, registry_url: str, middle: str) -> dict:
    import requests

    from bench.harness import (
        PY,
        WARM_SAMPLES,
        base_env,
        median,
        p95,
        start_regfront,
        timed_get,
        warm_both_workers,
    )

    env = base_env(work, registry_url) | {
        "DATABASE_URL": f"sqlite:///{work / 'bench.sqlite3'}",
        "CACHE_URL": "locmemcache://bench",
        # The bench lists its one big layer in the page's request instead of a worker's.
        "REGFRONT_LAYER_INLINE_BYTES": str(4 * 1024**3),
        "REGFRONT_PAGE_DEADLINE": "600",
        "GUNICORN_TIMEOUT": "900",
    }
    subprocess.run(
        [PY, "manage.py", "collectstatic", "--no-input", "-v0"], cwd=ROOT, env=env, check=True
    )
    server = start_regfront("SQLite + local memory", env, work / "gunicorn.log")
    try:
        files = f"{server.url}/registry/bench/{REPOSITORY}:{TAG}/files/"
        page = files + middle
        with requests.Session() as session:
            listed = timed_get(session, files)
            cold = timed_get(session, page)
            started = time.perf_counter()
            reply = session.get(page + "?download=1", timeout=600)
            download = time.perf_counter() - started
            reply.raise_for_status()
        warm_both_workers(page)
        with requests.Session() as session:
            warm = [timed_get(session, page) for _ in range(WARM_SAMPLES)]
        return {
            "listed_in_page": listed,
            "cold": cold,
            "download": download,
            "download_bytes": len(reply.content),
            "warm_median": median(warm),
            "warm_p95": p95(warm),
            "samples": len(warm),
            "worker_peak_kb": max(server.peak_rss.values(), default=0),
        }
    finally:
        server.stop()


# --- the report -------------------------------------------------------------------------------


def write_section(facts: dict) -> list[tuple[str, bool, str]]:
    from bench.harness import replace_section, verdict

    tar_s, ours = facts["tar_seconds"], facts["listing"]
    ratio = tar_s / ours["seconds"]
    rss_mb = ours["peak_kb"] / 1024
    page = facts["page"]
    gib = facts["unpacked"] / 1024**3
    checks = [
        ("listing speed vs tar -tzf", ratio >= SPEED_TARGET, f"{ratio:.2f}x"),
        ("listing peak RSS", rss_mb <= RSS_TARGET_MB, f"{rss_mb:.0f} MB"),
        (
            "file page warm (median)",
            page["warm_median"] * 1000 <= PAGE_TARGET_MS,
            f"{page['warm_median'] * 1000:.1f} ms",
        ),
    ]

    def rate(seconds: float) -> str:
        return f"{seconds:.2f} s ({facts['unpacked'] / seconds / 1e6:.0f} MB/s unpacked)"

    lines = [
        SECTION,
        "",
        f"Generated by `bench/contents.py` on {facts['when']}. One gzip layer (level "
        f"{GZIP_LEVEL}) of {facts['files']:,} text-like files in {DIRECTORIES} directories: "
        f"{gib:.2f} GiB unpacked, {facts['compressed'] / 1024**2:.0f} MiB compressed, pushed "
        "to Debian's docker-registry (`tests.support.registry_server`) on loopback. Listings "
        f"are the best of {RUNS} runs, each in a fresh process; both saw "
        f"{ours['entries']:,} entries.",
        "",
        "| measure | value | target | verdict |",
        "|---|---|---|---|",
        f"| `tar -tzf` on the blob file (tar + gzip, two processes) | {rate(tar_s)} | | |",
        "| regfront: `layers.list_layer` over `RegistryClient.blob_stream` from the registry "
        f"| {rate(ours['seconds'])} | | |",
        f"| speed, regfront / tar | {ratio:.2f}x | ≥ {SPEED_TARGET}x | {verdict(checks[0][1])} |",
        f"| peak RSS of the listing process (VmHWM) | {rss_mb:.0f} MB | ≤ {RSS_TARGET_MB} MB "
        f"| {verdict(checks[1][1])} |",
        f"| file page of the listed layer, warm: median / p95 of {page['samples']} (gunicorn, "
        f"SQLite + local memory) | {page['warm_median'] * 1000:.1f} / "
        f"{page['warm_p95'] * 1000:.1f} ms | ≤ {PAGE_TARGET_MS:.0f} ms | "
        f"{verdict(checks[2][1])} |",
        f"| *the files page listing the layer in its request, storing it* | "
        f"{page['listed_in_page']:.2f} s | | |",
        f"| *the file page cold: the file read out of the middle of the layer* | "
        f"{page['cold']:.2f} s | | |",
        f"| *its download ({page['download_bytes']:,} bytes), read out of the layer again* | "
        f"{page['download']:.2f} s | | |",
        f"| *gunicorn worker peak RSS (listing in the request, then pages)* | "
        f"{page['worker_peak_kb'] / 1024:.0f} MB | | |",
        "",
        "The warm file page answers from the stored listing (the merged tree is kept per "
        "process) and the cached preview; a cold one, and every download, reads the layer "
        "from the registry up to the file and stops there.",
        "",
    ]
    replace_section(ROOT / "docs" / "benchmarks.md", SECTION, "\n".join(lines))
    return checks


def main() -> int:
    from bench.harness import log
    from tests.support.registry_server import start_registry

    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="regfront-bench-contents-") as tmp:
        work = Path(tmp)
        blob = work / "layer.tar.gz"
        log(f"building a gzip layer of {TARGET_BYTES / 1024**3:.2f} GiB unpacked")
        files, unpacked, middle = build_layer(blob)
        log(f"  {files:,} files, {blob.stat().st_size / 1024**2:.0f} MiB compressed")
        registry = start_registry(work / "registry", delete_enabled=False)
        try:
            log(f"pushing it to {registry.url}")
            push_image(registry, blob)
            digest = layer_digest(blob)
            log("listing: tar -tzf against regfront")
            tar_runs, our_runs = [], []
            for _ in range(RUNS):
                tar_runs.append(tar_listing(blob))
                our_runs.append(regfront_listing(registry.url, digest))
            tar_seconds, tar_entries = min(tar_runs)
            listing = min(our_runs, key=lambda run: run["seconds"])
            if tar_entries != listing["entries"]:
                raise RuntimeError(f"tar saw {tar_entries} entries, regfront {listing['entries']}")
            log(f"  tar {tar_seconds:.2f} s, regfront {listing['seconds']:.2f} s")
            log("a file page under gunicorn")
            page = measure_file_page(work, registry.url, middle)
        finally:
            registry.stop()
        facts = {
            "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "files": files,
            "unpacked": unpacked,
            "compressed": blob.stat().st_size,
            "tar_seconds": tar_seconds,
            "listing": listing,
            "page": page,
        }
        checks = write_section(facts)
    log(f"wrote docs/benchmarks.md ({SECTION[3:]}) in {time.monotonic() - started:.0f} s")
    for name, ok, measured in checks:
        log(f"  {'met   ' if ok else 'MISSED'} {name}: {measured}")
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--list"]:
        list_from_registry(*sys.argv[2:5])
        sys.exit(0)
    sys.exit(main())
