"""REGISTRY_* seeding: the command and the data migration share one code path."""

import importlib

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command

from registries.models import Registry

pytestmark = pytest.mark.django_db
migration = importlib.import_module("registries.migrations.0002_seed_registry_from_env")


@pytest.fixture
def seed_env(monkeypatch):
    for key in ("REGISTRY_NAME", "REGISTRY_URL", "REGISTRY_AUTH_BASIC_USER"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.delenv("REGISTRY_AUTH_BASIC_PASSWORD", raising=False)

    def set_env(**values):
        for key, value in values.items():
            monkeypatch.setenv(key, value)

    return set_env


def run_seed(capsys) -> str:
    call_command("seed_registry")
    return capsys.readouterr().out


def test_it_creates_then_leaves_unchanged_then_updates(seed_env, capsys):
    seed_env(
        REGISTRY_NAME="main",
        REGISTRY_URL="HTTPS://Registry.Example.com:5000/v2/",
        REGISTRY_AUTH_BASIC_USER="bob",
        REGISTRY_AUTH_BASIC_PASSWORD="hunter2-secret",
    )
    assert "'main' created: https://registry.example.com:5000" in run_seed(capsys)
    assert "'main' unchanged" in run_seed(capsys)
    seed_env(REGISTRY_AUTH_BASIC_PASSWORD="rotated-secret")
    output = run_seed(capsys)
    assert "'main' updated" in output
    assert "secret" not in output
    registry = Registry.objects.get()
    assert (registry.url, registry.username, registry.password) == (
        "https://registry.example.com:5000",
        "bob",
        "rotated-secret",
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"REGISTRY_NAME": "Bad_Name!", "REGISTRY_URL": "https://r.example"}, "only lowercase"),
        ({"REGISTRY_NAME": "a" * 300, "REGISTRY_URL": "https://r.example"}, "at most 32"),
        ({"REGISTRY_NAME": "", "REGISTRY_URL": "https://r.example"}, "REGISTRY_NAME is missing"),
        ({"REGISTRY_NAME": "main"}, "REGISTRY_URL is missing"),
        ({"REGISTRY_NAME": "main", "REGISTRY_URL": "ftp://r.example"}, "http:// or https://"),
        ({"REGISTRY_NAME": "main", "REGISTRY_URL": "https://u:pw@r.example"}, "not in the URL"),
        ({"REGISTRY_NAME": "main", "REGISTRY_URL": "https://r.example/#x"}, "fragment"),
        ({}, "Set REGISTRY_NAME and REGISTRY_URL"),
    ],
)
def test_it_refuses_bad_input_and_creates_nothing(seed_env, env, message):
    seed_env(**env)
    with pytest.raises(CommandError, match=message) as refused:
        call_command("seed_registry")
    assert "pw@" not in str(refused.value)
    assert Registry.objects.count() == 0


def test_it_exits_non_zero_from_the_shell(seed_env, tmp_path):
    import os
    import subprocess
    import sys

    env = {**os.environ, "REGISTRY_NAME": "Bad_Name!", "REGISTRY_URL": "https://r.example"}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    result = subprocess.run(
        [sys.executable, "manage.py", "seed_registry"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "only lowercase letters" in result.stderr


def test_the_migration_seeds_valid_variables(seed_env):
    seed_env(REGISTRY_NAME="fromenv", REGISTRY_URL="http://127.0.0.1:5000")
    migration.seed(apps, None)
    assert Registry.objects.get().url == "http://127.0.0.1:5000"


def test_the_migration_ignores_invalid_variables(seed_env):
    seed_env(REGISTRY_NAME="Bad_Name!", REGISTRY_URL="http://127.0.0.1:5000")
    migration.seed(apps, None)
    assert Registry.objects.count() == 0
