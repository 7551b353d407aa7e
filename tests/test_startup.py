"""A misconfigured production start stops with one clear sentence, not a traceback."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command

ROOT = Path(__file__).resolve().parent.parent
GOOD_SECRET = "x" * 50


def manage_check(tmp_path, **env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("REGFRONT_", "SECRET_KEY"))}
    clean.update(DEBUG="false", DJANGO_SETTINGS_MODULE="regfront.settings")
    clean["DATABASE_URL"] = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"REGFRONT_ENCRYPTION_KEYS": "k"}, "SECRET_KEY (or SECRET_KEY_FILE) must be set"),
        ({"SECRET_KEY": "short", "REGFRONT_ENCRYPTION_KEYS": "k"}, "at least 32 characters"),
        ({"SECRET_KEY": GOOD_SECRET}, "REGFRONT_ENCRYPTION_KEYS (or"),
        ({"SECRET_KEY": GOOD_SECRET, "REGFRONT_ENCRYPTION_KEYS": "not-a-key"}, "entry 1 is not"),
    ],
)
def test_it_stops_with_one_clear_sentence(tmp_path, env, message):
    result = manage_check(tmp_path, **env)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_it_reads_secrets_from_files(tmp_path):
    (tmp_path / "secret").write_text(GOOD_SECRET)
    (tmp_path / "keys").write_text(Fernet.generate_key().decode())
    result = manage_check(
        tmp_path,
        SECRET_KEY_FILE=str(tmp_path / "secret"),
        REGFRONT_ENCRYPTION_KEYS_FILE=str(tmp_path / "keys"),
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


@pytest.mark.django_db
def test_it_has_no_missing_migrations():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
