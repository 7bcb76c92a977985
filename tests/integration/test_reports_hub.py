"""Reports behind a REAL hub: the scheduler service's least-privilege role, its API (tokens and
cookies), and the run-as tokens it mints: each run reads the datasets service as its
recipient (their row rule) and can do nothing else; every e-mail reaches a real SMTP server.

The renderer is tests.reports_support:render (``reports.renderer``), run in the report's own
process by the real executor: it reads the records with the run's token and tries what the
token must not allow, and prints what it saw in the PDF.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.datasets_support import KEY, build_workspace
from tests.reports_support import (
    ROOT,
    TEST_RENDERER,
    WORKER_ENV,
    notebook,
    pdf_text,
    smtp_server,
    wait_until,
)
from tests.support import (
    free_port,
    hub_api,
    running_agora,
    token_made_by_admin,
    user_api_token,
    xsrf,
)

pytestmark = pytest.mark.integration
FILE_SCHEDULE = """template: digest
cron: "0 7 * * mon"
recipients: {users: [elu-rivemont]}
owner: scheduler
"""


@pytest.fixture(scope="module")
def smtp():
    controller = smtp_server(free_port())
    yield controller
    controller.stop()


@pytest.fixture(scope="module")
def agora(tmp_path_factory, smtp):
    root = tmp_path_factory.mktemp("reports-hub")
    ws = build_workspace(root / "ws")
    notebook(root / "templates", "digest")
    (root / "schedules").mkdir()
    (root / "schedules" / "from-file.yaml").write_text(FILE_SCHEDULE)
    overrides = {
        "data": {"catalog_dir": str(ws.catalog_dir), "store_dir": str(ws.store_dir),
                 "sources_dir": str(ws.sources_dir), "demo_data": False},
        "reports": {"schedules_dir": str(root / "schedules"),
                    "templates_dir": str(root / "templates"), "renderer": TEST_RENDERER,
                    "poll_seconds": 1, "retries": 0,
                    "smtp": {"host": "127.0.0.1", "port": smtp.port, "security": "none"}},
    }
    env = {**os.environ, "AGORA_PSEUDONYM_KEY": KEY, "PYTHONPATH": str(ROOT)}
    with running_agora(root / "hub", overrides, env) as running:
        yield running


def logged_in(agora, user: str) -> requests.Session:
    """A browser session of `user` that did not land on (and start) a workspace."""
    session = requests.Session()
    session.post(f"{agora.url}hub/login", allow_redirects=False, timeout=30,
                 data={"username": user, "password": "demo",
                       "_xsrf": xsrf(session, f"{agora.url}hub/login")})
    return session


@pytest.fixture(scope="module")
def admin(agora):
    return user_api_token(logged_in(agora, "admin"), agora.url, "admin", "reports tests", 900)


@pytest.fixture(scope="module")
def tokens(agora, admin):
    return {user: token_made_by_admin(agora, admin, user)
            for user in ("scheduler", "elu-rivemont", "elu-bellecombe", "partner")}


def api(agora, path, token=None, method="GET", **kwargs):
    headers = {"Authorization": f"token {token}"} if token else {}
    return requests.request(method, f"{agora.url}services/scheduler/api/{path}",
                            headers=headers, timeout=30, allow_redirects=False, **kwargs)


def probe_schedule(agora, name="probe", **fields) -> dict:
    return {"name": name, "template": "digest", "cron": "0 7 * * mon",
            "recipients": {"users": ["elu-rivemont", "elu-bellecombe"]},
            "parameters": {"dataset": "incidents", "hub_url": agora.url,
                           "public_url": agora.url}, **fields}


def finished_runs(agora, token, name, count):
    def done():
        runs = api(agora, f"schedules/{name}/runs", token).json()["runs"]
        final = [r for r in runs if r["status"] in ("succeeded", "failed")
                 and r["delivery"] not in (None, "pending")]
        return final if len(final) >= count else None
    return wait_until(done, timeout=60, step=0.3)


def test_the_scheduler_service_runs_with_its_own_least_privilege_role(agora, admin):
    service = hub_api(agora, admin, "services/scheduler").json()
    assert service["roles"] == ["scheduler"] and service["pid"] > 0
    own = (agora.data_dir / "reports" / "scheduler.token").read_text().strip()  # its token
    assert hub_api(agora, own, "groups/officials").status_code == 200  # read:groups
    assert hub_api(agora, own, "users").status_code == 403  # nothing about users
    assert hub_api(agora, own, "users/partner/tokens", "POST",  # partners: not run-as
                   json={"scopes": ["access:services!service=datasets"]}).status_code == 403
    minted = hub_api(agora, own, "users/elu-rivemont/tokens", "POST", json={
        "expires_in": 60, "scopes": ["access:services!service=datasets"]})
    assert minted.status_code == 201
    # JupyterHub checks requested scopes against the USER's: an official holds no admin
    assert hub_api(agora, own, "users/elu-rivemont/tokens", "POST", json={
        "scopes": ["admin:users"]}).status_code == 400
    assert hub_api(agora, own, f"users/elu-rivemont/tokens/{minted.json()['id']}",
                   "DELETE").status_code == 204
    assert hub_api(agora, admin, "services/refresh-scheduler").status_code == 404
    index = requests.get(f"{agora.url}services/scheduler/", timeout=30)
    assert index.status_code == 200 and index.json()["api"]
    wait_until(lambda: "dataset refreshes:" in agora.log(), timeout=20)


def test_each_recipient_reads_only_their_rows_with_a_token_that_does_nothing_else(
        agora, admin, tokens, smtp):
    created = api(agora, "schedules", tokens["scheduler"], "POST", json=probe_schedule(agora))
    assert created.status_code == 201, created.text
    assert created.json()["owner"] == "scheduler" and created.json()["origin"] == "api"
    started = api(agora, "schedules/probe/runs", tokens["scheduler"], "POST",
                  json={"period": "2026-W48"})
    assert started.status_code == 202, started.text
    runs = {r["recipient"]: r for r in finished_runs(agora, tokens["scheduler"], "probe", 2)}
    assert {r: run["status"] for r, run in runs.items()} == {
        "elu-bellecombe": "succeeded", "elu-rivemont": "succeeded"}, runs
    pdf = api(agora, f"runs/{runs['elu-rivemont']['id']}/pdf", tokens["elu-rivemont"])
    assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"
    path = agora.data_dir / "probe-rivemont.pdf"
    path.write_bytes(pdf.content)
    seen = dict(line.split("=", 1) for line in pdf_text(path).split() if "=" in line)
    assert seen["communes"] == "99101"  # the official's row rule, applied by the service
    assert seen["identity"] == "200:elu-rivemont"
    granted = {s for s in seen["scopes"].split(",") if not s.startswith("read:users:")}
    assert granted == {"access:services!service=datasets"}
    assert seen["list_users"] == "403" and seen["mint"] == "403"
    assert seen["dashboards"] != "200" and seen["portal"] != "200"
    other = api(agora, f"runs/{runs['elu-bellecombe']['id']}/pdf", tokens["elu-bellecombe"])
    path.write_bytes(other.content)
    assert "communes=99102" in pdf_text(path)
    # a recipient's PDF holds their data: neither another recipient nor the owner gets it
    assert api(agora, f"runs/{runs['elu-rivemont']['id']}/pdf",
               tokens["elu-bellecombe"]).status_code == 404
    assert api(agora, f"runs/{runs['elu-rivemont']['id']}/pdf",
               tokens["scheduler"]).status_code == 404
    mine = api(agora, "runs", tokens["elu-rivemont"]).json()["runs"]
    assert {r["recipient"] for r in mine} == {"elu-rivemont"}
    for user in ("elu-rivemont", "elu-bellecombe"):
        [mail] = smtp.mailbox.to(f"{user}@example.org")
        assert [name for name, _ in smtp.mailbox.attachments(mail)] == ["probe-2026-W48.pdf"]
    left = hub_api(agora, admin, "users/elu-rivemont/tokens").json()["api_tokens"]
    assert not [t for t in left if (t.get("note") or "").startswith("report run")]


def test_a_browser_session_reads_but_cannot_write_without_the_xsrf_token(agora):
    session = logged_in(agora, "scheduler")
    listed = session.get(f"{agora.url}services/scheduler/api/schedules", timeout=30)
    assert listed.status_code == 200 and listed.json()["may_schedule"] is True
    forged = session.post(f"{agora.url}services/scheduler/api/schedules", timeout=30,
                          json=probe_schedule(agora, "forged"))
    assert forged.status_code == 401
    service_xsrf = next(c.value for c in session.cookies if c.name == "_xsrf"
                        and "scheduler" in (c.path or ""))
    made = session.post(f"{agora.url}services/scheduler/api/schedules", timeout=30,
                        json=probe_schedule(agora, "from-browser"),
                        headers={"X-XSRFToken": service_xsrf})
    assert made.status_code == 201, made.text


def test_who_may_schedule_what_and_for_whom(agora, tokens):
    refused = api(agora, "schedules", tokens["elu-rivemont"], "POST",
                  json=probe_schedule(agora, "mine"))
    assert refused.status_code == 403 and "schedulers" in refused.json()["error"]
    outside = api(agora, "schedules", tokens["scheduler"], "POST", json=probe_schedule(
        agora, "partners", recipients={"users": ["partner"]}))
    assert outside.status_code == 400
    assert "cannot run under the rights of partner" in outside.json()["error"]
    missing = api(agora, "schedules", tokens["scheduler"], "POST",
                  json=probe_schedule(agora, "nothing", template="no_such_template"))
    assert missing.status_code == 400 and "no template named" in missing.json()["error"]
    assert api(agora, "schedules/from-file", tokens["scheduler"], "PATCH",
               json={"enabled": False}).status_code == 409
    listed = [s["name"] for s in api(agora, "schedules", tokens["scheduler"]).json()["schedules"]]
    assert "from-file" in listed
    assert api(agora, "schedules/from-file", tokens["partner"]).status_code == 404


def test_an_owner_disables_a_schedule_and_it_stays_disabled_after_changes(agora, tokens):
    made = api(agora, "schedules", tokens["scheduler"], "POST",
               json=probe_schedule(agora, "to-disable"))
    assert made.status_code == 201, made.text
    off = api(agora, "schedules/to-disable", tokens["scheduler"], "PATCH",
              json={"enabled": False})
    assert off.status_code == 200 and off.json()["enabled"] is False
    assert off.json()["next_run"] is None
    bad = api(agora, "schedules/to-disable", tokens["scheduler"], "PATCH", json={"owner": "x"})
    assert bad.status_code == 400 and "cannot change owner" in bad.json()["error"]
    time.sleep(0.1)
    assert api(agora, "schedules/to-disable", tokens["scheduler"]).json()["enabled"] is False


def test_agora_report_run_runs_now_through_the_same_executor_with_progress(agora, admin, smtp):
    before = len(smtp.mailbox.to("elu-rivemont@example.org"))
    result = subprocess.run(
        [sys.executable, "-m", "hub.cli", "-c", str(agora.settings_path), "report", "run",
         "from-file", "--period", "2026-W48"], capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("from-file: Digest, period 2026-W48 (2026-11-23 to 2026-11-29)")
    assert any(line.startswith("elu-rivemont") and "pdf written" in line for line in lines)
    assert any("succeeded" in line and "2026-W48" in line for line in lines)
    pdf = Path(lines[-1].split(": ", 1)[1])
    assert pdf.is_file() and "report 2026-W48 for elu-rivemont" in pdf_text(pdf)
    assert len(smtp.mailbox.to("elu-rivemont@example.org")) == before + 1
    history = subprocess.run([sys.executable, "-m", "hub.cli", "-c", str(agora.settings_path),
                              "report", "history", "from-file"], capture_output=True,
                             text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert "succeeded" in history.stdout and "elu-rivemont" in history.stdout


def test_agora_report_run_on_dask_gives_each_recipient_the_local_pdf(agora, tokens, smtp):
    distributed = pytest.importorskip("distributed")
    created = api(agora, "schedules", tokens["scheduler"], "POST",
                  json=probe_schedule(agora, "dask-probe"))
    assert created.status_code == 201, created.text
    archive = agora.data_dir / "reports" / "archive" / "dask-probe" / "2026-W48"

    def report_run(dask_scheduler: str) -> tuple[dict, str]:
        result = subprocess.run(
            [sys.executable, "-m", "hub.cli", "-c", str(agora.settings_path), "report", "run",
             "dask-probe", "--period", "2026-W48"], capture_output=True, text=True,
            timeout=180, env={**os.environ, "PYTHONPATH": str(ROOT),
                              "AGORA_BATCH__DASK_SCHEDULER": dask_scheduler})
        assert result.returncode == 0, result.stdout + result.stderr
        return ({user: pdf_text(archive / f"{user}.pdf")
                 for user in ("elu-rivemont", "elu-bellecombe")}, result.stdout)

    local, _ = report_run("")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None, env=WORKER_ENV) as cluster:
        on_dask, said = report_run(cluster.scheduler_address)
    assert on_dask == local
    assert "communes=99101" in on_dask["elu-rivemont"]  # each official's row rule
    assert "communes=99102" in on_dask["elu-bellecombe"]
    assert "identity=200:elu-bellecombe" in on_dask["elu-bellecombe"]
    assert "JUPYTERHUB_API_TOKEN" not in on_dask["elu-rivemont"]
    assert any(line.startswith("elu-bellecombe") and "pdf written" in line
               for line in said.splitlines())  # progress came back from the worker
