"""Shared helpers for the browser tests: Debian's Chromium driven by Playwright.

Every page visited is checked with axe-core (no serious or critical violation), for sideways
scrolling at phone width, and every request must stay on the test server.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit

from axe_playwright_python.sync_playwright import Axe

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
PHONE = {"width": 390, "height": 844}
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]"}

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# between browser steps are still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

_axe = Axe()


def serious_violations(page) -> list[str]:
    results = _axe.run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def check_page(page, name: str) -> None:
    """Accessibility, layout and a screenshot for the page currently shown."""
    assert serious_violations(page) == [], name
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.viewport_size["width"]
    assert width <= viewport, f"{name}: {width}px wide in a {viewport}px viewport"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def guard_third_party(page, offenders: list[str]) -> None:
    """Record any request that leaves for a host other than the test server."""

    def on_request(request) -> None:
        host = urlsplit(request.url).hostname or ""
        if request.url.startswith(("data:", "blob:")):
            return
        if host not in {h.strip("[]") for h in LOCAL_HOSTS}:
            offenders.append(request.url)

    page.on("request", on_request)


def log_in(page, base_url: str, username: str, password: str, *, next_path: str = "") -> None:
    """Sign in through the login page as a person would."""
    page.goto(f"{base_url}/accounts/login/" + (f"?next={next_path}" if next_path else ""))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
