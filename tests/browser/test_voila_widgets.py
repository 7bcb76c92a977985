"""The widget library rendered by Voilà in headless Chromium, with the network cut (issue #13).

ONE real `agora up` (demo data, the real datasets service: the browser tests' shared one, in
tests/browser/conftest.py); the analyst logs in through the login form and makes an API
token. ONE `voila` 0.5 on a free loopback port serves the fixture notebook
`tests/browser/notebooks/widgets_dashboard.ipynb` (a FilterPanel, a KPIBoard, an offline Altair
JupyterChart and a folium ChoroplethMap with Leaflet inlined) with Agora's Voilà template and
a workspace's kernel environment: `AGORA_DATASETS_URL` and the analyst's token as
`JUPYTERHUB_API_TOKEN`, nothing else to find the data. The kernel imports `widgets` from this
checkout.

ONE page load, then one filter change. Every request of the page goes through the route of
`open_offline_page`: anything off loopback is aborted and fails the test with its URL, so the
page is proven to draw offline. Asserted: the Vega view drew its line, the map drew the
communes' polygons, the KPI values are those computed independently from the snapshot for the
analyst (tests/access_oracle.py), no error shows (no traceback, no stderr output, no
uncaught JavaScript error); choosing a commune in the filter panel redraws the KPIs and the
chart with that commune's numbers. Screenshots: $AGORA_ARTIFACTS/voila-widgets-*.png.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import requests
import yaml
from playwright.sync_api import expect

from tests.access_oracle import CATALOGS, Snapshot, accounts_from_hub, expected_access, oracle_view
from tests.browser.conftest import open_offline_page
from tests.support import (
    admin_api_token,
    free_port,
    login_form,
    user_api_token,
)

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
NOTEBOOK = Path(__file__).parent / "notebooks" / "widgets_dashboard.ipynb"
VOILA_TEMPLATES = REPO / "widgets" / "share"  # JUPYTER_PATH root of the `agora` template
USER, DATASET, COMMUNE = "analyst", "air_quality", "99101"
PAGE_TIMEOUT = 120_000  # ms: the kernel runs every cell before the page shows them
VIEWPORT = (1280, 1900)  # Voilà's lab page scrolls inside a div: a tall view shows it all
CHART_LINE = ".vega-embed svg .mark-line path"
ERRORS = ("Traceback", "There was an error when executing cell", "Error:")


@pytest.fixture(scope="module")
def token(agora):
    session = requests.Session()
    assert login_form(session, agora.url, USER, "demo").status_code == 200
    return user_api_token(session, agora.url, USER, "voila browser test")


def kernel_environment(agora, token: str, cache: Path) -> dict:
    """What a workspace's kernel gets to reach the datasets service (hub/configure.py sets
    AGORA_DATASETS_URL, JupyterHub the token), plus this checkout on the path."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("JUPYTERHUB_", "AGORA_"))}
    env.update(AGORA_DATASETS_URL=agora.url + "services/datasets/", JUPYTERHUB_API_TOKEN=token,
               AGORA_CACHE_DIR=str(cache), JUPYTER_PATH=str(VOILA_TEMPLATES),
               PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])))
    return env


@pytest.fixture(scope="module")
def voila(agora, token, tmp_path_factory):
    """`voila` on a free loopback port, the `agora` template; its URL."""
    folder = tmp_path_factory.mktemp("voila")
    port, log_path = free_port(), folder / "voila.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "voila", str(NOTEBOOK), "--no-browser", f"--port={port}",
             "--Voila.ip=127.0.0.1", "--template=agora", "--show_tracebacks=True"],
            stdout=log, stderr=subprocess.STDOUT, cwd=folder,
            env=kernel_environment(agora, token, folder / "cache"))
    try:
        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 60
        while "Voilà is running at" not in log_path.read_text(errors="replace"):
            assert proc.poll() is None and time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def expected(agora):
    """The analyst's air_quality rows, from the snapshot and the policy (not the service)."""
    accounts = accounts_from_hub(agora, admin_api_token(agora, "voila browser test"), [USER])
    access = yaml.safe_load((CATALOGS / f"{DATASET}.yaml").read_text()).get("access")
    view = oracle_view(Snapshot(agora.data_dir / "store", DATASET),
                       expected_access(accounts[USER], access), b"unused")
    frame = pd.DataFrame(view.rows, columns=view.columns)
    frame["measured_at"] = pd.to_datetime(frame["measured_at"], utc=True)
    return frame


def kpis(frame: pd.DataFrame) -> dict[str, str]:
    """The two cards' values as the page must show them (French format)."""
    month = frame["measured_at"].dt.tz_convert("UTC").dt.tz_localize(None).dt.to_period("M")
    last = frame.loc[month == month.max(), "pm10"].dropna().mean()
    return {"Relevés": f"{len(frame):,}".replace(",", "\u202f"),
            "PM10 moyen du mois": f"{last:.1f}".replace(".", ",")}


def shown_value(page, label: str) -> str:
    """The big number of the KPI card named `label` (its thousands separator normalised)."""
    card = page.locator(f'[role="group"][aria-label="{label}"]')
    value = card.locator("div").nth(1).inner_text()
    return re.sub(r"\s", "\u202f", value.split("\u00a0")[0].strip())


def wait_for_value(page, label: str, value: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while shown_value(page, label) != value:
        assert time.monotonic() < deadline, (label, shown_value(page, label), value)
        page.wait_for_timeout(250)


def assert_no_error_shown(page, where: str) -> None:
    text = page.locator("body").inner_text()
    for marker in ERRORS:
        assert marker not in text, f"{where}: {marker!r} in the page:\n{text[-3000:]}"
    stderr = page.locator('[data-mime-type="application/vnd.jupyter.stderr"]')
    assert stderr.count() == 0, f"{where}: stderr output: {stderr.all_inner_texts()}"


def map_frame(page):
    """The map's <iframe srcdoc> (Leaflet runs in it)."""
    page.wait_for_selector("iframe[srcdoc]", timeout=PAGE_TIMEOUT)
    return page.locator("iframe[srcdoc]").content_frame


def test_widget_notebook_draws_offline_in_voila_and_follows_a_filter(browser, voila, expected):
    started = time.monotonic()
    with open_offline_page(browser, VIEWPORT) as offline:
        page = offline.page
        page.goto(voila, timeout=PAGE_TIMEOUT)
        page.wait_for_selector(CHART_LINE, timeout=PAGE_TIMEOUT)
        leaflet = map_frame(page)
        leaflet.locator(".leaflet-overlay-pane path").first.wait_for(timeout=PAGE_TIMEOUT)
        first_render = time.monotonic() - started
        page.wait_for_timeout(500)  # the map fits its bounds after the first layout
        offline.screenshot("voila-widgets-1-loaded")

        assert_no_error_shown(page, "first render")
        path = page.locator(CHART_LINE).first
        assert path.bounding_box()["width"] > 300 and len(path.get_attribute("d")) > 1000
        communes = leaflet.locator(".leaflet-overlay-pane path").count()
        assert communes == 30, f"{communes} polygons drawn, the demo has 30 communes"
        assert leaflet.locator(".agora-legend").inner_text().strip()
        for label, value in kpis(expected).items():
            assert shown_value(page, label) == value, label
        line_before = path.get_attribute("d")

        map_before = page.locator("iframe[srcdoc]").first.get_attribute("srcdoc")
        page.locator(".widget-select-multiple select").first.select_option(COMMUNE)
        one = expected[expected["commune_code"] == COMMUNE]
        assert 0 < len(one) < len(expected)
        for label, value in kpis(one).items():
            wait_for_value(page, label, value)
        page.wait_for_function(
            "([sel, before]) => { const p = document.querySelector(sel);"
            " return p && p.getAttribute('d') !== before; }",
            arg=[CHART_LINE, line_before], timeout=30_000)
        page.wait_for_function(  # the map follows the panel too: a new map is drawn
            "before => { const f = document.querySelector('iframe[srcdoc]');"
            " return f && f.getAttribute('srcdoc') !== before; }",
            arg=map_before, timeout=30_000)
        page.wait_for_timeout(500)
        offline.screenshot("voila-widgets-2-filtered")
        assert_no_error_shown(page, f"after choosing {COMMUNE}")
        assert offline.errors == [], f"JavaScript errors in the page: {offline.errors}"
    print(f"first render {first_render:.1f} s, whole test {time.monotonic() - started:.1f} s")


def menu(page, label: str):
    """The <select> of the explorer's drop-down named `label`."""
    return page.get_by_label(label, exact=True)


def test_the_explorer_makes_a_chart_and_its_code_without_typing(browser, voila, expected):
    """What a non-programmer does: three menus, then "Copier le code"."""
    with open_offline_page(browser, VIEWPORT) as offline:
        page = offline.page
        page.goto(voila, timeout=PAGE_TIMEOUT)
        menu(page, "Regrouper par").wait_for(timeout=PAGE_TIMEOUT)
        menu(page, "Regrouper par").select_option(label="Code commune (INSEE)")
        menu(page, "Mesure").select_option(label="moyenne de PM10")
        menu(page, "Affichage").select_option(label="Barres")
        communes = expected["commune_code"].nunique()
        bars = page.locator(".vega-embed svg .mark-rect path")
        expect(bars).to_have_count(communes, timeout=30_000)  # waits through redraws
        page.get_by_role("button", name="Copier le code").click()
        code = page.locator("textarea").last
        code.wait_for(timeout=10_000)
        text = code.input_value()
        assert 'BarChart.of(' in text and 'by="commune_code"' in text, text
        assert 'measure="mean:pm10"' in text, text
        page.wait_for_timeout(300)
        offline.screenshot("voila-widgets-3-explorer")
        assert_no_error_shown(page, "explorer")
        assert offline.errors == [], f"JavaScript errors in the page: {offline.errors}"
