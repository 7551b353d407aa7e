"""The REGFRONT_OIDC_* variables make the OIDC_* settings, each checked in a fresh process."""

import json
import subprocess

from tests.production_support import ROOT, VENV_BIN, production_env

SHOW = """
import json, django
django.setup()
from django.conf import settings as s
names = ["OIDC_RP_CLIENT_ID", "OIDC_RP_CLIENT_SECRET", "OIDC_RP_SCOPES", "OIDC_RP_SIGN_ALGO",
         "OIDC_OP_AUTHORIZATION_ENDPOINT", "OIDC_OP_TOKEN_ENDPOINT", "OIDC_OP_USER_ENDPOINT",
         "OIDC_OP_JWKS_ENDPOINT", "OIDC_USE_PKCE", "OIDC_STORE_ID_TOKEN",
         "OIDC_OP_LOGOUT_URL_METHOD", "AUTHENTICATION_BACKENDS", "REGFRONT_OIDC_ISSUER",
         "REGFRONT_OIDC_GROUPS_CLAIM", "REGFRONT_OIDC_ONLY", "REGFRONT_OIDC_PROVIDER_NAME"]
out = {n: getattr(s, n, None) for n in names}
for n in names:
    if n.startswith("OIDC_OP_") and n.endswith("ENDPOINT") and out[n] is not None:
        out[n] = str(out[n])
out["form-action"] = s.SECURE_CSP["form-action"]
print(json.dumps(out))
"""


def _python(tmp_path, code: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(VENV_BIN / "python"), "-c", code],
        cwd=ROOT,
        env=production_env(tmp_path, **env),
        capture_output=True,
        text=True,
        timeout=60,
    )


def _settings(tmp_path, **env: str) -> dict:
    result = _python(tmp_path, SHOW, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_environment_configures_the_library(tmp_path, oidc_provider):
    secret = tmp_path / "client-secret"
    secret.write_text("from-a-file\n")

    got = _settings(
        tmp_path,
        REGFRONT_OIDC_ISSUER=oidc_provider.issuer + "/",
        REGFRONT_OIDC_CLIENT_ID="regfront",
        REGFRONT_OIDC_CLIENT_SECRET_FILE=str(secret),
        REGFRONT_OIDC_GROUPS_CLAIM="realm_access.roles",
    )

    issuer = oidc_provider.issuer
    assert got == {
        "OIDC_RP_CLIENT_ID": "regfront",
        "OIDC_RP_CLIENT_SECRET": "from-a-file",
        "OIDC_RP_SCOPES": "openid email profile",
        "OIDC_RP_SIGN_ALGO": "RS256",
        # Read from the provider's discovery document when first used.
        "OIDC_OP_AUTHORIZATION_ENDPOINT": issuer + "/authorize",
        "OIDC_OP_TOKEN_ENDPOINT": issuer + "/token",
        "OIDC_OP_USER_ENDPOINT": issuer + "/userinfo",
        "OIDC_OP_JWKS_ENDPOINT": issuer + "/jwks",
        "OIDC_USE_PKCE": True,
        "OIDC_STORE_ID_TOKEN": True,
        "OIDC_OP_LOGOUT_URL_METHOD": "registries.sso.views.provider_logout_url",
        "AUTHENTICATION_BACKENDS": [
            "django.contrib.auth.backends.ModelBackend",
            "registries.sso.backend.SSOBackend",
        ],
        "REGFRONT_OIDC_ISSUER": issuer,
        "REGFRONT_OIDC_GROUPS_CLAIM": "realm_access.roles",
        "REGFRONT_OIDC_ONLY": False,
        "REGFRONT_OIDC_PROVIDER_NAME": "127.0.0.1",
        "form-action": ["'self'", oidc_provider.origin],
    }
    assert oidc_provider.paths() == ["/.well-known/openid-configuration"]


def test_only_drops_password_logins(tmp_path, oidc_provider):
    got = _settings(
        tmp_path,
        REGFRONT_OIDC_ISSUER=oidc_provider.issuer,
        REGFRONT_OIDC_CLIENT_ID="regfront",
        REGFRONT_OIDC_CLIENT_SECRET="s3cret",
        REGFRONT_OIDC_SCOPES="openid email profile groups",
        REGFRONT_OIDC_ONLY="true",
        REGFRONT_OIDC_PROVIDER_NAME="Acme SSO",
    )

    assert got["AUTHENTICATION_BACKENDS"] == ["registries.sso.backend.SSOBackend"]
    assert got["OIDC_RP_SCOPES"] == "openid email profile groups"
    assert got["REGFRONT_OIDC_PROVIDER_NAME"] == "Acme SSO"
    assert got["REGFRONT_OIDC_ONLY"] is True


def test_it_is_off_without_an_issuer(tmp_path):
    got = _settings(tmp_path)

    assert got["OIDC_RP_CLIENT_ID"] is None
    assert got["AUTHENTICATION_BACKENDS"] == ["django.contrib.auth.backends.ModelBackend"]
    assert got["form-action"] == ["'self'"]


def test_a_provider_that_is_down_does_not_stop_start_up(tmp_path, closed_port_url):
    result = _python(
        tmp_path,
        "import django; django.setup(); print('started')",
        REGFRONT_OIDC_ISSUER=closed_port_url,
        REGFRONT_OIDC_CLIENT_ID="regfront",
        REGFRONT_OIDC_CLIENT_SECRET="s3cret",
    )

    assert (result.returncode, result.stdout.strip()) == (0, "started"), result.stderr


def test_mistakes_fail_at_start_up(tmp_path):
    cases = [
        ({"REGFRONT_OIDC_ONLY": "true"}, "REGFRONT_OIDC_ONLY needs REGFRONT_OIDC_ISSUER"),
        (
            {"REGFRONT_OIDC_ISSUER": "https://sso.example.com", "REGFRONT_OIDC_CLIENT_ID": "x"},
            "REGFRONT_OIDC_ISSUER needs REGFRONT_OIDC_CLIENT_ID and REGFRONT_OIDC_CLIENT_SECRET",
        ),
        ({"REGFRONT_OIDC_ISSUER": "sso.example.com"}, "must be the provider's URL"),
        (
            {
                "REGFRONT_OIDC_ISSUER": "https://sso.example.com",
                "REGFRONT_OIDC_CLIENT_ID": "x",
                "REGFRONT_OIDC_CLIENT_SECRET": "y",
                "REGFRONT_OIDC_SCOPES": "email profile",
            },
            "REGFRONT_OIDC_SCOPES must include openid",
        ),
    ]
    for env, message in cases:
        result = _python(tmp_path, "import django; django.setup()", **env)
        assert result.returncode == 1, (env, result.stderr)
        assert message in result.stderr
