"""Nobody can stall the whole site: endless listings end with a 504 naming the registry,
single-flight waiters give up at the page deadline, and a per-registry bulkhead answers a
busy registry's visitors with a 503 at once, so /healthz and other registries keep answering
(in-process, and under a real gunicorn with fewer threads than visitors).

The endless registry is the suite's own (tests/support/endless_registry.py): no real registry
sends a Link to one more page forever.
"""

import subprocess
import sys
import threading
import time
from collections.abc import Callable

import pytest

from registries.client import errors
from registries.models import Registry
from registries.services.bulkhead import BUSY_WAIT, registry_place, registry_visit
from registries.services.cache import get_or_compute, make_key
from tests.api_support import schema_errors
from tests.production_support import ROOT, Reply, get, production_env, start_gunicorn
from tests.support.endless_registry import ARTIFACT_DIGEST, endless_registry

pytestmark = pytest.mark.django_db

GENEROUS = 2.0  # seconds: "still answers", not a benchmark
BLOCKED_FOR = 10.0  # seconds a blocked compute would wait if nobody released it


@pytest.fixture
def endless():
    with endless_registry() as server:
        yield server


def in_thread(work) -> tuple[threading.Thread, dict]:
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["value"] = work()
        except Exception as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


# --- single-flight waiters -------------------------------------------------------------------


def first_flight(key: str, ends: Callable[[], list[str]]):
    """A request whose fetch of `key` blocks until `release` is set, then ends with ends()."""
    started, release = threading.Event(), threading.Event()

    def compute() -> list[str]:
        started.set()
        release.wait(BLOCKED_FOR)
        return ends()

    thread, outcome = in_thread(lambda: get_or_compute(key, compute))
    assert started.wait(5)
    return thread, outcome, release


def test_it_gives_up_waiting_for_another_requests_fetch_after_the_page_deadline(settings):
    settings.REGFRONT_PAGE_DEADLINE = 0.3
    key = make_key("tags", "stall-test", "wait")
    first, first_outcome, release = first_flight(key, lambda: ["v1"])
    asked_again = []
    try:
        with pytest.raises(errors.Timeout) as raised:
            get_or_compute(key, lambda: asked_again.append(1))
    finally:
        release.set()
        first.join(5)

    assert "within 0.3 seconds" in raised.value.user_message
    assert asked_again == []  # the waiter never asked the registry itself
    assert first_outcome == {"value": ["v1"]}
    assert get_or_compute(key, lambda: ["other"]) == ["v1"]  # cached by the first


def test_it_hands_a_failed_fetch_to_the_requests_that_waited_for_it(settings):
    settings.REGFRONT_PAGE_DEADLINE = 5
    key = make_key("tags", "stall-test", "failure")

    def went_away() -> list[str]:
        raise errors.Unreachable("The endless registry went away.")

    first, first_outcome, release = first_flight(key, went_away)
    asked_again = []
    waiter, waiter_outcome = in_thread(lambda: get_or_compute(key, lambda: asked_again.append(1)))
    time.sleep(0.3)  # let the waiter reach the lock
    release.set()
    first.join(5)
    waiter.join(5)

    assert isinstance(first_outcome["error"], errors.Unreachable)
    assert isinstance(waiter_outcome["error"], errors.Unreachable)
    assert waiter_outcome["error"] is not first_outcome["error"]  # a copy per thread
    assert waiter_outcome["error"].user_message == "The endless registry went away."
    assert asked_again == []
    # A later request is a new flight: it asks again.
    assert get_or_compute(key, lambda: ["back"]) == ["back"]


# --- endless listings as pages ---------------------------------------------------------------


def test_an_endless_catalog_or_tag_list_is_a_504_page_naming_the_registry(
    client, settings, endless
):
    settings.REGFRONT_LISTING_MAX_PAGES = 5
    Registry.objects.create(name="endless", url=endless.url)

    for path, what in (("/registry/endless/", "catalog"), ("/registry/endless/app/", "tag list")):
        response = client.get(path)
        assert response.status_code == 504
        page = response.content.decode()
        assert "<strong>endless</strong>" in page
        assert f"{what} did not end within 5 pages" in page
    assert endless.pages == {"catalog": 5, "tags": 5}


def test_a_tag_page_shows_its_manifest_when_the_tag_list_never_ends(client, settings, endless):
    settings.REGFRONT_LISTING_MAX_PAGES = 3
    Registry.objects.create(name="endless", url=endless.url)

    response = client.get("/registry/endless/app:v1")
    assert response.status_code == 200
    page = response.content.decode()
    assert ARTIFACT_DIGEST in page
    assert "too many tags to check them all" in page
    assert endless.pages["tags"] == 3


def test_an_endless_listing_is_a_504_in_the_api(client, settings, endless):
    settings.REGFRONT_LISTING_DEADLINE = 0.3
    Registry.objects.create(name="endless", url=endless.url)

    for path in (
        "/api/v1/registries/endless/repositories",
        "/api/v1/registries/endless/repositories/app/tags",
    ):
        response = client.get(path)
        assert response.status_code == 504
        body = response.json()
        assert schema_errors("Error", body) == []
        assert body["error"]["code"] == "registry_list_too_long"
        assert "did not end within 0.3 seconds" in body["error"]["message"]


# --- the bulkhead ----------------------------------------------------------------------------


@pytest.fixture
def local(registry_open, registry_row):
    return registry_row(registry_open, name="local")


def test_a_registry_with_every_place_taken_is_a_503_naming_it(
    client, settings, local, registry_open, registry_row
):
    settings.REGFRONT_REGISTRY_CONCURRENT_PAGES = 1
    registry_row(registry_open, name="other")

    with registry_place(local):  # another request holds local's one place
        for path in ("/registry/local/", "/registry/local/app/", "/registry/local/app:1.2.0"):
            response = client.get(path)
            assert response.status_code == 503
            assert response["Retry-After"] == "5"
            page = response.content.decode()
            assert "busy" in page
            assert "<strong>local</strong>" in page
        assert client.get("/registry/other/").status_code == 200  # its own places
        assert client.get("/").status_code == 200  # the home page's status checks

    # Places come back after busy answers and after served pages alike.
    assert client.get("/registry/local/").status_code == 200
    assert client.get("/registry/local/app/").status_code == 200


def test_it_serves_pages_it_has_cached_while_every_place_is_taken(client, settings, local):
    settings.REGFRONT_REGISTRY_CONCURRENT_PAGES = 1
    paths = ("/registry/local/", "/registry/local/app/", "/api/v1/registries/local/repositories")
    for path in paths:
        assert client.get(path).status_code == 200  # now cached

    with registry_place(local):  # another request waits on the registry
        for path in paths:
            assert client.get(path).status_code == 200, path
        assert client.get("/registry/local/app/?refresh=1").status_code == 503


def test_a_burst_waiting_on_a_quick_fetch_needs_no_place(settings, local):
    """A popular entry expiring under load: many requests miss it at once, one asks the
    registry (holding the only place), the others wait a moment for it and are not busy."""
    settings.REGFRONT_REGISTRY_CONCURRENT_PAGES = 1
    key = make_key("tags", "burst-test")
    started, release = threading.Event(), threading.Event()

    def fetch() -> list[str]:
        started.set()
        release.wait(BLOCKED_FOR)
        return ["v1"]

    def visit(compute) -> list[str]:
        with registry_visit(local):
            return get_or_compute(key, compute)

    first, first_outcome = in_thread(lambda: visit(fetch))
    assert started.wait(5)
    asked_again: list[int] = []
    waiters = [in_thread(lambda: visit(lambda: asked_again.append(1))) for _ in range(6)]
    time.sleep(BUSY_WAIT * 1.5)  # past the wait for a place, within FLIGHT_GRACE
    assert all(outcome == {} for _, outcome in waiters)  # nobody was turned away
    release.set()
    for thread, _ in [(first, first_outcome), *waiters]:
        thread.join(5)

    assert first_outcome == {"value": ["v1"]}
    assert [outcome for _, outcome in waiters] == [{"value": ["v1"]}] * 6
    assert asked_again == []


def test_the_api_answers_busy_as_json_with_retry_after(client, settings, local):
    settings.REGFRONT_REGISTRY_CONCURRENT_PAGES = 1

    with registry_place(local):
        for path in (
            "/api/v1/registries/local/repositories",
            "/api/v1/registries/local/repositories/app/tags",
            "/api/v1/registries/local/repositories/app/manifests/1.2.0",
        ):
            response = client.get(path)
            assert response.status_code == 503
            assert response["Retry-After"] == "5"
            body = response.json()
            assert schema_errors("Error", body) == []
            assert body["error"]["code"] == "registry_busy"
        # The registry's status is deadline-bound on its own and takes no place.
        assert client.get("/api/v1/registries/local").status_code == 200

    assert client.get("/api/v1/registries/local/repositories").status_code == 200


# --- under a real gunicorn -------------------------------------------------------------------

VISITORS = 12  # more than gunicorn's threads
HAMMER_SECONDS = 3.0


@pytest.fixture
def site(tmp_path, registry_open):
    """gunicorn (1 process x 4 threads) with an endless registry and a real one."""
    with endless_registry(delay=0.02) as endless:
        env = production_env(
            tmp_path,
            REGISTRY_NAME="local",  # created by migrate's data migration
            REGISTRY_URL=registry_open.url,
            REGFRONT_LISTING_DEADLINE="1.5",
            REGFRONT_PAGE_DEADLINE="2",
            REGFRONT_REGISTRY_CONCURRENT_PAGES="2",
            GUNICORN_WORKERS="1",
            GUNICORN_THREADS="4",
        )
        manage = [sys.executable, "manage.py"]
        subprocess.run([*manage, "migrate", "--no-input"], cwd=ROOT, env=env, check=True,
                       capture_output=True, timeout=120)  # fmt: skip
        seed = env | {"REGISTRY_NAME": "endless", "REGISTRY_URL": endless.url}
        subprocess.run([*manage, "seed_registry"], cwd=ROOT, env=seed, check=True,
                       capture_output=True, timeout=60)  # fmt: skip
        server = start_gunicorn(env, tmp_path / "gunicorn.log")
        try:
            server.wait_until_serving()
            yield server, endless
        finally:
            server.stop()


def timed_get(port: int, path: str) -> tuple[Reply, float]:
    started = time.monotonic()
    reply = get(port, path)
    return reply, time.monotonic() - started


def test_one_endless_registry_cannot_stall_the_site_under_gunicorn(site):
    server, endless = site
    port = server.port
    assert get(port, "/registry/local/").status == 200  # warm, as a visitor would find it
    stop_at = time.monotonic() + HAMMER_SECONDS
    replies: list[Reply] = []
    failures: list[str] = []

    def visitor() -> None:
        while time.monotonic() < stop_at:
            try:
                replies.append(get(port, "/registry/endless/"))  # 10 s client timeout
            except OSError as exc:
                failures.append(repr(exc))

    visitors = [threading.Thread(target=visitor) for _ in range(VISITORS)]
    for thread in visitors:
        thread.start()
    time.sleep(0.5)  # every gunicorn thread is asked for the endless registry by now
    probes: list[tuple[str, int, float]] = []
    while time.monotonic() < stop_at - 0.3:
        for path in ("/healthz", "/registry/local/", "/", "/api/v1/registries/local"):
            reply, seconds = timed_get(port, path)
            probes.append((path, reply.status, seconds))
    for thread in visitors:
        thread.join(30)

    assert failures == [], failures  # no visitor hung up to its 10 s timeout
    assert probes and all(status == 200 for _, status, _ in probes), probes
    slowest = max(seconds for _, _, seconds in probes)
    assert slowest < GENEROUS, probes
    statuses = {reply.status for reply in replies}
    assert statuses == {503, 504}, statuses  # never a 500, never a 200 of a partial list
    busy = next(reply for reply in replies if reply.status == 503)
    assert busy.headers["retry-after"] == "5"
    assert "<strong>endless</strong>" in busy.text()
    too_long = next(reply for reply in replies if reply.status == 504)
    assert "catalog did not end within 1.5 seconds" in too_long.text()
    assert endless.pages["catalog"] > 0
