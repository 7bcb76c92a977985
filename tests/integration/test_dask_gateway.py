"""Analysts' own Dask clusters through a REAL dask-gateway-server logged in by a REAL Agora.

Agora runs with `batch.gateway_url`; the gateway runs deploy/dask-gateway/dask_gateway_config.py
(local backend, JupyterHub authenticator pointed at the hub's API, with the token the hub
registered). An analyst's hub token starts a one-worker cluster, computes on it and stops it,
with nothing but the workspace's variables (`Gateway()`); an official's and the partner's
tokens are refused by the gateway, as is a token the hub never made.
"""

from __future__ import annotations

import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
import yaml
from aiohttp import ClientResponseError
from dask_gateway import Gateway, GatewayServerError, JupyterHubAuth

from hub.config.loading import load_settings
from hub.configure import gateway_environment
from tests.support import admin_api_token, free_port, running_agora, token_made_by_admin

pytestmark = pytest.mark.integration
GATEWAY_CONFIG = Path(__file__).parents[2] / "deploy" / "dask-gateway" / "dask_gateway_config.py"
GATEWAY_READY_SECONDS = 30


@pytest.fixture(scope="module")
def gateway_token() -> str:
    return secrets.token_hex(32)


@pytest.fixture(scope="module")
def gateway_address() -> str:
    return f"http://127.0.0.1:{free_port()}"


@pytest.fixture(scope="module")
def agora(tmp_path_factory, gateway_token, gateway_address):
    """Agora with the gateway setting; its token in the hub's environment, as an operator sets it."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("AGORA_DASK_GATEWAY_TOKEN", gateway_token)
        with running_agora(tmp_path_factory.mktemp("agora-gateway"),
                           {"batch": {"gateway_url": gateway_address}}) as running:
            yield running


def hub_api_url(agora) -> str:
    """The hub's own API on its internal port, as the docs tell the gateway's operator."""
    settings = yaml.safe_load(agora.settings_path.read_text())
    return f"http://127.0.0.1:{settings['hub']['hub_port']}/agora/hub/api"


def wait_for_health(address: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + GATEWAY_READY_SECONDS
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


@pytest.fixture(scope="module")
def gateway(agora, gateway_token, gateway_address, tmp_path_factory):
    """`dask-gateway-server -f deploy/dask-gateway/dask_gateway_config.py` on loopback."""
    folder = tmp_path_factory.mktemp("gateway")
    log = folder / "gateway.log"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(folder),
           "JUPYTERHUB_API_URL": hub_api_url(agora), "JUPYTERHUB_API_TOKEN": gateway_token,
           "AGORA_GATEWAY_LISTEN": gateway_address.removeprefix("http://")}
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "dask_gateway_server", "-f",
                                 str(GATEWAY_CONFIG)], stdout=out, stderr=subprocess.STDOUT,
                                env=env, cwd=folder)
    try:
        wait_for_health(gateway_address, proc, log)
        yield gateway_address
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert gateway_token not in log.read_text()


def closed_for_good(gateway: Gateway) -> None:
    """Close a client once. dask-gateway 2026.3's `Gateway.__del__` closes a closed client again
    and raises (its loop has stopped), from the garbage collector, wherever it runs (once inside
    pytest's own `ast.parse`, which then failed): without its loop runner, `__del__` does nothing."""
    gateway.close()
    del gateway._loop_runner


@contextmanager
def gateway_client(address: str | None = None, auth=None) -> Iterator[Gateway]:
    """`Gateway(address, auth=auth)`; no arguments: what dask's configuration says, as in a notebook."""
    gateway = Gateway(address, auth=auth)
    try:
        yield gateway
    finally:
        closed_for_good(gateway)


@pytest.fixture(scope="module")
def admin(agora) -> str:
    return admin_api_token(agora, "dask-gateway tests")


def test_an_analyst_starts_a_cluster_with_the_workspace_variables_alone(agora, gateway, admin,
                                                                        monkeypatch):
    settings = load_settings(environ={"AGORA_CONFIG": str(agora.settings_path)})
    for name, value in gateway_environment(settings).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", token_made_by_admin(agora, admin, "analyst"))
    import dask

    dask.config.refresh()
    with gateway_client() as analysts:
        assert analysts.address == gateway
        assert analysts.list_clusters() == []
        cluster = analysts.new_cluster()
        try:
            cluster.scale(1)
            with cluster.get_client(set_as_default=False) as client:
                client.wait_for_workers(1, timeout=60)
                assert client.submit(sum, [1, 2, 3]).result(timeout=30) == 6
            assert [c.name for c in analysts.list_clusters()] == [cluster.name]
        finally:
            cluster.shutdown()
            closed_for_good(cluster.gateway)
        assert analysts.list_clusters() == []


@pytest.mark.parametrize("user", ["elu-rivemont", "partner"])
def test_an_official_and_the_partner_are_refused(agora, gateway, admin, user):
    auth = JupyterHubAuth(token_made_by_admin(agora, admin, user))
    with gateway_client(gateway, auth) as refusing:
        with pytest.raises(ClientResponseError) as refused:
            refusing.list_clusters()
    assert refused.value.status == 401


def test_a_token_the_hub_never_made_is_refused(gateway):
    """The hub answers 403 for it, which the gateway passes on as its own failure (500)."""
    with gateway_client(gateway, JupyterHubAuth(secrets.token_hex(32))) as refusing:
        with pytest.raises(GatewayServerError, match="Permission failure verifying"):
            refusing.list_clusters()
