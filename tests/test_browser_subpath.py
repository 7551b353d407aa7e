"""regfront served under /registry-ui/ (gunicorn, production settings) in a real browser."""

import subprocess
import sys

import pytest
from playwright.sync_api import expect

from tests.browser import check_page, guard_third_party
from tests.production_support import ROOT, production_env, start_gunicorn

PREFIX = "/registry-ui"
pytestmark = pytest.mark.browser


@pytest.fixture
def subpath_site(tmp_path, registry_open):
    # gunicorn's SCRIPT_NAME strips the prefix as a reverse proxy would.
    env = production_env(tmp_path, REGFRONT_URL_PREFIX=PREFIX, SCRIPT_NAME=PREFIX)
    env.update(
        REGISTRY_NAME="local",
        REGISTRY_URL=registry_open.url,
        REGFRONT_STATIC_ROOT=str(tmp_path / "static"),
        REGFRONT_STATIC_MANIFEST="true",  # hashed names, as the image serves them
    )
    for command in (["collectstatic", "--no-input"], ["migrate", "--no-input"]):
        subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=ROOT, env=env, check=True, capture_output=True, timeout=120,
        )  # fmt: skip
    server = start_gunicorn(env, tmp_path / "gunicorn.log")
    try:
        server.wait_until_serving(f"{PREFIX}/healthz")
        yield f"http://127.0.0.1:{server.port}{PREFIX}"
    finally:
        server.stop()


def test_every_link_and_asset_carries_the_prefix(browser, subpath_site):
    offenders: list[str] = []
    requested: list[str] = []
    page = browser.new_page()
    guard_third_party(page, offenders)
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{subpath_site}/")
    page.get_by_role("link", name="local").click()
    expect(page).to_have_url(f"{subpath_site}/registry/local/")
    page.get_by_role("link", name="app", exact=True).click()
    page.get_by_role("link", name="1.2.0").click()
    expect(page).to_have_url(f"{subpath_site}/registry/local/app:1.2.0")
    # The stylesheet loaded from under the prefix: the header is styled, not default.
    display = page.evaluate("getComputedStyle(document.querySelector('.site-header')).display")
    assert display == "flex"
    check_page(page, "subpath-tag")
    page.close()
    assert offenders == []
    assert requested and all(url.startswith(subpath_site) for url in requested), requested
