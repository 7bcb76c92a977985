import os

import pytest

from hub.config.settings import BatchSettings
from tests.gateway_support import GatewayEnds
from tests.support import (
    admin_api_token,
    remove_test_accounts,
    running_agora,
)


@pytest.fixture(scope="session", autouse=True)
def test_accounts_removed():
    """As root, hubs in the default isolation create one account per user (test prefix)."""
    yield
    if os.geteuid() == 0:
        remove_test_accounts()


@pytest.fixture(scope="module")
def agora(tmp_path_factory):
    """A real Agora (`agora up`: hub, proxy, idle culler) on free ports, base path /agora/,
    with dask-gateway registered (batch.gateway_url, its token in the hub's environment):
    `extra["gateway"]`; tests.gateway_support starts the gateway itself where a test needs it."""
    gateway = GatewayEnds.new()
    with pytest.MonkeyPatch.context() as env:
        env.setenv(BatchSettings().gateway_token_env, gateway.token)
        with running_agora(tmp_path_factory.mktemp("agora"), gateway.settings()) as running:
            running.extra["gateway"] = gateway
            yield running


@pytest.fixture
def admin_token(agora):
    """An API token of the demo admin, created through the hub's own token API."""
    return admin_api_token(agora, "integration tests", expires_in=600)
