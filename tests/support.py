"""Helpers shared by the integration tests and the benchmarks: run a real Agora, log in."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests
import yaml

READY_TIMEOUT = 90


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

    def stop(self, timeout: float = 10) -> float:
        """SIGTERM `agora up` and return how long it took to exit (raises if > timeout)."""
        if self.proc.poll() is not None:
            return 0.0
        started = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=timeout)
        return time.monotonic() - started


def write_settings(folder: Path, overrides: dict | None = None, base_path: str = "/agora/") -> Path:
    settings = {
        "hub": {
            "bind_url": f"http://127.0.0.1:{free_port()}{base_path}",
            "hub_port": free_port(),
            "proxy_api_port": free_port(),
            "data_dir": str(folder / "data"),
        },
        "culler": {"enabled": True, "every_seconds": 60},
        "services": {"datasets_port": free_port()},
    }
    for section, values in (overrides or {}).items():
        settings.setdefault(section, {}).update(values)
    path = folder / "workspace.yaml"
    path.write_text(yaml.safe_dump(settings))
    return path


def start_agora(folder: Path, overrides: dict | None = None, env: dict | None = None,
                base_path: str = "/agora/") -> RunningAgora:
    """Start `agora up` on free ports and wait until it says it is ready."""
    folder.mkdir(parents=True, exist_ok=True)
    settings_path = write_settings(folder, overrides, base_path)
    config = yaml.safe_load(settings_path.read_text())
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


def hub_api(agora: RunningAgora, token: str, path: str, method: str = "GET", **kwargs):
    return requests.request(method, f"{agora.url}hub/api/{path}",
                            headers={"Authorization": f"token {token}"}, **kwargs)


def xsrf_header(session: requests.Session) -> dict:
    """The X-XSRFToken header the hub wants on cookie-authenticated API calls."""
    hub_cookies = [c for c in session.cookies if c.name == "_xsrf" and "/hub" in (c.path or "")]
    cookies = hub_cookies or [c for c in session.cookies if c.name == "_xsrf"]
    return {"X-XSRFToken": cookies[0].value} if cookies else {}


def admin_api_token(agora: RunningAgora, note: str, expires_in: int = 600) -> str:
    """An API token of the demo admin, created through the hub's own token API after login."""
    session = requests.Session()
    login_form(session, agora.url, "admin", "demo")
    response = session.post(f"{agora.url}hub/api/users/admin/tokens",
                            json={"note": note, "expires_in": expires_in},
                            headers=xsrf_header(session))
    assert response.status_code == 201, response.text
    return response.json()["token"]
