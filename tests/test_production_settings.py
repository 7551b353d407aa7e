"""Production settings, each checked in a fresh process with its own environment."""

import re
import subprocess

from tests.production_support import ROOT, VENV_BIN, production_env

HTTPS_WARNINGS = ("security.W004", "security.W008", "security.W012", "security.W016")


def _manage(tmp_path, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(VENV_BIN / "python"), "manage.py", *args],
        cwd=ROOT,
        env=production_env(tmp_path, **env),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_it_passes_check_deploy_in_production(tmp_path):
    result = _manage(
        tmp_path,
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        REGFRONT_HTTPS="true",
        REGFRONT_BEHIND_PROXY="true",
        ALLOWED_HOSTS="registry-ui.example.com",
        REGFRONT_CSRF_TRUSTED_ORIGINS="https://registry-ui.example.com",
        REGFRONT_STATIC_MANIFEST="true",
        SECRET_KEY_FALLBACKS="previous-" + "k3y" * 20,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_it_names_the_https_warnings_when_https_is_off(tmp_path):
    # Documented in the README: without REGFRONT_HTTPS, check --deploy asks for HSTS, the
    # redirect and secure cookies, and nothing else.
    result = _manage(tmp_path, "check", "--deploy")

    reported = sorted(set(re.findall(r"security\.W\d+", result.stderr)))
    assert reported == list(HTTPS_WARNINGS), result.stderr


def test_it_refuses_a_malformed_url_prefix(tmp_path):
    result = _manage(tmp_path, "check", REGFRONT_URL_PREFIX="registry-ui")

    assert result.returncode == 1
    assert result.stderr.strip() == (
        "regfront: REGFRONT_URL_PREFIX must look like /registry-ui (a path, no trailing slash)."
    )


def test_it_refuses_a_malformed_metrics_allowlist(tmp_path):
    result = _manage(tmp_path, "check", REGFRONT_METRICS="10.0.0.0/8,not-an-ip")

    assert result.returncode == 1
    assert "REGFRONT_METRICS: 'not-an-ip' is not an IP address or network" in result.stderr
