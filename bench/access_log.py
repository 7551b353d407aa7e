"""A docker-registry over the seeded storage with its access log on, and counts from that log:
what the registry itself received, not what a client believes it sent.

The test fixtures' start_registry keeps the access log off (it would fill the test logs); the
bench starts its own process from the same configuration with the log switched on.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections import Counter
from pathlib import Path

from bench.harness import free_port
from tests.support.registry_server import (
    REGISTRY_BINARY,
    RunningRegistry,
    _wait_ready,
    build_config,
)

# Apache combined format (gorilla/handlers, as distribution 2.8 writes it): "GET /v2/… HTTP/1.1"
REQUEST_LINE = re.compile(r'"(GET|HEAD|POST|PUT|PATCH|DELETE) (/v2/\S*) HTTP/[\d.]+" (\d{3})')


def start_logged_registry(
    root: Path, storage: Path, *, delete_enabled: bool = False
) -> RunningRegistry:
    """Serve `storage` with every request in root/registry.log (read only unless
    `delete_enabled`: the retention bench deletes)."""
    root.mkdir(parents=True, exist_ok=True)
    port = free_port()
    config = build_config(
        root,
        port=port,
        auth="none",
        delete_enabled=delete_enabled,
        token_server=None,
        users={},
        notifications=None,
    )
    config["log"]["accesslog"]["disabled"] = False
    config["storage"]["filesystem"]["rootdirectory"] = str(storage)
    config_path = root / "config.yml"
    config_path.write_text(json.dumps(config, indent=2))  # JSON is valid YAML
    log_path = root / "registry.log"
    with log_path.open("ab") as log:
        proc = subprocess.Popen(
            [str(REGISTRY_BINARY), "serve", str(config_path)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            # distribution reads REGISTRY_* variables as configuration: a clean environment.
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
        )
    registry = RunningRegistry(
        url=f"http://127.0.0.1:{port}",
        host=f"127.0.0.1:{port}",
        auth="none",
        username=None,
        password=None,
        delete_enabled=delete_enabled,
        root=storage,
        process=proc,
        log_path=log_path,
    )
    if not _wait_ready(registry, proc):
        raise RuntimeError(f"docker-registry exited at start-up:\n{registry.log_tail()}")
    return registry


def kind(method: str, path: str) -> str:
    """What a request asked for, in the words of the targets."""
    if path.startswith("/v2/_catalog"):
        return "catalog"
    if "/tags/list" in path:
        return "tags/list"
    if "/manifests/" in path:
        return f"manifest {method}"
    if "/blobs/" in path:
        return f"blob {method}"
    return f"other {method}"


class AccessLog:
    """Requests the registry logged since the last `mark()`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0

    def mark(self) -> None:
        self.offset = self.path.stat().st_size

    def counts(self) -> Counter[str]:
        with self.path.open("rb") as log:
            log.seek(self.offset)
            text = log.read().decode(errors="replace")
        return Counter(kind(m[1], m[2]) for m in REQUEST_LINE.finditer(text))
