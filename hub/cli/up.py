"""`agora up`: start JupyterHub (which starts the proxy and services) and supervise it.

Guarantees: one instance per data directory (a lock file), a clear refusal when a port is
taken, a banner saying where to go and who can log in, and a clean stop within 10 s on
Ctrl-C or SIGTERM: the hub gets SIGTERM and stops its proxy, services and workspaces; anything
still alive after the grace period is killed, and so is all the hub started when the hub
dies on its own (:class:`Family`).
"""

from __future__ import annotations

import fcntl
import os
import pwd
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil

from ..config.loading import load_settings
from ..config.runtime_checks import check_runtime, hub_environment
from ..config.settings import Settings
from ..demo_data.bootstrap import load_demo_data
from ..demo_data.dashboards import publish_demo_dashboards
from ..login import demo_accounts as demo
from ..reports.service import service_token

STOP_GRACE_SECONDS = 7.0


class StartRefused(Exception):
    """Agora cannot start; the message says why and what to do."""


def prepare_data_dir(s: Settings) -> None:
    """Create the hub's data directory, readable by the hub's account only, and the
    scheduler service's API token in it (hub/reports/service.py)."""
    data = s.hub.data_dir
    data.mkdir(mode=0o700, parents=True, exist_ok=True)  # never briefly open to others
    os.chmod(data, 0o700)
    service_token(s.reports_dir)
    if s.isolation == "shared":
        s.home_root.mkdir(parents=True, exist_ok=True)

def config_file() -> Path:
    """The thin jupyterhub_config.py: packaged copy when installed, project file in a checkout."""
    package = Path(__file__).resolve().parent.parent  # hub/
    for candidate in (package / "jupyterhub_config.py", package.parent / "jupyterhub_config.py"):
        if candidate.exists():
            return candidate
    raise StartRefused("jupyterhub_config.py not found next to the hub package; reinstall Agora")


def acquire_instance_lock(data_dir: Path):
    """Hold an exclusive lock for this data directory; refuse if another Agora holds it."""
    lock_path = data_dir / "agora.lock"
    handle = open(lock_path, "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        pid = handle.read().strip() or "?"
        handle.close()
        raise StartRefused(
            f"another Agora instance (pid {pid}) is running on data directory {data_dir}; "
            "stop it first (Ctrl-C in its terminal, or kill " + pid + ")") from None
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    return handle


def port_is_free(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def check_ports(s: Settings) -> None:
    wanted = [
        (s.hub.bind_host, s.hub.bind_port, "hub.bind_url", "the public port"),
        ("127.0.0.1", s.hub.hub_port, "hub.hub_port", "the hub's internal API"),
        ("127.0.0.1", s.hub.proxy_api_port, "hub.proxy_api_port", "the proxy's API"),
        ("127.0.0.1", s.services.datasets_port, "services.datasets_port", "the datasets service"),
        ("127.0.0.1", s.services.portal_port, "services.portal_port", "the portal"),
        ("127.0.0.1", s.services.scheduler_port, "services.scheduler_port",
         "the scheduler service"),
        ("127.0.0.1", s.dashboards.port, "dashboards.port", "the dashboards service"),
    ]
    for host, port, key, what in wanted:
        if not port_is_free(host, port):
            raise StartRefused(
                f"port {port} on {host} ({what}, {key}) is already in use, by another Agora or "
                f"another program; stop it or choose another port with {key} "
                f"(env AGORA_{key.upper().replace('.', '__')})")


def workspace_accounts(s: Settings) -> str:
    """Which OS account(s) run the workspaces, in words (the banner says it)."""
    if s.isolation == "system-users":
        return f"each user's own system account ({s.spawner.system_user_prefix}<name>)"
    if os.geteuid() == 0:
        return (f"the unprivileged account {s.spawner.shared_account}, shared by every user "
                f"(homes in {s.home_root}): users are not isolated from each other; set "
                "spawner.isolation: auto or system-users for that")
    return (f"your account {pwd.getpwuid(os.getuid()).pw_name}, like the hub: no isolation, "
            "for a demo on your own machine (as root, each user gets their own account)")


def banner(s: Settings) -> str:
    url = s.hub.bind_url
    lines = [f"Agora is starting at {url}  (settings: {s.source}, data: {s.hub.data_dir})",
             f"Workspaces run as {workspace_accounts(s)}."]
    if s.auth.mode == "demo":
        lines.append(f"Demo accounts (password: {s.auth.demo_password.get_secret_value()!r}):")
        lines += [f"  {a.name:<16} {a.role}" for a in demo.ACCOUNTS]
    else:
        lines.append(f"Log in through your identity provider ({s.auth.oidc.authorize_url}).")
    lines.append("Press Ctrl-C to stop.")
    return "\n".join(lines)


def wait_until_ready(s: Settings, hub: subprocess.Popen, timeout: float = 60) -> bool:
    """Whether the hub answers its health check and the dashboards service (on its own
    origin, so not behind the hub's proxy) answers at all, within `timeout` seconds."""
    from ..configure import dashboards_internal_url

    health = s.hub.bind_url.rstrip("/") + "/hub/health"
    health = health.replace("://0.0.0.0", "://127.0.0.1")
    deadline = time.monotonic() + timeout
    for url in (health, dashboards_internal_url(s)):
        while not answers(url):
            if time.monotonic() > deadline or hub.poll() is not None:
                return False
            time.sleep(0.3)
    return True


def answers(url: str) -> bool:
    """Whether an HTTP server answers at `url` (health: 200; any status for the others)."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200 or not url.endswith("/hub/health")
    except urllib.error.HTTPError:
        return not url.endswith("/hub/health")
    except OSError:
        return False


class Family:
    """Every process the hub started, noted every second by a thread while it runs: when the
    hub dies on its own (a service that could not start, a crash), its services and
    workspaces, in sessions of their own, are orphans that :meth:`end` still kills."""

    def __init__(self, hub: subprocess.Popen, every: float = 1.0, watch: bool = True):
        self.hub, self.every, self.known = hub, every, {}
        if watch:
            threading.Thread(target=self._watch, daemon=True, name="agora-family").start()

    def _watch(self) -> None:
        while self.hub.poll() is None:
            self.note()
            time.sleep(self.every)

    def note(self) -> list[psutil.Process]:
        try:
            for child in psutil.Process(self.hub.pid).children(recursive=True):
                self.known.setdefault(child.pid, child)
        except psutil.NoSuchProcess:
            pass
        return list(self.known.values())

    def end(self, timeout: float = 0.5) -> None:
        """Kill those still alive (psutil checks that a pid is still the same process)."""
        _, alive = psutil.wait_procs(list(self.known.values()), timeout=timeout)
        for proc in alive:
            try:
                proc.kill()
            except psutil.NoSuchProcess:
                pass


def stop(hub: subprocess.Popen, grace: float = STOP_GRACE_SECONDS,
         family: Family | None = None) -> None:
    """SIGTERM the hub; kill the hub and every process it started once `grace` runs out."""
    family = family or Family(hub, watch=False)
    family.note()
    if hub.poll() is None:
        hub.send_signal(signal.SIGTERM)
    try:
        hub.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        hub.kill()
        hub.wait()
    family.end(timeout=max(0.5, grace / 4))


def run_hub(s: Settings, environ: dict | None = None, out=sys.stdout) -> int:
    """Start and supervise the hub until it exits or we are told to stop. Returns exit code."""
    prepare_data_dir(s)
    lock = acquire_instance_lock(s.hub.data_dir)
    check_ports(s)
    # demo mode, empty store: synthetic sources + a first refresh (sets the demo's variables)
    load_demo_data(s, out=out, environ=os.environ if environ is None else environ)
    for name in publish_demo_dashboards(s):
        print(f"Demo dashboard published for the officials: {name}", file=out, flush=True)
    env = hub_environment(s, dict(os.environ if environ is None else environ))
    if s.source != "defaults":
        env["AGORA_CONFIG"] = str(Path(s.source).resolve())
    env["AGORA_HUB__DATA_DIR"] = str(s.hub.data_dir)  # already absolute: never re-resolved
    command = [sys.executable, "-m", "jupyterhub", "-f", str(config_file())]
    print(banner(s), file=out, flush=True)
    hub = subprocess.Popen(command, env=env, start_new_session=True)
    family = Family(hub)
    stopping = {"signal": None}

    def on_signal(signum, _frame):
        stopping["signal"] = signum

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        if wait_until_ready(s, hub):
            print(f"Agora is ready: open {s.hub.bind_url}", file=out, flush=True)
        while hub.poll() is None and stopping["signal"] is None:
            time.sleep(0.2)
        if stopping["signal"] is not None:
            started = time.monotonic()
            print("Stopping Agora...", file=out, flush=True)
            stop(hub, family=family)
            print(f"Agora stopped in {time.monotonic() - started:.1f} s.", file=out, flush=True)
            return 0
        return hub.returncode or 0
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if hub.poll() is None:
            stop(hub, family=family)
        family.end()  # the hub died on its own: what it started must not outlive it
        lock.close()


def cmd_up(args) -> int:
    """Start the workspace and keep it running until Ctrl-C."""
    settings = load_settings(args.config)
    check_runtime(settings)
    try:
        return run_hub(settings)
    except StartRefused as exc:
        print(f"agora up: {exc}", file=sys.stderr)
        return 1
