"""Published dashboards under each viewer's rights, on ONE real `agora up` (issue #14).

The demo publishes territory-kpis and ev-and-fibre for the officials at start. Headless
Chromium (network cut: OfflinePage) logs each official in and opens the same dashboard: each
sees only their commune's rows, read from the page. Over HTTP: the kernel holds the viewer's
token and no service token (a probe notebook published with `agora publish`); another
viewer's kernel is refused (GET, DELETE, interrupt, shutdown, websocket); Jupyter APIs are
not there; unknown, unpublished and not-shared names answer the same 404; an anonymous
visitor goes to the login page; the per-viewer cap refuses politely and culling frees it; an
analyst's token publishes through the publish API (widgets.publish, as PublishPanel does) and
the official opens it, while the official's own token is refused. The second demo dashboard
(ev-and-fibre: filters, a map, a bar chart, a table) is drawn for each official with their
commune only; axe-core finds no serious or critical violation in either demo dashboard; Tab
reaches the filter controls with a visible focus ring.
Screenshots: $AGORA_ARTIFACTS/dashboard-*.png.
"""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
import time
from urllib.parse import urljoin, urlparse

import pytest
import requests
import websocket

from tests.browser.conftest import open_offline_page
from tests.browser.test_portal import axe_problems
from tests.support import (
    reachable_temp_folder,
    remove_test_accounts,
    running_agora,
    user_api_token,
    xsrf,
)
from widgets import AgoraError
from widgets.publish import publish

pytestmark = pytest.mark.browser

BOARD = "territory-kpis"
MAP_BOARD = "ev-and-fibre"
OFFICIALS = {"elu-rivemont": "99101", "elu-bellecombe": "99102"}
COMMUNES = {"elu-rivemont": "Rivemont", "elu-bellecombe": "Bellecombe"}
BARS = ".vega-embed svg .mark-rect path"
CULL_SECONDS = 30  # long enough that the first page is not culled while the others render
CAP = 3  # per viewer: each official holds both demo boards and a probe at once
CODES = "table.agora-communes tbody tr td:nth-child(2)"  # "Code commune", after the name
PROBE = r"""
import json, os, requests
token = os.environ.get("AGORA_TOKEN", "")
me = requests.get(os.environ["AGORA_DATASETS_URL"].split("services/")[0] + "hub/api/user",
                  headers={"Authorization": f"token {token}"}, timeout=10).json()
published = requests.post(DASHBOARDS + "api/publications", timeout=10, json={
    "name": "stolen", "groups": ["officials"], "notebook": {"nbformat": 4, "cells": []}},
    headers={"Authorization": f"token {token}"}).status_code
home, kernels = os.environ["HOME"], []
mine = os.path.basename(home)
for other in sorted(os.listdir(os.path.dirname(home))):
    if other != mine and other.startswith(mine.rstrip("0123456789")):
        try:
            os.listdir(os.path.join(os.path.dirname(home), other))
            kernels.append([other, "opened"])
        except PermissionError:
            kernels.append([other, "refused"])
print("PROBE " + json.dumps({"viewer": me.get("name"), "kind": me.get("kind"),
      "hub_variables": sorted(k for k in os.environ if k.startswith("JUPYTERHUB_")),
      "token_variables": sorted(k for k in os.environ if "TOKEN" in k), "uid": os.getuid(),
      "publish_status": published, "home": sorted(os.listdir(home)), "other_kernels": kernels}))
"""


@pytest.fixture(scope="module")
def agora():
    overrides = {"dashboards": {"max_kernels_per_viewer": CAP, "cull_idle_seconds": CULL_SECONDS,
                                "cull_every_seconds": 2}}
    try:
        with running_agora(reachable_temp_folder("agora-dash-") / "agora", overrides) as running:
            yield running
    finally:
        if os.geteuid() == 0:  # the kernels' account (test prefix), as root
            remove_test_accounts()


def agora_cli(agora, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hub.cli", "-c", str(agora.settings_path), *args],
                          capture_output=True, text=True, timeout=60, check=True)


@pytest.fixture(scope="module")
def probe(agora, tmp_path_factory):
    """A probe notebook published for the officials and the analysts (by the CLI)."""
    path = tmp_path_factory.mktemp("probe") / "probe.ipynb"
    path.write_text(json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {
        "kernelspec": {"name": "python3", "display_name": "Python 3"}}, "cells": [
        {"cell_type": "code", "id": "p", "metadata": {},
         "source": f"DASHBOARDS = {agora.dashboards_url!r}\n" + PROBE,
         "execution_count": None, "outputs": []}]}))
    agora_cli(agora, "publish", str(path), "--to", "officials", "analysts", "--as", "admin")
    return "probe"


def dashboard_url(agora, name: str) -> str:
    return f"{agora.dashboards_url}d/{name}/"


def viewer(agora, user: str) -> requests.Session:
    """A logged-in session of `user` (no workspace spawned: login without following)."""
    session = requests.Session()
    login = agora.url + "hub/login"
    page = session.post(login, data={"username": user, "password": "demo",
                                     "_xsrf": xsrf(session, login)}, allow_redirects=False)
    assert page.status_code == 302, page.text[-500:]
    return session


def kernel_of(page: requests.Response) -> str:
    return re.search(r'kernelId": "([0-9a-f-]{36})"', page.text).group(1)


def probed(page: requests.Response) -> dict:
    line = re.search(r"PROBE (\{.*?\})\s*<", page.text)
    assert line, page.text[-3000:]
    return json.loads(html.unescape(line.group(1)))


def test_anonymous_visitor_is_sent_to_the_login_page(agora):
    page = requests.get(dashboard_url(agora, BOARD))
    assert page.status_code == 200 and "/hub/login" in page.url
    assert 'id="username_input"' in page.text


def log_in_to(page, agora, user: str, name: str) -> None:
    """Log `user` in on the way to dashboard `name`, until its table is drawn."""
    page.goto(dashboard_url(agora, name))  # to the hub's login page, and back
    page.fill("#username_input", user)
    page.fill("#password_input", "demo")
    page.click("#login_submit")
    page.wait_for_selector("table.agora-communes td", timeout=60_000)


def assert_readable(offline, user: str, name: str) -> None:
    """Only the viewer's commune, by name and code; no error, no token; no serious axe issue."""
    page = offline.page
    codes = page.locator(CODES).all_inner_texts()
    assert {c.strip() for c in codes} == {OFFICIALS[user]}
    names = page.locator("table.agora-communes tbody tr td:first-child").all_inner_texts()
    assert {n.strip() for n in names} == {COMMUNES[user]}
    text = page.locator("body").inner_text()
    assert "Traceback" not in text and "There was an error" not in text
    assert "AGORA_TOKEN" not in page.content()
    assert offline.errors == []
    problems = axe_problems(page)
    assert not problems, f"{name} for {user}: " + "; ".join(problems)


@pytest.mark.parametrize("user", sorted(OFFICIALS))
def test_each_official_sees_only_their_commune_in_the_same_dashboard(agora, browser, user):
    with open_offline_page(browser, (1280, 1400)) as offline:
        page = offline.page
        started = time.monotonic()
        log_in_to(page, agora, user, BOARD)
        page.wait_for_selector('[role="group"][aria-label="Points de charge en service"]',
                               timeout=60_000)
        drawn = time.monotonic() - started
        page.wait_for_timeout(300)
        offline.screenshot(f"dashboard-{BOARD}-{user}")
        assert_readable(offline, user, BOARD)
        page.close(run_before_unload=True)  # Voilà's unload call stops the kernel
    print(f"{user}: login -> dashboard drawn in {drawn:.1f} s")


@pytest.mark.parametrize("user", sorted(OFFICIALS))
def test_the_map_dashboard_shows_each_official_their_commune_and_is_accessible(
        agora, browser, user):
    with open_offline_page(browser, (1280, 1800)) as offline:
        page = offline.page
        log_in_to(page, agora, user, MAP_BOARD)
        page.wait_for_selector(BARS, timeout=60_000)
        page.wait_for_selector("iframe[srcdoc]", timeout=60_000)
        leaflet = page.locator("iframe[srcdoc]").content_frame
        leaflet.locator(".leaflet-overlay-pane path").first.wait_for(timeout=60_000)
        print(f"{user}: {leaflet.locator('.leaflet-overlay-pane path').count()} areas on the map")
        assert page.locator(BARS).count() >= 1
        page.wait_for_timeout(300)
        offline.screenshot(f"dashboard-{MAP_BOARD}-{user}")
        assert_readable(offline, user, MAP_BOARD)
        if user == "elu-rivemont":
            assert_tab_reaches_the_filters(page)
            offline.screenshot(f"dashboard-{MAP_BOARD}-keyboard-focus")
        page.close(run_before_unload=True)


def assert_tab_reaches_the_filters(page) -> None:
    """From the top of the page, Tab lands on each filter's list, each with a visible ring."""
    page.locator("body").click(position={"x": 5, "y": 5})
    trail = []
    for _ in range(8):
        page.keyboard.press("Tab")
        trail.append(page.evaluate("""() => {
            const e = document.activeElement, s = getComputedStyle(e);
            const label = e.closest('.widget-select-multiple')?.querySelector('label');
            return {tag: e.tagName, label: label ? label.innerText : '',
                    outline: s.outlineStyle, width: parseFloat(s.outlineWidth)};
        }"""))
    filters = [t for t in trail if t["tag"] == "SELECT"]
    assert {f["label"] for f in filters} == {"État", "Opérateur"}, trail
    page_controls = trail[:[t["tag"] for t in trail].index("IFRAME")]  # the map styles its own
    assert len(page_controls) >= 3  # both filters and the reset button
    for stop in page_controls:
        assert stop["outline"] != "none" and stop["width"] >= 2, stop


def test_the_kernel_reads_with_the_viewers_token_never_the_services(agora, probe):
    seen = {}
    for user in OFFICIALS:
        page = viewer(agora, user).get(dashboard_url(agora, probe))
        assert page.status_code == 200
        seen[user] = probed(page)
    for user, facts in seen.items():
        assert (facts["viewer"], facts["kind"]) == (user, "user")
        assert facts["hub_variables"] == []  # no JUPYTERHUB_API_TOKEN of the service
        assert facts["token_variables"] == ["AGORA_TOKEN"]
        assert facts["uid"] != 0
        assert facts["publish_status"] in (401, 403)  # its token is no workspace's
    assert seen["elu-rivemont"]["uid"] != seen["elu-bellecombe"]["uid"]


def test_a_dashboard_an_analyst_opens_cannot_publish_nor_open_other_kernels(agora, probe):
    """Published code in an analyst's kernel holds the analyst's token: not a workspace one,
    so the publish API refuses it. As root each live kernel (the warm ones too) runs as an
    account of its own, in a private home with its connection file."""
    session = viewer(agora, "analyst")
    page = session.get(dashboard_url(agora, probe))
    facts = probed(page)
    token = user_api_token(session, agora.url, "analyst", "dashboard test")
    freed = requests.delete(f"{agora.dashboards_url}api/kernels/{kernel_of(page)}",
                            headers={"Authorization": f"token {token}"})
    assert freed.status_code == 204  # the analyst's slot, for the cap test
    assert facts["viewer"] == "analyst" and facts["publish_status"] == 403
    if os.geteuid() == 0:
        assert "connection.json" in facts["home"]
        assert facts["other_kernels"], "no other live kernel to try (the warm ones?)"
        assert {verdict for _, verdict in facts["other_kernels"]} == {"refused"}


def test_the_hubs_origin_serves_no_dashboard(agora):
    """Dashboards live on their own origin: on the hub's, their scripts would run with the
    viewer's hub session."""
    session = viewer(agora, "elu-rivemont")
    for path in (f"d/{BOARD}/", "", "api/publications"):
        answer = session.get(f"{agora.url}services/dashboards/{path}")
        assert answer.status_code in (404, 503), (path, answer.status_code)
        assert "kernelId" not in answer.text
    assert urlparse(agora.dashboards_url).port != urlparse(agora.url).port


def test_a_viewer_cannot_reach_another_viewers_kernel(agora, probe):
    owner, other = viewer(agora, "analyst"), viewer(agora, "elu-bellecombe")
    kernel = kernel_of(owner.get(dashboard_url(agora, probe)))
    theirs = {"Authorization": "token " + user_api_token(other, agora.url, "elu-bellecombe",
                                                         "dashboard test")}
    mine = {"Authorization": "token " + user_api_token(owner, agora.url, "analyst",
                                                       "dashboard test")}
    api = f"{agora.dashboards_url}api/kernels/{kernel}"
    assert requests.get(api, headers=theirs).status_code == 403
    assert other.get(api).status_code == 403
    assert requests.delete(api, headers=theirs).status_code == 403
    assert requests.post(api + "/interrupt", headers=theirs).status_code in (403, 404)
    shutdown = f"{agora.dashboards_url}voila/api/shutdown/{kernel}"
    assert requests.post(shutdown, headers=theirs).status_code == 403
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        websocket.create_connection(api.replace("http://", "ws://") + "/channels",
                                    header=[theirs["Authorization"].join(["Authorization: ", ""])],
                                    suppress_origin=True, timeout=10)
    assert refused.value.status_code == 403
    assert requests.get(api, headers=mine).json()["id"] == kernel
    assert requests.delete(api, headers=mine).status_code == 204


def test_no_jupyter_api_beyond_what_the_page_needs(agora):
    session = viewer(agora, "elu-rivemont")
    base = f"{agora.dashboards_url}"
    for path in ("api/contents", "api/contents/territory-kpis", "api/terminals", "api/sessions",
                 "api/kernels", "api/kernelspecs", "lab", "tree", "voila/tree",
                 f"voila/render/{BOARD}/v1.ipynb", f"voila/files/{BOARD}/v1.ipynb",
                 f"{BOARD}/v1.ipynb", "terminals/1"):
        status = session.get(base + path, allow_redirects=False).status_code
        assert status in (403, 404), f"{path}: {status}"


def test_unknown_unpublished_and_not_shared_answer_the_same_404(agora, probe):
    agora_cli(agora, "publish", str(agora.data_dir / "dashboards" / probe / "v1.ipynb"),
              "--to", "officials", "--name", "withdrawn", "--as", "admin")
    agora_cli(agora, "unpublish", "withdrawn")
    official, partner = viewer(agora, "elu-rivemont"), viewer(agora, "partner")
    answers = [partner.get(dashboard_url(agora, BOARD)),
               official.get(dashboard_url(agora, "withdrawn")),
               official.get(dashboard_url(agora, "no-such-board"))]
    assert [a.status_code for a in answers] == [404, 404, 404]
    assert len({a.text for a in answers}) == 1
    assert "territory" not in partner.get(f"{agora.dashboards_url}").text


def test_the_cap_per_viewer_refuses_politely_and_culling_frees_it(agora, probe):
    analyst = viewer(agora, "analyst")
    for _ in range(CAP):
        assert analyst.get(dashboard_url(agora, probe)).status_code == 200
    refused = analyst.get(dashboard_url(agora, probe))
    assert refused.status_code == 503 and "Close one" in refused.text
    deadline = time.monotonic() + CULL_SECONDS + 30
    while (page := analyst.get(dashboard_url(agora, probe))).status_code == 503:
        assert time.monotonic() < deadline, "idle kernels were not culled"
        time.sleep(2)
    assert probed(page)["viewer"] == "analyst"


ROWS_PROBE = r"""
from widgets import records
print("ROWS " + ",".join(sorted(set(records("air_quality", limit=500)["commune_code"]))))
"""


def test_an_analyst_publishes_from_the_workspace_and_the_official_opens_it(agora, tmp_path):
    """The publish API end to end, with hub tokens: widgets.publish.publish (PublishPanel's
    own function) run here with the analyst's token, then the official's page and token."""
    analyst, official = viewer(agora, "analyst"), viewer(agora, "elu-rivemont")
    service = {"AGORA_DASHBOARDS_URL": f"{agora.dashboards_url}"}
    path = tmp_path / "Lignes de la commune.ipynb"
    path.write_text(json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {
        "kernelspec": {"name": "python3", "display_name": "Python 3"}}, "cells": [
        {"cell_type": "code", "id": "r", "metadata": {}, "source": ROWS_PROBE,
         "execution_count": None, "outputs": []}]}))
    token = user_api_token(analyst, agora.url, "analyst", "publish test")
    record = publish(path, ["commune-99101"], "Lignes", environ={**service, "AGORA_TOKEN": token})
    assert (record["name"], record["version"], record["publisher"]) == (
        "lignes-de-la-commune", 1, "analyst")
    page = official.get(urljoin(agora.url, record["url"]))
    assert page.status_code == 200
    assert re.search(r"ROWS 99101\s*<", page.text), page.text[-2000:]
    theirs = user_api_token(official, agora.url, "elu-rivemont", "publish test")
    with pytest.raises(AgoraError) as refused:
        publish(path, ["officials"], name="mine", environ={**service, "AGORA_TOKEN": theirs})
    assert refused.value.status == 403 and "workspace" in str(refused.value)
    assert not (agora.data_dir / "dashboards" / "mine").exists()


def kernel_message(msg_type: str, content: dict) -> dict:
    """A kernel message as a page sends it over the (legacy JSON) websocket protocol."""
    import uuid

    return {"header": {"msg_id": uuid.uuid4().hex, "msg_type": msg_type, "session": "probe",
                       "username": "", "version": "5.3"},
            "parent_header": {}, "metadata": {}, "content": content, "channel": "shell",
            "buffers": []}


def replies_to(ws, message: dict, seconds: float) -> list[str]:
    """The msg_types answering `message` within `seconds`."""
    ws.send(json.dumps(message))
    ws.settimeout(1)
    found, deadline = [], time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            answer = json.loads(ws.recv())
        except websocket.WebSocketTimeoutException:
            continue
        if answer.get("parent_header", {}).get("msg_id") == message["header"]["msg_id"]:
            found.append(answer["header"]["msg_type"])
    return found


def test_a_viewer_cannot_run_code_in_their_own_dashboard_kernel(agora, probe):
    """Voilà runs the notebook server side and lets only widget messages and kernel info in
    from the page (its kernel manager's allowed_message_types): a viewer cannot send code to
    the kernel that holds their token."""
    session = viewer(agora, "elu-rivemont")
    kernel = kernel_of(session.get(dashboard_url(agora, probe)))
    token = user_api_token(session, agora.url, "elu-rivemont", "dashboard test")
    channels = (f"{agora.dashboards_url}api/kernels/{kernel}/channels"
                .replace("http://", "ws://"))
    ws = websocket.create_connection(channels, header=[f"Authorization: token {token}"],
                                     suppress_origin=True, timeout=10)
    try:
        assert "kernel_info_reply" in replies_to(ws, kernel_message("kernel_info_request", {}),
                                                 10)  # the connection itself works
        code = kernel_message("execute_request", {
            "code": "import os; print(os.environ.get('AGORA_TOKEN'))", "silent": False,
            "store_history": True, "user_expressions": {}, "allow_stdin": False})
        assert replies_to(ws, code, 5) == []  # dropped: no reply, no output
        inspect = kernel_message("inspect_request", {"code": "os", "cursor_pos": 2,
                                                     "detail_level": 0})
        assert replies_to(ws, inspect, 3) == []
    finally:
        ws.close()
