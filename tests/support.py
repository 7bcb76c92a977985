"""Helpers shared by the integration tests and the benchmarks: run a real Agora, log in, run
code in a user's workspace kernel."""

from __future__ import annotations

import atexit
import io
import json
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import requests
import yaml

READY_TIMEOUT = 90
# As root the default isolates users in system accounts: the tests' accounts get this prefix
# (one per test run), so they never take a real agora-<name> account and are removed after.
TEST_ACCOUNTS = f"agt{secrets.token_hex(2)}"  # every system account a test run makes
TEST_ACCOUNT_PREFIX = TEST_ACCOUNTS + "-"  # workspaces'
TEST_KERNEL_PREFIX = TEST_ACCOUNTS + "_k"  # dashboard kernels' (apart from workspaces')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class RunningAgora:
    proc: subprocess.Popen
    url: str  # public URL with base path, ends with "/"
    log_path: Path
    settings_path: Path
    data_dir: Path
    extra: dict = field(default_factory=dict)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    @property
    def dashboards_url(self) -> str:
        """The dashboards service on its own origin (its port), same path as a hub service."""
        port = yaml.safe_load(self.settings_path.read_text())["dashboards"]["port"]
        path = urlparse(self.url).path
        return f"http://127.0.0.1:{port}{path}services/dashboards/"

    def stop(self, timeout: float = 10) -> float:
        """SIGTERM `agora up` and return how long it took to exit (raises if > timeout)."""
        if self.proc.poll() is not None:
            return 0.0
        started = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=timeout)
        return time.monotonic() - started


def reachable_temp_folder(prefix: str) -> Path:
    """A fresh folder in /tmp that every account can traverse (mode 755), removed at exit.

    pytest's tmp_path lives under /tmp/pytest-of-<user> (mode 700): a workspace running as
    another account could not reach a home there, and a 700 parent would make "cannot read
    the data dir" pass vacuously.
    """
    folder = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    os.chmod(folder, 0o755)
    atexit.register(shutil.rmtree, folder, True)
    return folder


def write_settings(folder: Path, overrides: dict | None = None, base_path: str = "/agora/") -> Path:
    """workspace.yaml on free ports. As root, workspaces get their homes in a fresh reachable
    folder and their accounts the test prefix unless `overrides` name them, so that runs never
    share homes under /home nor a real agora-<name> account."""
    settings = {
        "hub": {
            "bind_url": f"http://127.0.0.1:{free_port()}{base_path}",
            "hub_port": free_port(),
            "proxy_api_port": free_port(),
            "data_dir": str(folder / "data"),
        },
        "culler": {"enabled": True, "every_seconds": 60},
        "services": {"datasets_port": free_port(), "portal_port": free_port(),
                     "scheduler_port": free_port()},
        "dashboards": {"port": free_port()},
    }
    if os.geteuid() == 0:
        settings["spawner"] = {"home_root": str(reachable_temp_folder("agora-homes-") / "homes"),
                               "system_user_prefix": TEST_ACCOUNT_PREFIX}
        settings["dashboards"]["kernel_account_prefix"] = TEST_KERNEL_PREFIX
    for section, values in (overrides or {}).items():
        settings.setdefault(section, {}).update(values)
    path = folder / "workspace.yaml"
    path.write_text(yaml.safe_dump(settings))
    return path


def workspaces_for(*users: str) -> dict:
    """Settings overrides granting a workspace to `users` beyond the default groups (analysts,
    schedulers, admins), for tests that run code in an official's or a partner's workspace."""
    return {"spawner": {"workspace_users": list(users)}}


_demo_data: dict[str, Path] = {}  # "folder": this process's demo data dir, see demo_data_dir


def demo_data_dir() -> Path:
    """A data directory holding what `agora up` makes at its first start in demo mode (the
    synthetic sources, the store refreshed from them, the alert episodes, the pseudonym key),
    made once for this test process by the same code (hub.demo_data.bootstrap).

    It is made again when a dataset's schedule slot has passed since (river_levels: every
    15 minutes): a copy must not look to the scheduler any different from a store refreshed
    at the hub's start, where nothing is due yet."""
    from hub.config.loading import load_settings
    from hub.demo_data.bootstrap import load_demo_data
    from hub.pipeline.recipe import load_catalog
    from hub.pipeline.schedule import due_datasets
    from hub.pipeline.store import SnapshotStore
    from hub.pipeline.store_files import utc_now

    folder = _demo_data.get("folder")
    if folder is not None:
        settings = load_settings(environ={"AGORA_HUB__DATA_DIR": str(folder)})
        store = SnapshotStore(settings.store_dir)
        if not due_datasets(load_catalog(settings.catalog_dir), store, utc_now()):
            return folder
    folder = reachable_temp_folder("agora-demo-data-") / "data"
    settings = load_settings(environ={"AGORA_HUB__DATA_DIR": str(folder)})
    results = load_demo_data(settings, out=io.StringIO(), environ=dict(os.environ))
    assert results and not any(r.failed for r in results), results
    _demo_data["folder"] = folder
    return folder


def takes_demo_data_copy(overrides: dict | None, env: dict | None) -> bool:
    """Whether `agora up` with these settings would make exactly :func:`demo_data_dir`'s
    content: demo mode, the default catalog, sources and store, and the environment of the
    tests (a test passing `env` or its own data settings gets a first start of its own)."""
    return env is None and not {"auth", "data"} & set(overrides or {})


def start_agora(folder: Path, overrides: dict | None = None, env: dict | None = None,
                base_path: str = "/agora/", fresh_demo_data: bool = False) -> RunningAgora:
    """Start `agora up` on free ports and wait until it says it is ready.

    In demo mode the data directory starts as a copy of :func:`demo_data_dir` (the same
    files `agora up` would write at its first start, ~8 s saved per start); tests about that
    first start itself, or that pass `env` or data settings, get a fresh one
    (`fresh_demo_data`)."""
    folder.mkdir(parents=True, exist_ok=True)
    settings_path = write_settings(folder, overrides, base_path)
    config = yaml.safe_load(settings_path.read_text())
    if not fresh_demo_data and takes_demo_data_copy(overrides, env):
        shutil.copytree(demo_data_dir(), config["hub"]["data_dir"])
    log_path = folder / "agora-up.log"
    log = open(log_path, "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "hub.cli", "-c", str(settings_path), "up"],
        stdout=log, stderr=subprocess.STDOUT, env=env, cwd=folder,
    )
    agora = RunningAgora(proc, config["hub"]["bind_url"], log_path, settings_path,
                         Path(config["hub"]["data_dir"]))
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if "Agora is ready" in agora.log():
            return agora
        if proc.poll() is not None:
            raise RuntimeError(f"agora up exited with {proc.returncode}:\n{agora.log()[-4000:]}")
        time.sleep(0.2)
    agora.stop(timeout=15)
    raise RuntimeError(f"agora up not ready after {READY_TIMEOUT}s:\n{agora.log()[-4000:]}")


@contextmanager
def running_agora(folder: Path, overrides: dict | None = None, env: dict | None = None,
                  stop_within: float = 15, fresh_demo_data: bool = False
                  ) -> Iterator[RunningAgora]:
    """:func:`start_agora` for the length of a `with` block. Agora is stopped however the
    block ends; when it ends normally, a clean stop is also asserted (exit status 0 within
    `stop_within` seconds: Ctrl-C must stop everything it started, workspaces included)."""
    agora = start_agora(folder, overrides, env, fresh_demo_data=fresh_demo_data)
    try:
        yield agora
    except BaseException:
        if agora.proc.poll() is None:
            agora.stop(timeout=stop_within)
        raise
    elapsed = agora.stop(timeout=stop_within)
    assert agora.proc.returncode == 0, agora.log()[-3000:]
    assert elapsed < stop_within


def xsrf(session: requests.Session, url: str) -> str:
    page = session.get(url)
    page.raise_for_status()
    match = re.search(r'name="_xsrf" value="([^"]+)"', page.text)
    assert match, f"no _xsrf field on {url}"
    return match.group(1)


def login_form(session: requests.Session, hub_url: str, username: str, password: str):
    """Log in through the hub's HTML login form, as a browser would."""
    login_url = hub_url + "hub/login"
    token = xsrf(session, login_url)
    return session.post(login_url, data={"username": username, "password": password,
                                         "_xsrf": token}, allow_redirects=True)


def wait_for_server(session: requests.Session, hub_url: str, username: str,
                    timeout: float = 90) -> dict:
    """Open the user's workspace (OAuth dance included) and return /api/status once it answers."""
    deadline = time.monotonic() + timeout
    user_url = f"{hub_url}user/{username}/"
    while time.monotonic() < deadline:
        page = session.get(user_url + "lab")
        if page.status_code == 200 and "/user/" in page.url and "spawn-pending" not in page.url:
            status = session.get(user_url + "api/status")
            if status.status_code == 200:
                return status.json()
        time.sleep(0.5)
    raise TimeoutError(f"{username}'s server did not become ready in {timeout}s")


def spawned_sessions(hub_url: str, users, password: str = "demo",
                     timeout: float = 120) -> dict[str, requests.Session]:
    """{user: logged-in session} once every user's workspace is ready; all logins first, so
    the workspaces start side by side."""
    sessions = {}
    for user in users:
        session = requests.Session()
        page = login_form(session, hub_url, user, password)
        assert page.status_code == 200, page.text[-2000:]
        sessions[user] = session
    for user in users:
        wait_for_server(sessions[user], hub_url, user, timeout=timeout)
    return sessions


def hub_api(agora: RunningAgora, token: str, path: str, method: str = "GET", **kwargs):
    return requests.request(method, f"{agora.url}hub/api/{path}",
                            headers={"Authorization": f"token {token}"}, **kwargs)


def xsrf_header(session: requests.Session) -> dict:
    """The X-XSRFToken header the hub wants on cookie-authenticated API calls."""
    hub_cookies = [c for c in session.cookies if c.name == "_xsrf" and "/hub" in (c.path or "")]
    cookies = hub_cookies or [c for c in session.cookies if c.name == "_xsrf"]
    return {"X-XSRFToken": cookies[0].value} if cookies else {}


def user_api_token(session: requests.Session, hub_url: str, user: str, note: str,
                   expires_in: int = 600) -> str:
    """A new API token of `user`, created through the hub's token API with their login session."""
    response = session.post(f"{hub_url}hub/api/users/{user}/tokens",
                            json={"note": note, "expires_in": expires_in},
                            headers=xsrf_header(session))
    assert response.status_code == 201, response.text
    return response.json()["token"]


def admin_api_token(agora: RunningAgora, note: str, expires_in: int = 600) -> str:
    """An API token of the demo admin, created through the hub's own token API after login."""
    session = requests.Session()
    login_form(session, agora.url, "admin", "demo")
    return user_api_token(session, agora.url, "admin", note, expires_in)


def token_made_by_admin(agora: RunningAgora, admin: str, user: str,
                        note: str = "integration tests", expires_in: int = 600, **body) -> str:
    """A new API token of `user`, made by an admin through the hub's token API (`body`: more
    fields of the request, e.g. scopes); :func:`user_api_token` is the user's own, made
    from their login session."""
    response = hub_api(agora, admin, f"users/{user}/tokens", "POST",
                       json={"note": note, "expires_in": expires_in, **body})
    assert response.status_code == 201, response.text
    return response.json()["token"]


# -- code in a user's workspace ----------------------------------------------------------------

@dataclass
class Execution:
    """What one execute_request gave: its outputs, in order, as nbformat output dicts."""

    outputs: list[dict]

    @property
    def text(self) -> str:
        """Everything the code printed (stdout and stderr, in the order it came)."""
        return "".join(o["text"] for o in self.outputs if o["output_type"] == "stream")

    @property
    def error(self) -> dict | None:
        return next((o for o in self.outputs if o["output_type"] == "error"), None)

    def data(self, mime: str = "text/plain") -> list[str]:
        """The `mime` representation of every result and display, in order."""
        return [o["data"][mime] for o in self.outputs
                if o["output_type"] in ("execute_result", "display_data") and mime in o["data"]]


class WorkspaceKernel:
    """A kernel in `user`'s running single-user server, driven like JupyterLab drives it: the
    Jupyter Server REST API starts it, its websocket carries execute requests. The code runs
    in the workspace with the environment the spawner gave it. Use it as a context manager:
    the kernel is shut down on exit."""

    def __init__(self, hub_url: str, user: str, token: str, timeout: float = 60):
        self.api = f"{hub_url}user/{user}/api"
        self.user = user
        self.headers = {"Authorization": f"token {token}"}
        self.timeout = timeout
        self.session_id = uuid.uuid4().hex
        self.kernel_id: str | None = None
        self.ws = None

    def __enter__(self) -> WorkspaceKernel:
        import websocket

        kernel = requests.post(f"{self.api}/kernels", json={"name": "python3"},
                               headers=self.headers)
        assert kernel.status_code == 201, kernel.text
        self.kernel_id = kernel.json()["id"]
        ws_url = (f"{self.api}/kernels/{self.kernel_id}/channels?session_id={self.session_id}"
                  .replace("http://", "ws://", 1))
        try:
            self.ws = websocket.create_connection(
                ws_url, header=[f"Authorization: {self.headers['Authorization']}"],
                timeout=self.timeout, suppress_origin=True)
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self.ws is not None:
            self.ws.close()
            self.ws = None
        if self.kernel_id is not None:
            requests.delete(f"{self.api}/kernels/{self.kernel_id}", headers=self.headers)
            self.kernel_id = None

    def execute(self, code: str, timeout: float | None = None,
                store_history: bool = True) -> Execution:
        """Run `code` and collect its outputs until the kernel is idle again (an error in the
        code is returned as an "error" output, not raised). `store_history` as a notebook
        does: the code gets an execution count and `_` its result."""
        timeout = self.timeout if timeout is None else timeout
        msg_id = uuid.uuid4().hex
        self.ws.send(json.dumps({
            "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": self.user,
                       "session": self.session_id, "date": "", "version": "5.3"},
            "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
            "content": {"code": code, "silent": False, "store_history": store_history,
                        "user_expressions": {}, "allow_stdin": False, "stop_on_error": True},
        }))
        outputs, deadline = [], time.monotonic() + timeout
        while time.monotonic() < deadline:
            msg = json.loads(self.ws.recv())
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream":
                outputs.append({"output_type": kind, "name": content["name"],
                                "text": content["text"]})
            elif kind in ("execute_result", "display_data"):
                outputs.append({"output_type": kind, "data": content["data"]})
            elif kind == "error":
                outputs.append({"output_type": kind, **{k: content[k] for k in
                                                        ("ename", "evalue", "traceback")}})
            elif kind == "status" and content["execution_state"] == "idle":
                return Execution(outputs)
        raise TimeoutError(f"no result from {self.user}'s kernel in {timeout}s")


def run_in_workspace(hub_url: str, user: str, token: str, code: str, timeout: float = 60) -> str:
    """Start a kernel in `user`'s running server, execute `code`, return what it printed
    (an error in the code raises AssertionError with the traceback)."""
    with WorkspaceKernel(hub_url, user, token, timeout) as kernel:
        result = kernel.execute(code, store_history=False)
    if result.error:
        raise AssertionError("kernel error: " + "\n".join(result.error["traceback"]))
    return result.text


def tagged_result(output: str, tag: str) -> dict:
    """The JSON a probe printed on its line "<tag> {...}"."""
    line = next((row for row in output.splitlines() if row.startswith(tag + " ")), None)
    assert line is not None, f"no {tag} line in the kernel's output:\n{output[-3000:]}"
    return json.loads(line.removeprefix(tag + " "))


PROBE_TAG = "PROBE-RESULT"
_PROBE_PRELUDE = r"""
import json, os, pwd
P = json.loads(%(paths)r)

def probe(fn):
    try:
        return {"ok": True, "value": fn()}
    except PermissionError:
        return {"ok": False, "error": "PermissionError"}
    except Exception as exc:
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
"""


def probe_code(body: str, paths: dict) -> str:
    """Kernel code that runs `body` with `P` (the paths), `probe(fn)` (the outcome of fn: its
    value, or the exception it raised) and json/os/pwd imported; `body` sets `r`, printed as the
    PROBE_TAG line that :func:`tagged_result` reads."""
    return (_PROBE_PRELUDE % {"paths": json.dumps(paths)} + body
            + f"\nprint({PROBE_TAG!r} + ' ' + json.dumps(r))\n")


def system_account(name: str):
    """The account's passwd entry, or None when there is no such account."""
    try:
        return pwd.getpwnam(name)
    except KeyError:
        return None


def remove_test_accounts(prefix: str = TEST_ACCOUNTS) -> None:
    """Remove every system account whose name starts with `prefix` (what the tests made)."""
    for entry in pwd.getpwall():
        if entry.pw_name.startswith(prefix):
            remove_system_account(entry.pw_name)


def remove_system_account(name: str) -> None:
    """Kill what still runs as a test's system account (its workspace), then userdel -r it."""
    import psutil

    entry = system_account(name)
    if entry is None:
        return
    for proc in psutil.process_iter(["uids"]):
        try:
            if proc.info["uids"] and proc.info["uids"].real == entry.pw_uid:
                proc.kill()
        except psutil.NoSuchProcess:
            pass
    subprocess.run(["userdel", "-r", name], capture_output=True)
    if system_account(name) is not None:
        subprocess.run(["userdel", "-f", "-r", name], capture_output=True)
    subprocess.run(["groupdel", name], capture_output=True)
