"""The portal in headless Chromium, against ONE real `agora up`, with the network cut.

Two demo accounts, an analyst and the official of Rivemont, each in a fresh browser context,
log in through the hub's login form (the real HubOAuth dance: portal -> hub login -> OAuth
authorize -> portal callback), land on /services/portal/ and:

- see their catalogue: exactly the datasets tests/access_oracle.py says they may read (the
  official never sees social_aid_beneficiaries, and its page answers like an unknown one);
- open a dataset page and click its CSV download link (the browser's own login, through the
  datasets service's OAuth): the file's rows are those the oracle computes from the snapshot
  for that account, the official's only Rivemont's. (A script's fetch() of the same link is
  refused by design: JupyterHub accepts its OAuth cookie only on navigations, or with an XSRF
  token, so a page cannot read a visitor's data behind their back.)
- axe-core (npm, installed by ./dev.sh into <venv>/share/agora-test-assets, injected from that
  file) reports no serious or critical violation on home, catalogue and dataset pages, in
  French and in English;
- the keyboard reaches the skip link, the navigation, the search box and the results in that
  order, each with a visible focus ring.

Every request of every page goes through `open_offline_page`: anything off loopback fails the
test. Screenshots: $AGORA_ARTIFACTS/portal-*.png.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest
import requests
import yaml

from tests.access_oracle import (
    CATALOGS,
    Snapshot,
    accounts_from_hub,
    compare_rows,
    expected_access,
    oracle_view,
    rows_from_csv,
)
from tests.browser.conftest import open_offline_page
from tests.support import admin_api_token, reachable_temp_folder, running_agora

pytestmark = [pytest.mark.browser, pytest.mark.integration]

USERS = ("analyst", "elu-rivemont")
DOWNLOADED = "fibre_rollout"  # rows filtered by territory for officials; small
SECRET = "social_aid_beneficiaries"  # analysts only
SERIOUS = ("serious", "critical")
AXE = "node_modules/axe-core/axe.min.js"


def axe_script() -> Path:
    """axe.min.js where ./dev.sh install --test put it (or $AGORA_TEST_ASSETS)."""
    folder = Path(os.environ.get("AGORA_TEST_ASSETS") or Path(sys.prefix) / "share"
                  / "agora-test-assets")
    path = folder / AXE
    assert path.exists(), f"{path} is missing: run ./dev.sh install --test (npm axe-core)"
    return path


@pytest.fixture(scope="module")
def agora():
    with running_agora(reachable_temp_folder("agora-portal-") / "agora") as running:
        yield running


@pytest.fixture(scope="module")
def oracle(agora):
    """{user: (Account, {dataset: Expected})} from the hub and the recipes, not the service."""
    accounts = accounts_from_hub(agora, admin_api_token(agora, "portal browser test"), USERS)
    recipes = {p.stem: yaml.safe_load(p.read_text()) for p in CATALOGS.glob("*.yaml")}
    return {user: (accounts[user], {d: expected_access(accounts[user], r.get("access"))
                                    for d, r in recipes.items()}) for user in USERS}


def log_in(page, agora, user: str) -> None:
    page.goto(agora.url + "services/portal/")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", "demo")
    page.click("#login_submit")
    page.wait_for_url(re.compile(r".*/services/portal/$"))


def axe_problems(page) -> list[str]:
    page.add_script_tag(path=str(axe_script()))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
            for v in result["violations"] if v["impact"] in SERIOUS]


def checked(page, name: str) -> None:
    """No serious/critical axe violation on this page; a screenshot of it."""
    page.screenshot(name)
    problems = axe_problems(page.page)
    assert not problems, f"{name}: " + "; ".join(problems)


def listed_ids(page) -> set[str]:
    hrefs = page.eval_on_selector_all(".datasets a", "links => links.map(a => a.href)")
    return {h.rsplit("/", 1)[1] for h in hrefs}


@pytest.mark.parametrize("user", USERS)
def test_portal_in_a_browser(browser, agora, oracle, user):
    account, expected = oracle[user]
    readable = {d for d, e in expected.items() if e.allowed}
    with open_offline_page(browser, locale="fr-FR") as offline:
        page = offline.page
        log_in(page, agora, user)
        assert page.locator("h1").inner_text() == f"Bonjour {user}"
        has_workspace = page.locator("a[href$='/hub/spawn']").count() > 0
        assert has_workspace is (user == "analyst")
        checked(offline, f"portal-home-{user}-fr")

        page.click(".site-nav >> text=Catalogue")
        assert listed_ids(page) == readable
        assert (SECRET in readable) is (user == "analyst")
        checked(offline, f"portal-catalog-{user}-fr")

        page.fill("#q", "fibre")
        page.click("button[type=submit]")
        assert listed_ids(page) == {DOWNLOADED}

        page.click(f".datasets a[href$='/{DOWNLOADED}']")
        assert "/datasets/" + DOWNLOADED in page.url
        checked(offline, f"portal-dataset-{user}-fr")
        with page.expect_download() as started:  # a click, as a person downloads
            page.click("a[data-format=csv]")
        download = started.value
        assert download.suggested_filename.startswith(DOWNLOADED) and \
            download.suggested_filename.endswith(".csv")
        view = oracle_view(Snapshot(agora.data_dir / "store", DOWNLOADED),
                           expected[DOWNLOADED], b"unused")
        columns, rows = rows_from_csv(Path(download.path()).read_bytes(), view)
        compare_rows(columns, rows, view, label=f"{user} {DOWNLOADED}.csv")
        if user != "analyst":
            assert {r[columns.index("commune_code")] for r in rows} == {"99101"}

        page.click("a.lang-switch")
        assert page.locator("html").get_attribute("lang") == "en"
        checked(offline, f"portal-dataset-{user}-en")
        page.click(".site-nav >> text=Catalogue")
        checked(offline, f"portal-catalog-{user}-en")
        page.click(".site-nav >> text=Home")
        assert page.locator("h1").inner_text() == f"Hello {user}"
        checked(offline, f"portal-home-{user}-en")

        if user != "analyst":  # a dataset they may not read: the page of an unknown one
            denied = page.goto(agora.url + f"services/portal/datasets/{SECRET}")
            assert denied.status == 404 and "Page not found" in page.content()
            offline.screenshot(f"portal-404-{user}-en")
            unknown = page.goto(agora.url + "services/portal/datasets/no_such_dataset")
            assert unknown.status == 404
        assert offline.errors == []


def focus_trail(page, presses: int) -> list[dict]:
    trail = []
    for _ in range(presses):
        page.keyboard.press("Tab")
        trail.append(page.evaluate("""() => {
            const e = document.activeElement, s = getComputedStyle(e);
            return {tag: e.tagName, id: e.id, cls: e.className, href: e.getAttribute('href'),
                    text: (e.innerText || e.value || '').trim().slice(0, 40),
                    outline: s.outlineStyle, width: parseFloat(s.outlineWidth)};
        }"""))
    return trail


def test_keyboard_reaches_search_and_links_in_order_with_a_visible_focus(browser, agora):
    with open_offline_page(browser, locale="fr-FR") as offline:
        page = offline.page
        log_in(page, agora, "elu-rivemont")
        page.goto(agora.url + "services/portal/catalog")
        trail = focus_trail(page, 16)
        names = [t["id"] or t["cls"] or t["text"] for t in trail]
        assert trail[0]["cls"] == "skip-link", names
        search = next(i for i, t in enumerate(trail) if t["id"] == "q")
        nav = next(i for i, t in enumerate(trail) if t["text"] == "Catalogue")
        first_result = next(i for i, t in enumerate(trail)
                            if (t["href"] or "").count("/services/portal/datasets/"))
        assert 0 < nav < search < first_result, names
        for stop in trail:
            assert stop["outline"] != "none" and stop["width"] >= 2, stop
        page.keyboard.press("Shift+Tab")
        offline.screenshot("portal-keyboard-focus")
        page.goto(agora.url + "services/portal/catalog")
        page.keyboard.press("Tab")
        page.keyboard.press("Enter")  # the skip link moves on to the page's content
        assert page.evaluate("document.activeElement.id") == "main"


def test_a_scheduler_plans_a_report_in_the_browser_in_words(browser, agora):
    """The reports page as a scheduler sees it: the form in words (no cron), filled and sent
    with the keyboard's own controls; the new schedule is listed; no serious axe issue."""
    with open_offline_page(browser, locale="fr-FR") as offline:
        page = offline.page
        log_in(page, agora, "scheduler")
        page.click(".site-nav >> text=Rapports")
        assert page.locator("h1").inner_text() == "Rapports"
        checked(offline, "portal-reports-scheduler-fr")
        page.fill("#title", "Bulletin air du vendredi")
        page.select_option("#template", "air-quality-bulletin")
        page.select_option("#weekday", "fri")
        page.fill("#time", "08:30")
        page.fill("#groups", "officials")
        page.click("button.button")
        assert "Bulletin air du vendredi" in page.locator("#my-schedules + ul").inner_text()
        assert "chaque vendredi à 08:30" in page.content()
        page.click("a.lang-switch")
        checked(offline, "portal-reports-scheduler-en")
        assert offline.errors == []


PARTNER_READS = "air_quality"  # partners read it; they may not read SECRET
DATA = "services/datasets/api/datasets/"


def data_status(agora, token: str, dataset: str) -> int:
    return requests.get(f"{agora.url}{DATA}{dataset}/records?limit=1", timeout=30,
                        headers={"Authorization": f"token {token}"},
                        allow_redirects=False).status_code


def run_example(page, name: str, token: str) -> dict:
    """The tokens page's own Python example `name`, run with AGORA_TOKEN set."""
    code = page.locator(f"pre[data-example={name}] code").inner_text()
    code = code.split("# Python\n", 1)[-1]
    before = dict(os.environ)
    os.environ["AGORA_TOKEN"] = token
    try:
        scope: dict = {}
        exec(code, scope)  # the page's example, against this test's Agora
        return scope
    finally:
        os.environ.clear()
        os.environ.update(before)


def test_a_partner_makes_uses_and_revokes_a_data_token(browser, agora):
    """The tokens page as a partner (no workspace) sees it, followed step by step: a token
    made on the hub's token page with the data-only scope reads what the partner may read
    (200), not what they may not (404), and cannot make more tokens (403); the page's pandas,
    Intake and geopandas examples work with it; revoked on the same page, it stops working."""
    with open_offline_page(browser, locale="fr-FR") as offline:
        page = offline.page
        log_in(page, agora, "partner")
        page.click(".site-nav >> text=Jetons d'accès")
        assert page.locator("h1").inner_text() == "Jetons d'accès"
        checked(offline, "portal-tokens-partner-fr")
        scope = page.input_value("#scope")
        assert scope == "access:services!service=datasets"

        page.click("#hub-token-link")
        page.wait_for_url(re.compile(r".*/hub/token$"))
        page.wait_for_function("window._jupyterhub_page_loaded === true")
        page.fill("#token-note", "QGIS bureau (test)")
        page.select_option("#token-expiration-seconds", str(7 * 86400))
        assert "Never" not in page.inner_text("#token-expiration-seconds")  # hub.token_max_days
        page.fill("#token-scopes", scope)
        page.click("#request-token-form button[type=submit]")
        page.wait_for_selector("#token-result:not(:empty)")
        token = page.inner_text("#token-result").strip()
        offline.screenshot("portal-tokens-hub-page-new-token")

        assert data_status(agora, token, PARTNER_READS) == 200
        assert data_status(agora, token, SECRET) == 404
        more = requests.post(f"{agora.url}hub/api/users/partner/tokens", json={}, timeout=30,
                             headers={"Authorization": f"token {token}"})
        assert more.status_code == 403  # data only: it cannot make tokens, nor act on the hub

        page.goto(agora.url + "services/portal/tokens?lang=en")
        checked(offline, "portal-tokens-partner-en")
        assert len(run_example(page, "pandas", token)["frame"]) > 0
        assert len(run_example(page, "intake", token)["frame"]) > 0
        assert len(run_example(page, "gdal", token)["layer"]) > 0

        page.goto(agora.url + "hub/token")
        page.wait_for_function("window._jupyterhub_page_loaded === true")
        row = page.locator("tr.token-row", has_text="QGIS bureau (test)")
        row.locator(".revoke-token-btn").click()
        row.wait_for(state="detached")
        # the hub refuses it at once; the datasets service trusts its cache of the hub's
        # answer 30 s more (tests/integration/test_isolation_default.py waits for that)
        gone = requests.get(f"{agora.url}hub/api/user", timeout=30,
                            headers={"Authorization": f"token {token}"})
        assert gone.status_code in (401, 403)
        assert offline.errors == []
