"""Start Debian's `docker-registry` (distribution 2.8) on a free loopback port.

Config reference: https://distribution.github.io/distribution/about/configuration/
"""

from __future__ import annotations

import ctypes
import json
import os
import secrets
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import requests

if TYPE_CHECKING:
    from tests.support.images import Dataset
    from tests.support.token_server import TokenServer

REGISTRY_BINARY = Path("/usr/bin/docker-registry")
START_TIMEOUT = 15.0
Auth = Literal["none", "basic", "token"]
DEFAULT_USERS = {"alice": "wonderland-s3cret"}


@dataclass
class RunningRegistry:
    url: str
    host: str
    auth: Auth
    username: str | None
    password: str | None
    delete_enabled: bool
    root: Path
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    log_path: Path | None = None
    token_server: TokenServer | None = None
    # Filled by the pytest fixtures: what `push_standard_dataset` pushed.
    dataset: Dataset | None = None
    # Per-registry keep-alive session used by tests.support.images (lazy).
    push_client: Any = field(default=None, repr=False, compare=False)

    @property
    def credentials(self) -> tuple[str, str] | None:
        if self.username is None or self.password is None:
            return None
        return (self.username, self.password)

    def log_tail(self, lines: int = 30) -> str:
        if self.log_path is None or not self.log_path.exists():
            return "(no log)"
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.push_client is not None:
            self.push_client.close()
            self.push_client = None
        proc, self.process = self.process, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)

    def __enter__(self) -> RunningRegistry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def htpasswd_lines(users: dict[str, str]) -> str:
    # Cost 4 (the minimum): distribution re-checks bcrypt on EVERY request, and the
    # default cost 12 makes each basic-auth request take ~250 ms.
    import bcrypt  # dev requirement; only basic-auth registries need it

    return "".join(
        f"{user}:{bcrypt.hashpw(pw.encode(), bcrypt.gensalt(rounds=4)).decode()}\n"
        for user, pw in users.items()
    )


def build_config(
    tmp_dir: Path,
    *,
    port: int,
    auth: Auth,
    delete_enabled: bool,
    token_server: TokenServer | None,
    users: dict[str, str],
    notifications: list[dict[str, Any]] | None,
) -> dict[str, Any]:
    config: dict[str, Any] = {
        "version": 0.1,
        "log": {"level": "warn", "accesslog": {"disabled": True}},
        "storage": {
            "filesystem": {"rootdirectory": str(tmp_dir / "storage")},
            "delete": {"enabled": delete_enabled},
            "cache": {"blobdescriptor": "inmemory"},
            # No background walks of the storage while tests run.
            "maintenance": {"uploadpurging": {"enabled": False}},
        },
        "http": {
            "addr": f"127.0.0.1:{port}",
            "secret": secrets.token_hex(16),
            "headers": {"X-Content-Type-Options": ["nosniff"]},
        },
    }
    if auth == "basic":
        htpasswd = tmp_dir / "htpasswd"
        htpasswd.write_text(htpasswd_lines(users))
        config["auth"] = {"htpasswd": {"realm": "regfront-test", "path": str(htpasswd)}}
    elif auth == "token":
        if token_server is None:
            raise ValueError("auth='token' needs a started token_server")
        config["auth"] = {
            "token": {
                "realm": token_server.realm,
                "service": token_server.service,
                "issuer": token_server.issuer,
                "rootcertbundle": str(token_server.rootcertbundle),
            }
        }
    elif auth != "none":
        raise ValueError(f"unknown auth {auth!r}")
    if notifications:
        config["notifications"] = {"endpoints": notifications}
    return config


def _die_with_parent() -> None:
    # Linux: SIGTERM the registry if the test process dies, so no registry outlives a
    # crashed or killed pytest on a shared machine. (Tied to the starting thread.)
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _wait_ready(reg: RunningRegistry, proc: subprocess.Popen[bytes]) -> bool:
    """True when /v2/ answers; False if the process died (e.g. port taken)."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            resp = requests.get(f"{reg.url}/v2/", timeout=1)
            if resp.status_code in (200, 401):
                return True
        except requests.ConnectionError:
            pass
        time.sleep(0.05)
    reg.stop()
    raise RuntimeError(
        f"docker-registry did not answer {reg.url}/v2/ within {START_TIMEOUT:.0f}s.\n"
        f"Log tail ({reg.log_path}):\n{reg.log_tail()}"
    )


def start_registry(
    tmp_dir: Path,
    *,
    auth: Auth = "none",
    delete_enabled: bool = True,
    token_server: TokenServer | None = None,
    users: dict[str, str] | None = None,
    notifications: list[dict[str, Any]] | None = None,
) -> RunningRegistry:
    """Write config.yml under `tmp_dir`, start `docker-registry serve`, wait for /v2/."""
    if not REGISTRY_BINARY.exists():
        raise RuntimeError(
            f"{REGISTRY_BINARY} is missing: run `make test` (it installs Debian's "
            "docker-registry package), or `apt-get install docker-registry`."
        )
    if auth == "token" and token_server is not None:
        users = users if users is not None else token_server.users
    users = users if users is not None else DEFAULT_USERS
    tmp_dir.mkdir(parents=True, exist_ok=True)
    username, password = next(iter(users.items())) if auth != "none" and users else (None, None)
    last_log = ""
    for _attempt in range(3):  # a free port can be taken by someone else before we bind it
        port = free_port()
        config = build_config(
            tmp_dir,
            port=port,
            auth=auth,
            delete_enabled=delete_enabled,
            token_server=token_server,
            users=users,
            notifications=notifications,
        )
        config_path = tmp_dir / "config.yml"
        config_path.write_text(json.dumps(config, indent=2))  # JSON is valid YAML
        log_path = tmp_dir / "registry.log"
        with log_path.open("ab") as log:
            proc = subprocess.Popen(
                [str(REGISTRY_BINARY), "serve", str(config_path)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent,
                # A clean environment: distribution reads REGISTRY_* variables as config
                # overrides, and regfront's own REGISTRY_AUTH_BASIC_USER makes it panic.
                env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
            )
        reg = RunningRegistry(
            url=f"http://127.0.0.1:{port}",
            host=f"127.0.0.1:{port}",
            auth=auth,
            username=username,
            password=password,
            delete_enabled=delete_enabled,
            root=tmp_dir / "storage",
            process=proc,
            log_path=log_path,
            token_server=token_server,
        )
        if _wait_ready(reg, proc):
            return reg
        last_log = reg.log_tail()
        if "address already in use" not in last_log:
            break
    raise RuntimeError(f"docker-registry exited at start-up. Log tail:\n{last_log}")
