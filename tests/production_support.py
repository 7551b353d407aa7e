"""Helpers for the production tests: real gunicorn processes on free loopback ports, and a
throwaway PostgreSQL cluster that a test may stop and start."""

from __future__ import annotations

import contextlib
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def production_env(tmp: Path, **overrides: str) -> dict[str, str]:
    """A production-like environment built from scratch: nothing leaks in from the test run
    (pytest-django's DJANGO_SETTINGS_MODULE, make test's DATABASE_URL, ...)."""
    env = {
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
        "HOME": str(tmp),
        "LANG": "C.UTF-8",
        "DJANGO_SETTINGS_MODULE": "regfront.settings",
        "DEBUG": "false",
        "SECRET_KEY": "prod-test-" + os.urandom(32).hex(),
        "REGFRONT_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "DATABASE_URL": f"sqlite:///{tmp / 'regfront.sqlite3'}",
        "CACHE_URL": "locmemcache://prodtest",
        "REGFRONT_DATA_DIR": str(tmp),
        "REGFRONT_STATIC_MANIFEST": "false",
        "GUNICORN_WORKERS": "1",
        "GUNICORN_THREADS": "4",
        "GUNICORN_GRACEFUL_TIMEOUT": "5",
    }
    env.update(overrides)
    return env


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def text(self) -> str:
        return self.body.decode()


def get(port: int, path: str, *, headers: dict[str, str] | None = None) -> Reply:
    """One GET on a new connection (so gunicorn may give it to any worker); no redirects."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path, headers={"Host": "localhost", **(headers or {})})
        response = connection.getresponse()
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()},
                     response.read())  # fmt: skip
    finally:
        connection.close()


@dataclass
class Server:
    """A process started with stdout+stderr going to `log`."""

    process: subprocess.Popen
    port: int
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_until_serving(self, path: str = "/healthz", timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"server exited {self.process.returncode}:\n{self.output()}")
            try:
                if get(self.port, path).status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"server did not answer {path} in {timeout}s:\n{self.output()}")

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        return self.process.returncode


def start(args: list[str], env: dict[str, str], log: Path, port: int) -> Server:
    handle = log.open("ab")
    process = subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
    )
    handle.close()
    return Server(process, port, log)


def start_gunicorn(env: dict[str, str], log: Path) -> Server:
    port = free_port()
    env = {**env, "REGFRONT_BIND": f"127.0.0.1:{port}"}
    args = [str(VENV_BIN / "gunicorn"), "-c", "regfront/gunicorn.conf.py", "regfront.wsgi"]
    return start(args, env, log, port)


def start_entrypoint(env: dict[str, str], log: Path) -> Server:
    port = free_port()
    env = {**env, "REGFRONT_BIND": f"127.0.0.1:{port}"}
    return start([str(ROOT / "scripts" / "entrypoint")], env, log, port)


# --- a throwaway PostgreSQL cluster ----------------------------------------------------------


def postgres_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return found[-1].parent if found else None


class ThrowawayPostgres:
    """initdb + pg_ctl in a temporary directory on a free loopback port. As root, runs as the
    `postgres` system user (initdb refuses root). Never touches the machine's own cluster."""

    def __init__(self) -> None:
        bindir = postgres_bin()
        if bindir is None:
            raise RuntimeError("no PostgreSQL server binaries under /usr/lib/postgresql")
        self.bindir = bindir
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="regfront-pg-"))
        self.data = self.dir / "data"
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync",
                  "--no-instructions", "-E", "UTF8")  # fmt: skip

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.bindir / tool), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=60, cwd=self.dir)

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.dir} -c fsync=off "
            "-c full_page_writes=off -c shared_buffers=16MB"
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.dir / "log"), "-o", options,
                  "-w", "-t", "30", "start")  # fmt: skip

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "30", "stop")

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
