"""Headless Chromium (Debian's, driven by Playwright) against a real Agora, network cut.

Every request a page makes goes through `offline_page`'s route: loopback requests continue,
anything else is aborted and recorded, and the test fails if there was any, so "offline" is
proven, not assumed. `open_offline_page(browser, viewport)` gives the same page with another
size, checked the same way when its `with` block ends. Screenshots go to $AGORA_ARTIFACTS
(default /tmp/agora-artifacts).
"""

from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.support import reachable_temp_folder, running_agora

CHROMIUM = "/usr/bin/chromium"
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}
# flags that keep Chromium from calling home at start (no network here; see DESIGN.md)
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium")


def artifacts() -> Path:
    folder = Path(os.environ.get("AGORA_ARTIFACTS", "/tmp/agora-artifacts"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="package")
def agora():
    """ONE real `agora up` (demo data) shared by every browser test: starting it costs more
    than a page load."""
    with running_agora(reachable_temp_folder("agora-browser-") / "agora") as running:
        yield running


@pytest.fixture(scope="package")
def browser():
    """Chromium for the browser tests. Package scope, not session: Playwright's sync API runs
    an asyncio loop in this thread while it is open, and async tests that come later would
    fail with "Runner.run() cannot be called from a running event loop"."""
    if not shutil.which(CHROMIUM):
        pytest.skip("needs Debian's chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class OfflinePage:
    """A page whose requests off loopback are refused and listed in `.outside`; uncaught
    JavaScript errors of the page are listed in `.errors`."""

    def __init__(self, browser, viewport=(1280, 900), locale: str | None = None):
        options = {"locale": locale} if locale else {}  # the browser's Accept-Language
        self.context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]},
                                           **options)
        self.page = self.context.new_page()
        self.outside: list[str] = []
        self.errors: list[str] = []
        self.context.route("**/*", self._route)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _route(self, route):
        host = urlsplit(route.request.url).hostname or ""
        if route.request.url.startswith(("data:", "blob:", "about:")) or host in LOOPBACK:
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort()

    def screenshot(self, name: str) -> Path:
        path = artifacts() / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def assert_offline(self):
        """Fail, naming them, if requests to a host other than loopback were made."""
        assert self.outside == [], (f"{len(self.outside)} request(s) left loopback (aborted): "
                                    + ", ".join(self.outside))

    def close(self):
        self.context.close()


@contextmanager
def open_offline_page(browser, viewport=(1280, 900), locale: str | None = None):
    """An :class:`OfflinePage`, closed and checked for requests off loopback at the end."""
    page = OfflinePage(browser, viewport, locale)
    try:
        yield page
    finally:
        page.close()
    page.assert_offline()


@pytest.fixture
def offline_page(browser):
    with open_offline_page(browser) as page:
        yield page
