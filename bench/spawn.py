"""Benchmark: "login -> server ready" time of Agora, as a ratio to a bare JupyterHub.

One timed run = a fresh browser session (new requests.Session) logs in through the HTML login
form, then waits until /user/analyst/api/status answers 200 through the proxy, the OAuth dance
of the single-user server included. The run ends there; the server is then stopped through
the hub's REST API (untimed) so the next run spawns again.

Both hubs run side by side for the whole benchmark and the runs are interleaved (the order
alternates each round) so machine noise hits both alike:

- agora: the real `agora up` (tests/support.py start_agora): Agora's config, templates,
  demo authenticator, services, its default spawner (as root: SystemUserSpawner, one system
  account per user), pure-Python proxy.
- bare:  a plain `jupyterhub` with a minimal config written to a temp dir: the same
  SharedSpawner, single-user command and proxy command, JupyterHub's own
  SharedPasswordAuthenticator, no services.

Warm-up: one untimed login -> ready -> stop per side before the timed runs (creates the
user's home and JupyterLab's first-start files, fills the page cache).

Runs: 15 per side by default. JupyterHub notices that a server is up by polling it with
randomly jittered exponential backoff (0-0.2 s, 0-0.4 s, 0-0.8 s, ...), which adds 0-4 s of
noise to each run on both sides alike; with 7 runs the median ratio swung from 0.9 to 1.45.

    /opt/agora/venv/bin/python bench/spawn.py [--runs 15] [--json results.json]

Exit status 1 when the median ratio agora/bare exceeds the target (1.2).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from hub.cli.up import stop as stop_process_tree  # noqa: E402
from hub.configure import venv_bin  # noqa: E402
from hub.proxy import PROXY_TIMEOUT_MS  # noqa: E402
from tests.support import (  # noqa: E402
    free_port,
    login_form,
    reachable_temp_folder,
    remove_test_accounts,
    start_agora,
    wait_for_server,
    xsrf_header,
)

USER = "analyst"
TARGET = 1.2
BASE_PATH = "/agora/"
TIMEOUT = 120


@dataclass
class Side:
    name: str
    url: str  # public URL with base path, ends with "/"
    password: str
    times: list[float] = field(default_factory=list)


# --- the two hubs -------------------------------------------------------------------------

def bare_config(folder: Path, bind_url: str) -> str:
    """A minimal jupyterhub_config.py: Agora's spawner and proxy, nothing else."""
    values = {
        "JupyterHub.bind_url": bind_url,
        "JupyterHub.hub_ip": "127.0.0.1",
        "JupyterHub.hub_port": free_port(),
        "JupyterHub.db_url": f"sqlite:///{folder / 'jupyterhub.sqlite'}",
        "JupyterHub.cookie_secret_file": str(folder / "cookie_secret"),
        "JupyterHub.authenticator_class": "shared-password",
        "SharedPasswordAuthenticator.user_password": "bench-password",
        "Authenticator.allowed_users": {USER},
        "JupyterHub.spawner_class": "hub.workspaces.spawners.SharedSpawner",
        # as root, workspaces run as the shared account: their homes must be reachable by it
        "SharedSpawner.home_dir_template": str(reachable_temp_folder("agora-bench-homes-")
                                               / "homes" / "{username}"),
        "Spawner.cmd": [venv_bin("jupyterhub-singleuser")],
        "Spawner.default_url": "/lab",
        "ConfigurableHTTPProxy.command": [sys.executable, "-m", "hub.proxy",  # as Agora's
                                          f"--proxy-timeout={PROXY_TIMEOUT_MS}"],
        "ConfigurableHTTPProxy.api_url": f"http://127.0.0.1:{free_port()}",
    }
    return "".join(f"c.{key} = {value!r}\n" for key, value in values.items())


def wait_healthy(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with urllib.request.urlopen(url + "hub/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"bare jupyterhub not ready:\n{log.read_text(errors='replace')[-3000:]}")


def start_bare(folder: Path, stack: ExitStack) -> Side:
    """Start the bare JupyterHub; its whole process tree is stopped when `stack` closes."""
    folder.mkdir(parents=True)
    url = f"http://127.0.0.1:{free_port()}{BASE_PATH}"
    config = folder / "jupyterhub_config.py"
    config.write_text(bare_config(folder, url))
    log = folder / "jupyterhub.log"
    proc = subprocess.Popen([sys.executable, "-m", "jupyterhub", "-f", str(config)], cwd=folder,
                            stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True)
    stack.callback(stop_process_tree, proc, 10)
    wait_healthy(url, proc, log)
    return Side("bare", url, "bench-password")


def start_agora_side(folder: Path, stack: ExitStack) -> Side:
    """Start `agora up`; it and everything under it are stopped when `stack` closes."""
    agora = start_agora(folder, base_path=BASE_PATH)
    stack.callback(stop_process_tree, agora.proc, 15)  # SIGTERM: agora up stops its hub
    return Side("agora", agora.url, "demo")


# --- one run ------------------------------------------------------------------------------

def wait_spawn_progress(session: requests.Session, url: str) -> None:
    """Block on the hub's progress event stream until the server is ready (no polling)."""
    progress = f"{url}hub/api/users/{USER}/server/progress"
    with session.get(progress, headers=xsrf_header(session), stream=True,
                     timeout=TIMEOUT) as response:
        response.raise_for_status()
        for line in response.iter_lines():
            event = json.loads(line[5:]) if line.startswith(b"data:") else {}
            if event.get("ready"):
                return
            if event.get("failed"):
                raise RuntimeError(f"spawn failed: {event.get('message')}")
    raise RuntimeError("progress stream ended before the server was ready")


def stop_server(session: requests.Session, url: str) -> None:
    """Stop the user's server through the REST API and wait until the hub says it is gone."""
    api = f"{url}hub/api/users/{USER}"
    response = session.delete(api + "/server", headers=xsrf_header(session))
    assert response.status_code in (202, 204), response.text
    deadline = time.monotonic() + TIMEOUT
    while session.get(api, headers=xsrf_header(session)).json()["servers"]:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{USER}'s server did not stop")
        time.sleep(0.2)


def login_to_ready(side: Side) -> float:
    """Seconds from opening the login page to /user/<name>/api/status answering 200."""
    session = requests.Session()
    started = time.perf_counter()
    login = login_form(session, side.url, USER, side.password)
    assert login.ok and "/hub/login" not in login.url, f"{side.name}: login failed"
    wait_spawn_progress(session, side.url)
    wait_for_server(session, side.url, USER, timeout=TIMEOUT)  # OAuth dance + api/status
    elapsed = time.perf_counter() - started
    stop_server(session, side.url)
    return elapsed


# --- the benchmark ------------------------------------------------------------------------

def measure(sides: list[Side], runs: int) -> None:
    for side in sides:  # warm-up, untimed
        login_to_ready(side)
    for index in range(runs):
        for side in sides if index % 2 == 0 else sides[::-1]:
            side.times.append(login_to_ready(side))
            print(f"  run {index + 1}/{runs} {side.name:<5} {side.times[-1]:6.2f} s", flush=True)


def summary(sides: list[Side], runs: int, load_before: tuple) -> dict:
    stats = {s.name: {"median": statistics.median(s.times), "min": min(s.times),
                      "max": max(s.times), "times": s.times} for s in sides}
    ratio = stats["agora"]["median"] / stats["bare"]["median"]
    return {"benchmark": "spawn: login -> server ready", "runs": runs, **stats,
            "ratio": ratio, "ratio_of_minimums": stats["agora"]["min"] / stats["bare"]["min"],
            "target": TARGET, "ok": ratio <= TARGET,
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "cpus": os.cpu_count(), "load_before": load_before, "load_after": os.getloadavg()}


def print_table(result: dict) -> None:
    print(f"\nlogin -> server ready, {result['runs']} runs per side "
          f"({result['cpus']} CPUs, load {result['load_before'][0]:.2f} -> "
          f"{result['load_after'][0]:.2f})")
    print(f"{'side':<6} {'median':>8} {'min':>8} {'max':>8}")
    for name in ("agora", "bare"):
        row = result[name]
        print(f"{name:<6} {row['median']:>7.2f}s {row['min']:>7.2f}s {row['max']:>7.2f}s")
    verdict = "OK" if result["ok"] else "OVER TARGET"
    print(f"ratio agora/bare (medians): {result['ratio']:.2f}  target <= {TARGET}  {verdict}")
    print(f"ratio agora/bare (minimums, least noisy): {result['ratio_of_minimums']:.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="timed runs per side (default 15)")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the cleanup on SIGTERM too
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="agora-bench-") as tmp, ExitStack() as stack:
        if os.geteuid() == 0:  # as root Agora's default makes one account per user: remove it
            stack.callback(remove_test_accounts)
        sides = [start_agora_side(Path(tmp) / "agora", stack),
                 start_bare(Path(tmp) / "bare", stack)]
        measure(sides, args.runs)
        result = summary(sides, args.runs, load_before)
    print_table(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # the hubs were already stopped on the way out of main()
        sys.exit("interrupted; every hub, proxy and server was stopped")
