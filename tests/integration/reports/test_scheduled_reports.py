"""Scheduled reports and alerts end to end, on ONE real `agora up` of the embedded default.

The demo's weekly digest (report_schedules/territory-digest.yaml: every official, run as
each of them) is run now with `agora report run`, through the scheduler's real executor,
the real renderer (Papermill, nbconvert, WeasyPrint) and short-lived tokens from the hub.
Each official's e-mail reaches a real SMTP server (aiosmtpd) with their PDF attached, and
pdftotext finds their commune and not the other's. A template that raises sends no PDF and
tells the schedule's owner. The demo's first refresh opened nearly-full-bin alerts: the
scheduler service tells each official, once, about the bins of their commune only, and the
portal lists them. Page 1 of each PDF is kept as a PNG ($AGORA_REPORT_PAGES).
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests

from tests.access_oracle import Snapshot
from tests.reports_support import ROOT, pdf_text, smtp_server, wait_until
from tests.support import free_port, login_form, running_agora, user_api_token

pytestmark = pytest.mark.integration

PERIOD = "2025-W48"  # inside every demo dataset's time range
OFFICIALS = {"elu-rivemont": ("99101", "Rivemont"), "elu-bellecombe": ("99102", "Bellecombe")}
BROKEN = """title: Broken digest
template: broken
cron: "0 7 * * mon"
recipients: {users: [elu-rivemont]}
run_as: recipient
owner: scheduler
"""


@pytest.fixture(scope="module")
def smtp():
    controller = smtp_server(free_port())
    yield controller
    controller.stop()


def broken_template(folder: Path) -> None:
    """The digest with a cell that raises after its parameters."""
    notebook = json.loads((ROOT / "report_templates" / "territory-digest.ipynb").read_text())
    at = next(i for i, c in enumerate(notebook["cells"])
              if "parameters" in c.get("metadata", {}).get("tags", []))
    notebook["cells"].insert(at + 1, {"cell_type": "code", "id": "boom", "metadata": {},
                                      "execution_count": None, "outputs": [],
                                      "source": "raise RuntimeError('the source is gone')"})
    (folder / "broken.ipynb").write_text(json.dumps(notebook))


@pytest.fixture(scope="module")
def agora(tmp_path_factory, smtp):
    root = tmp_path_factory.mktemp("scheduled")
    templates, schedules = root / "templates", root / "schedules"
    shutil.copytree(ROOT / "report_templates", templates)
    shutil.copytree(ROOT / "report_schedules", schedules)
    broken_template(templates)
    (schedules / "broken.yaml").write_text(BROKEN)
    overrides = {"reports": {
        "templates_dir": str(templates), "schedules_dir": str(schedules), "poll_seconds": 1,
        "retries": 0, "smtp": {"host": "127.0.0.1", "port": smtp.port, "security": "none"}}}
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with running_agora(root / "hub", overrides, env) as running:
        yield running


def report_run(agora, name: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hub.cli", "-c", str(agora.settings_path),
                           "report", "run", name, "--period", PERIOD], capture_output=True,
                          text=True, timeout=600, env={**os.environ, "PYTHONPATH": str(ROOT)})


@pytest.fixture(scope="module")
def digest(agora, smtp):
    result = report_run(agora, "territory-digest")
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def pages_folder() -> Path:
    folder = Path(os.environ.get("AGORA_REPORT_PAGES", "/tmp/agora-report-pages"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_each_official_gets_their_own_pdf_by_mail_with_only_their_commune(
        agora, smtp, digest, tmp_path):
    for user, (code, name) in OFFICIALS.items():
        [mail] = [m for m in smtp.mailbox.to(f"{user}@example.org")
                  if smtp.mailbox.attachments(m)]
        [(filename, content)] = smtp.mailbox.attachments(mail)
        assert filename == f"territory-digest-{PERIOD}.pdf"
        pdf = tmp_path / f"{user}.pdf"
        pdf.write_bytes(content)
        text = pdf_text(pdf)
        other_code, other_name = next(v for u, v in OFFICIALS.items() if u != user)
        assert name in text and code in text
        assert other_name not in text and other_code not in text
        assert "import " not in text and "Traceback" not in text
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile",
                        str(pdf), str(pages_folder() / f"scheduled-digest-{user}-page1")],
                       check=True)
    assert "succeeded" in digest.stdout and digest.stdout.count(".pdf") >= 2


def test_a_recipient_downloads_their_own_pdf_and_not_the_others(agora, digest):
    runs = {}
    for user in OFFICIALS:
        session = requests.Session()
        login_form(session, agora.url, user, "demo")
        listed = session.get(f"{agora.url}services/scheduler/api/runs", timeout=30).json()
        mine = [r for r in listed["runs"] if r["schedule"] == "territory-digest"
                and r["period"] == PERIOD]
        assert [r["recipient"] for r in mine] == [user]
        runs[user] = (session, mine[0]["id"])
    for user, (session, run_id) in runs.items():
        own = session.get(f"{agora.url}services/scheduler/api/runs/{run_id}/pdf", timeout=30)
        assert own.status_code == 200 and own.content.startswith(b"%PDF")
        other_id = next(r for u, (_, r) in runs.items() if u != user)
        theirs = session.get(f"{agora.url}services/scheduler/api/runs/{other_id}/pdf",
                             timeout=30)
        assert theirs.status_code == 404


def test_a_template_that_raises_sends_no_pdf_and_tells_the_owner(agora, smtp, digest):
    before = len(smtp.mailbox.to("elu-rivemont@example.org"))
    result = report_run(agora, "broken")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "failed" in result.stdout
    assert len(smtp.mailbox.to("elu-rivemont@example.org")) == before  # no PDF, no mail
    notice = wait_until(lambda: [m for m in smtp.mailbox.to("scheduler@example.org")
                                 if "broken" in str(m["Subject"]).lower()
                                 or "Broken" in str(m["Subject"])], timeout=30)
    body = notice[0].get_body(("plain",)).get_content()
    assert "RuntimeError: the source is gone" in body and "Traceback" not in body
    assert not smtp.mailbox.attachments(notice[0])


def test_each_official_is_told_once_of_the_full_bins_of_their_commune_only(agora, smtp):
    bins = Snapshot(agora.data_dir / "store", "waste_bins").frame
    commune_of = dict(zip(bins["bin_id"], bins["commune_code"], strict=False))

    def alert_mails(user):
        return [m for m in smtp.mailbox.to(f"{user}@example.org")
                if str(m["Subject"]).startswith("[Agora]")]

    for user, (code, _) in OFFICIALS.items():
        [mail] = wait_until(lambda u=user: alert_mails(u), timeout=60)
        body = mail.get_body(("plain",)).get_content()
        told = {word.strip("()") for word in body.split() if word.startswith("CNT-")}
        assert told, body
        assert {commune_of[b] for b in told} == {code}, (user, told)
    session = requests.Session()
    login_form(session, agora.url, "elu-rivemont", "demo")
    home = session.get(f"{agora.url}services/portal/", timeout=30).text
    assert "Mes alertes" in home and "Conteneur CNT-" in home
    time.sleep(3)  # three more ticks of the scheduler
    assert all(len(alert_mails(user)) == 1 for user in OFFICIALS)  # once, not at each tick


def portal_session(agora, user: str) -> requests.Session:
    session = requests.Session()
    login_form(session, agora.url, user, "demo")
    return session


def test_an_official_finds_and_downloads_their_reports_in_the_portal(agora, digest):
    portal = f"{agora.url}services/portal/"
    pages = {user: portal_session(agora, user).get(portal + "reports/", timeout=60)
             for user in OFFICIALS}
    links = {}
    for user, page in pages.items():
        assert page.status_code == 200 and "Mes rapports" in page.text
        links[user] = re.findall(r'href="([^"]*reports/runs/\d+\.pdf)"', page.text)
        assert links[user], page.text[-2000:]
    for user in OFFICIALS:
        session = portal_session(agora, user)
        own = session.get(urljoin(agora.url, links[user][0]), timeout=60)
        assert own.status_code == 200 and own.content.startswith(b"%PDF")
        assert OFFICIALS[user][1] in pdf_text_of(own.content)
        other = next(u for u in OFFICIALS if u != user)
        theirs = session.get(urljoin(agora.url, links[other][0]), timeout=60)
        assert theirs.status_code == 404 and b"%PDF" not in theirs.content


def pdf_text_of(content: bytes) -> str:
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(content)
        f.flush()
        return pdf_text(Path(f.name))


def test_a_scheduler_plans_a_weekly_report_in_the_portal_without_cron(agora):
    session = portal_session(agora, "scheduler")
    page = session.get(f"{agora.url}services/portal/reports/", timeout=60)
    assert "Planifier un rapport" in page.text
    xsrf = re.search(r'name="_xsrf" value="([^"]+)"', page.text).group(1)
    form = {"_xsrf": xsrf, "title": "Qualité de l'air — élus", "template": "air-quality-bulletin",
            "frequency": "weekly", "weekday": "fri", "time": "08:30", "groups": "officials",
            "users": "", "emails": "", "run_as": "recipient", "language": "fr"}
    made = session.post(f"{agora.url}services/portal/reports/", data=form, timeout=60)
    assert made.status_code == 200 and "C'est fait" in html.unescape(made.text), made.text[-3000:]
    assert "chaque vendredi à 08:30" in html.unescape(made.text)  # listed, in words
    token = user_api_token(session, agora.url, "scheduler", "portal test")
    schedule = requests.get(f"{agora.url}services/scheduler/api/schedules/qualite-de-l-air-elus",
                            headers={"Authorization": f"token {token}"}, timeout=30).json()
    assert (schedule["cron"], schedule["period"], schedule["run_as"], schedule["owner"]) == (
        "30 8 * * fri", "week", "recipient", "scheduler")
    assert schedule["recipients"]["groups"] == ["officials"]
    no_xsrf = session.post(f"{agora.url}services/portal/reports/", timeout=60,
                           data={**form, "_xsrf": "forged", "title": "Forged"})
    assert no_xsrf.status_code == 403
    refused = portal_session(agora, "elu-rivemont").get(f"{agora.url}services/portal/reports/",
                                                       timeout=60)
    assert "Planifier un rapport" not in refused.text  # officials read, they do not schedule
