"""Shared fixtures. Real registries come from tests/support/fixtures.py."""

import pytest
from django.conf import settings

pytest_plugins = ["tests.support.fixtures"]


def pytest_collection_modifyitems(config, items):
    # The PostgreSQL-only tests (row locking under many threads) run in the PostgreSQL pass.
    on_postgres = "postgresql" in settings.DATABASES["default"]["ENGINE"]
    if not on_postgres:
        deselected = [item for item in items if "postgres" in item.keywords]
        if deselected:
            config.hook.pytest_deselected(items=deselected)
            items[:] = [item for item in items if "postgres" not in item.keywords]


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def registry_row(db):
    """Save a Registry row for a RunningRegistry from tests/support (name defaults to its auth)."""
    from registries.models import Registry

    def make(running, *, name: str | None = None, password: str | None = None) -> Registry:
        return Registry.objects.create(
            name=name or f"{running.auth}reg",
            url=running.url,
            username=running.username or "",
            password=(running.password or "") if password is None else password,
        )

    return make


@pytest.fixture
def silent_server():
    """A loopback port that accepts connections and never answers: a hung registry."""
    import socket
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    listener.close()


@pytest.fixture
def closed_port_url():
    """A loopback URL nothing listens on: an unreachable registry."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


# Named personas: one per permission path the portal distinguishes.
PERSONAS = {
    "pat": {},  # a plain signed-in user
    "adam": {"perms": ["add_registry"]},
    "chris": {"perms": ["change_registry"]},
    "remy": {"perms": ["delete_registry"]},
    "dora": {"perms": ["delete_manifest"]},
    "cara": {"perms": ["change_manifest"]},  # restores, adds tags, copies and promotes
    "stella": {"is_staff": True},
    "sue": {"is_superuser": True, "is_staff": True},
}


@pytest.fixture
def persona(db, client):
    """persona("dora") logs the test client in as that person and returns the user."""
    from django.contrib.auth.models import Permission, User

    def log_in(name: str):
        spec = PERSONAS[name]
        user = User.objects.create_user(
            name,
            password=f"{name}-password-123",
            is_staff=spec.get("is_staff", False),
            is_superuser=spec.get("is_superuser", False),
        )
        for codename in spec.get("perms", []):
            user.user_permissions.add(Permission.objects.get(codename=codename))
        client.force_login(user)
        return user

    return log_in


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium through Playwright, one per test module (Playwright's sync API
    cannot nest, so no browser outlives its module)."""
    from playwright.sync_api import sync_playwright

    from tests.browser import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def registry_requests():
    """Every real HTTP request regfront sends to a registry while the test runs."""
    from registries.services.clients import add_observer, remove_observer

    seen = []
    add_observer(seen.append)
    yield seen
    remove_observer(seen.append)
