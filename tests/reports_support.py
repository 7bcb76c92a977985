"""What the reports tests share: a small test renderer, a tiny PDF writer, a hub stand-in for
unit tests, and an SMTP server on loopback (aiosmtpd, real SMTP).

:func:`render` has the signature of ``hub.reports.render.render_report`` and is what the
tests name in ``reports.renderer`` (``tests.reports_support:render``): it runs in the
report's own process (hub/reports/worker.py) and is steered by the run's parameters:

- ``sleep``: seconds to wait before writing (a run to time out);
- ``gate``: a path: write ``<gate>.started`` and a partial PDF, then wait until the gate file
  exists (a run to kill mid-way, or to hold while others queue);
- ``fail``: raise :class:`ReportFailed` with this message (a template that raises);
- ``crash``: raise a plain exception (a bug, not a message for people);
- ``dataset``: read that dataset's records from the datasets service with the run's token
  (AGORA_TOKEN, AGORA_DATASETS_URL) and print the distinct ``commune_code`` values;
- ``hub_url`` / ``public_url``: try, with the run's token, what it must NOT be able to do
  (list users, mint tokens, open the dashboards service) and what it may (its identity).

The PDF holds one line per fact (pdftotext reads them back); it is written next to its final
name and renamed, as the real renderer does.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
from contextlib import asynccontextmanager, contextmanager
from email import message_from_bytes, policy
from pathlib import Path
from types import SimpleNamespace

from hub.reports.tokens import HubError


class ReportFailed(Exception):
    """The test renderer's failure a person should read (as hub.reports.render's)."""


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def tiny_pdf(lines: list[str]) -> bytes:
    """A valid one-page PDF showing `lines` in Helvetica (ASCII)."""
    shown = " ".join(f"({_escape(line)}) '" for line in lines)
    text = f"BT /F1 10 Tf 40 800 Td 13 TL {shown} ET"
    objects = ["<< /Type /Catalog /Pages 2 0 R >>",
               "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
               "/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
               "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
               f"<< /Length {len(text)} >>\nstream\n{text}\nendstream"]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{offset:010d} 00000 n \n" for offset in offsets).encode()
    out += (f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n"
            "%%EOF\n").encode()
    return bytes(out)


def _get(url: str, token: str, method: str = "GET", **kwargs) -> int:
    import requests

    response = requests.request(method, url, headers={"Authorization": f"token {token}"},
                                timeout=20, allow_redirects=False, **kwargs)
    return response.status_code


def _datasets_lines(dataset: str, env) -> list[str]:
    import requests

    url = f"{env['AGORA_DATASETS_URL']}api/datasets/{dataset}/records"
    response = requests.get(url, params={"limit": 1000}, timeout=20,
                            headers={"Authorization": f"token {env['AGORA_TOKEN']}"})
    if response.status_code != 200:
        raise ReportFailed(f"the datasets service answered {response.status_code}")
    communes = sorted({r["commune_code"] for r in response.json()["records"]})
    return [f"communes={','.join(communes)}", f"rows={len(response.json()['records'])}"]


def _hub_lines(hub_url: str, public_url: str, token: str, user: str) -> list[str]:
    import requests

    me = requests.get(f"{hub_url}hub/api/user", timeout=20,
                      headers={"Authorization": f"token {token}"})
    return [f"identity={me.status_code}:{me.json().get('name') if me.ok else ''}",
            f"scopes={','.join(sorted(me.json().get('scopes', []))) if me.ok else ''}",
            f"list_users={_get(hub_url + 'hub/api/users', token)}",
            f"mint={_get(f'{hub_url}hub/api/users/{user}/tokens', token, 'POST', json={})}",
            f"dashboards={_get(public_url + 'services/dashboards/', token)}",
            f"portal={_get(public_url + 'services/portal/', token)}"]


def _wait_at_gate(gate: Path, out_pdf: Path, say) -> None:
    out_pdf.with_suffix(".partial").write_bytes(b"%PDF-1.4 half a report")
    Path(f"{gate}.started").write_text(str(os.getpid()))
    say("waiting at the gate")
    deadline = time.monotonic() + 60
    while not gate.exists() and time.monotonic() < deadline:
        time.sleep(0.02)


def render(template: Path, parameters: dict, env, out_pdf: Path, *, cell_timeout: int = 300,
           progress=None):
    """The test renderer (module docstring)."""
    say = progress or (lambda message: None)
    say(f"template {Path(template).name}")
    if parameters.get("sleep"):
        say(f"sleeping {parameters['sleep']} s")
        time.sleep(float(parameters["sleep"]))
    if parameters.get("gate"):
        _wait_at_gate(Path(parameters["gate"]), Path(out_pdf), say)
    if parameters.get("fail"):
        raise ReportFailed(str(parameters["fail"]))
    if parameters.get("crash"):
        raise RuntimeError("a bug in the template")
    lines = [f"report {parameters.get('period')} for {env.get('AGORA_REPORT_RECIPIENT')}",
             f"locale={env.get('AGORA_LOCALE')}", *(f"env {name}" for name in sorted(env))]
    if parameters.get("dataset"):
        lines += _datasets_lines(parameters["dataset"], env)
    if parameters.get("hub_url"):
        lines += _hub_lines(parameters["hub_url"], parameters["public_url"], env["AGORA_TOKEN"],
                            env["AGORA_REPORT_RECIPIENT"])
    partial = Path(out_pdf).with_suffix(".partial")
    partial.write_bytes(tiny_pdf(lines))
    os.replace(partial, out_pdf)
    say("pdf written")
    return SimpleNamespace(pdf=Path(out_pdf), pages=1,
                           lineage=[{"dataset": parameters.get("dataset") or "none",
                                     "version": "test"}])


def pdf_text(path: Path) -> str:
    import subprocess

    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout


# -- a stand-in for the hub in unit tests (the integration tests use a real one) --------------

class LocalHub:
    """Group members given in advance; :meth:`lease` hands out a made-up token per run and
    records it, refusing the users in `refused` as the hub refuses users outside the
    scheduler's `tokens!group=...` scopes."""

    def __init__(self, groups: dict[str, list[str]] | None = None, refused=()):
        self.groups = dict(groups or {})
        self.refused = set(refused)
        self.leased: list[tuple[str, int]] = []
        self.open: set[str] = set()

    async def members(self, group: str) -> list[str]:
        return sorted(self.groups.get(group, []))

    @asynccontextmanager
    async def lease(self, user: str, seconds: int, note: str):
        if user in self.refused:
            raise HubError("the hub answered 403", permanent=True, status=403)
        token = f"local-token-of-{user}-{len(self.leased)}"
        self.leased.append((user, seconds))
        self.open.add(token)
        try:
            yield token
        finally:
            self.open.discard(token)


# -- SMTP on loopback ----------------------------------------------------------------------------

class Mailbox:
    """Messages received by an aiosmtpd server (a real SMTP conversation on loopback)."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def to(self, address: str) -> list:
        return [m for m in self.messages if address in m["To"]]

    def attachments(self, message) -> list[tuple[str, bytes]]:
        return [(part.get_filename(), part.get_content()) for part in message.iter_attachments()]


def smtp_server(port: int, **options):
    """A started aiosmtpd Controller on 127.0.0.1:`port` with a :class:`Mailbox`; stop it."""
    from aiosmtpd.controller import Controller

    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, **options)
    controller.start()
    controller.mailbox = mailbox
    return controller


def wait_until(predicate, timeout: float = 20, step: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise TimeoutError("condition not met in time")


async def async_wait_until(predicate, timeout: float = 20, step: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        await asyncio.sleep(step)
    raise TimeoutError("condition not met in time")


def notebook(folder: Path, name: str) -> Path:
    """A template file (the test renderer does not read it; the executor checks it exists)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.ipynb"
    path.write_text(json.dumps({"cells": [], "metadata": {}, "nbformat": 4,
                                "nbformat_minor": 5}))
    return path


ROOT = Path(__file__).resolve().parents[1]
# a LocalCluster's workers see the checkout as the local runs' processes do (worker_environ)
WORKER_ENV = {"PYTHONPATH": str(ROOT)}
TEST_RENDERER = "tests.reports_support:render"


def report_settings(folder: Path, schedules: dict[str, str] | None = None,
                    reports: dict | None = None, smtp_port: int | None = None,
                    hub: dict | None = None, data: dict | None = None,
                    dask_scheduler: str = ""):
    """Settings for a scheduler in `folder`: the test renderer, a template named `digest`,
    schedule files from `schedules` ({name: YAML text}), SMTP on loopback if `smtp_port`,
    runs on the Dask cluster at `dask_scheduler` if given."""
    import yaml

    from hub.config.loading import load_settings

    schedules_dir, templates = folder / "schedules", folder / "templates"
    schedules_dir.mkdir(parents=True, exist_ok=True)
    notebook(templates, "digest")
    for name, text in (schedules or {}).items():
        (schedules_dir / f"{name}.yaml").write_text(text)
    section = {"schedules_dir": str(schedules_dir), "templates_dir": str(templates),
               "renderer": TEST_RENDERER, "retry_backoff_seconds": 1, "max_parallel": 2,
               **(reports or {})}
    if smtp_port:
        section["smtp"] = {"host": "127.0.0.1", "port": smtp_port, "security": "none",
                           "from_address": "Agora <agora@example.org>"}
    path = folder / "workspace.yaml"
    path.write_text(yaml.safe_dump({"hub": {"data_dir": str(folder / "data"), **(hub or {})},
                                    "reports": section, **({"data": data} if data else {}),
                                    "batch": {"dask_scheduler": dask_scheduler}}))
    return load_settings(path, environ={})


def worker_environ() -> dict[str, str]:
    """The scheduler's environment in tests: this checkout first on the path, and a secret
    that must never reach a report process."""
    return {**os.environ, "PYTHONPATH": str(ROOT), "JUPYTERHUB_API_TOKEN": "scheduler-secret",
            "AGORA_PSEUDONYM_KEY": "pseudonym-secret"}


@contextmanager
def counting_web_server(status: int = 404):
    """(URL, paths asked) of a web server on loopback answering `status` to every GET: a
    report that loads nothing leaves the list empty."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    hits = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(status)
            self.end_headers()

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}", hits
    finally:
        httpd.shutdown()
