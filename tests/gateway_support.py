"""A real dask-gateway-server for the integration tests, logged in by a running Agora's hub:
deploy/dask-gateway/dask_gateway_config.py on loopback, and its client, closed once."""

from __future__ import annotations

import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import requests
import yaml

from tests.support import free_port

GATEWAY_CONFIG = Path(__file__).parents[1] / "deploy" / "dask-gateway" / "dask_gateway_config.py"
READY_SECONDS = 30


@dataclass(frozen=True)
class GatewayEnds:
    """Where the gateway will listen and its hub API token, known before the hub starts."""

    address: str
    token: str = field(repr=False)

    @classmethod
    def new(cls) -> GatewayEnds:
        return cls(f"http://127.0.0.1:{free_port()}", secrets.token_hex(32))

    def settings(self) -> dict:
        """The settings overrides that register this gateway with the hub."""
        return {"batch": {"gateway_url": self.address}}


def hub_api_url(agora) -> str:
    """The hub's own API on its internal port, as docs/pipeline.md tells the gateway's operator."""
    settings = yaml.safe_load(agora.settings_path.read_text())
    path = settings["hub"]["bind_url"].split("/", 3)[3]
    return f"http://127.0.0.1:{settings['hub']['hub_port']}/{path}hub/api"


def wait_for_health(address: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"dask-gateway-server exited:\n{log.read_text()[-3000:]}")
        try:
            if requests.get(f"{address}/api/health", timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"dask-gateway-server not ready:\n{log.read_text()[-3000:]}")


@contextmanager
def running_gateway(agora, ends: GatewayEnds, folder: Path) -> Iterator[str]:
    """`dask-gateway-server -f deploy/dask-gateway/dask_gateway_config.py`, with only the
    variables the docs name; yields its address. Its log never holds the token."""
    log = folder / "gateway.log"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(folder),
           "JUPYTERHUB_API_URL": hub_api_url(agora), "JUPYTERHUB_API_TOKEN": ends.token,
           "AGORA_GATEWAY_LISTEN": ends.address.removeprefix("http://")}
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "dask_gateway_server", "-f",
                                 str(GATEWAY_CONFIG)], stdout=out, stderr=subprocess.STDOUT,
                                env=env, cwd=folder)
    try:
        wait_for_health(ends.address, proc, log)
        yield ends.address
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert ends.token not in log.read_text()


def closed_for_good(gateway) -> None:
    """Close a dask_gateway.Gateway once. dask-gateway 2026.3's `Gateway.__del__` closes a
    closed client again and raises (its loop has stopped), from the garbage collector,
    wherever it runs (once inside pytest's own `ast.parse`, which then failed); without its
    loop runner, `__del__` does nothing."""
    gateway.close()
    del gateway._loop_runner


@contextmanager
def gateway_client(address: str, auth) -> Iterator:
    """`dask_gateway.Gateway(address, auth=auth)`, closed for good afterwards."""
    from dask_gateway import Gateway

    gateway = Gateway(address, auth=auth)
    try:
        yield gateway
    finally:
        closed_for_good(gateway)
