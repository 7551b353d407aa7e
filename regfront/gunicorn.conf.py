"""gunicorn configuration: `gunicorn -c regfront/gunicorn.conf.py regfront.wsgi`.

Every value can be changed from the environment (README, "Production"); GUNICORN_CMD_ARGS
still overrides anything here. Defaults suit a 2-core machine: 2 processes x 8 threads.
regfront spends most of a request waiting on registries, PostgreSQL and Redis, so threads
(gthread) carry the concurrency and processes use the cores.
"""

import glob
import os
import shutil
import tempfile


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def _str(name: str, default: str) -> str:
    return os.environ.get(name, "").strip() or default


bind = [address.strip() for address in _str("REGFRONT_BIND", "127.0.0.1:8000").split(",")]
worker_class = "gthread"
workers = _int("GUNICORN_WORKERS", 2)
threads = _int("GUNICORN_THREADS", 8)
# A worker silent for this long is killed; pages have their own, shorter, deadline
# (REGFRONT_PAGE_DEADLINE) and one registry holds at most REGFRONT_REGISTRY_CONCURRENT_PAGES
# threads, so this only catches a stuck process. No setting here times out a client that
# sends its request slowly: a buffering proxy in front does (deploy/nginx.conf, README).
timeout = _int("GUNICORN_TIMEOUT", 60)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)  # finish requests on SIGTERM
# Above a typical load balancer's idle probe and deploy/nginx.conf's upstream keepalive (4 s),
# so the proxy closes an idle connection before gunicorn does. Idle connections wait in the
# worker's poller, not in a thread.
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# Recycle workers now and then (memory fragmentation); the jitter keeps them from all
# restarting at once.
max_requests = _int("GUNICORN_MAX_REQUESTS", 5000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 500)
# regfront logs one line per request itself (regfront.request); set GUNICORN_ACCESSLOG=- to
# get gunicorn's as well. Note gunicorn's access log contains query strings.
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None
errorlog = "-"
loglevel = _str("GUNICORN_LOGLEVEL", "info")
# Heartbeat files in memory, not on a container's overlay filesystem.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108
# gunicorn's control socket would sit at one path per user, shared by every instance on the
# machine; off unless asked for.
if os.environ.get("GUNICORN_CONTROL_SOCKET"):
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]
else:
    control_socket_disable = True

if _str("REGFRONT_LOG_FORMAT", "plain") == "json":
    # gunicorn's own messages in the same JSON lines as the application's.
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "regfront.logformat.JSONFormatter"}},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            },
            "null": {"class": "logging.NullHandler"},
        },
        "root": {"handlers": ["console"], "level": "INFO"},
        "loggers": {
            "gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False},
            # With a logging config gunicorn always logs access lines: drop them unless asked.
            "gunicorn.access": {
                "handlers": ["console" if accesslog else "null"],
                "level": "INFO",
                "propagate": False,
            },
        },
    }

# Prometheus multiprocess mode: each worker writes its samples to files in this directory and
# /metrics adds them up, so a scrape sees the whole instance, not one worker. The variable
# must be set before a worker imports prometheus_client, hence here, in the master.
# https://prometheus.github.io/client_python/multiprocess/
_own_metrics_dir = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if _own_metrics_dir:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="regfront-metrics-")
_metrics_dir = os.environ["PROMETHEUS_MULTIPROC_DIR"]


def on_starting(server):
    # Samples of a previous run would be added to this one's.
    os.makedirs(_metrics_dir, exist_ok=True)
    for path in glob.glob(os.path.join(_metrics_dir, "*.db")):
        os.remove(path)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid, _metrics_dir)


def on_exit(server):
    if _own_metrics_dir:
        shutil.rmtree(_metrics_dir, ignore_errors=True)
