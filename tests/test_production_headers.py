"""Security headers on real responses, and pages that need no inline script or style."""

import re

import pytest

POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


@pytest.fixture
def admin_user(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.com", "unused-pw-123")


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/admin/login/"])
def test_it_sends_csp_frame_nosniff_and_referrer_headers(client, path):
    response = client.get(path)

    assert response.status_code == 200
    assert response["Content-Security-Policy"] == POLICY
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.django_db
def test_it_sends_no_hsts_and_no_redirect_when_https_is_off(client):
    # The test settings leave REGFRONT_HTTPS off; with it on, test_production_server checks
    # the redirect and the Strict-Transport-Security header on a real gunicorn.
    response = client.get("/", secure=True)

    assert response.status_code == 200
    assert "Strict-Transport-Security" not in response


def _inline_code(html: str) -> list[str]:
    scripts = [tag for tag in re.findall(r"<script\b[^>]*>", html) if "src=" not in tag]
    scripts = [tag for tag in scripts if 'type="application/json"' not in tag]  # data
    styles = re.findall(r"<style\b|\sstyle=\"", html)
    handlers = re.findall(r"\son[a-z]+=\"", html)
    return scripts + styles + handlers


@pytest.mark.django_db
def test_it_renders_admin_pages_without_inline_script_or_style(client, admin_user):
    client.force_login(admin_user)
    pages = [
        "/admin/",
        "/admin/registries/registry/",
        "/admin/registries/registry/add/",
        "/admin/auth/user/",
        f"/admin/auth/user/{admin_user.pk}/change/",
        f"/admin/auth/user/{admin_user.pk}/password/",
        "/admin/password_change/",
    ]
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        assert _inline_code(response.content.decode()) == [], path
