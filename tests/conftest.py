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
