"""An analyst's JupyterLab in headless Chromium, network cut (issue #14).

The browser tests' `agora up` (tests/browser/conftest.py); the analyst logs in through the hub's
login form and the workspace spawns; JupyterLab loads fully (launcher and file browser). Every
request of the page goes through `open_offline_page`'s route: anything off loopback is aborted
and fails the test with its URL. Asserted: no news prompt nor any other notification shows, the
plugins that call the internet are disabled in the page's config (hub/workspaces/lab_config.py),
the server side answers no news and no update (its feed and PyPI are never fetched), and the
starter notebooks are in the file browser. Screenshot: $AGORA_ARTIFACTS/jupyterlab-offline.png.
"""

from __future__ import annotations

import json

import pytest

from hub.workspaces.lab_config import OFFLINE_PLUGINS
from hub.workspaces.starter import STARTER_FOLDER
from tests.browser.conftest import open_offline_page

pytestmark = pytest.mark.browser

USER = "analyst"
SPAWN_TIMEOUT = 120_000  # ms: login, spawn and JupyterLab's first load on a busy machine
NOTIFICATIONS = ".jp-Notification-Toast, .Toastify__toast"
LISTING = ".jp-DirListing-content"


def log_in(page, hub_url: str) -> None:
    page.goto(hub_url + "hub/login")
    page.fill("#username_input", USER)
    page.fill("#password_input", "demo")
    page.click("#login_submit")


def listed(page, name: str):
    """The file browser's entry `name`."""
    return page.locator(LISTING).get_by_text(name, exact=True)


def page_config(page) -> dict:
    return json.loads(page.eval_on_selector("#jupyter-config-data", "e => e.textContent"))


def test_an_analysts_jupyterlab_loads_offline_with_the_starter_notebooks(agora, browser):
    with open_offline_page(browser, viewport=(1280, 800)) as offline:
        page = offline.page
        log_in(page, agora.url)
        page.wait_for_selector(".jp-Launcher", timeout=SPAWN_TIMEOUT)
        try:
            listed(page, STARTER_FOLDER).dblclick(timeout=30_000)
            listed(page, "getting-started.ipynb").wait_for(timeout=30_000)
        finally:
            offline.screenshot("jupyterlab-offline")
        page.wait_for_timeout(3000)  # the news prompt would show once the app is restored
        assert page.locator(NOTIFICATIONS).count() == 0, page.locator(NOTIFICATIONS).all_inner_texts()
        assert "Jupyter news" not in page.inner_text("body")
        config = page_config(page)
        assert set(OFFLINE_PLUGINS) <= set(config["disabledExtensions"]), config["disabledExtensions"]
        lab_api = f"{agora.url}user/{USER}/lab/api/"
        assert page.request.get(lab_api + "news").json()["news"] == []
        assert page.request.get(lab_api + "update").json()["notification"] is None
        offline.screenshot("jupyterlab-offline")
    assert offline.errors == [], offline.errors
