import os

import pytest

from hub.config.settings import BatchSettings, SpawnerSettings
from tests.gateway_support import GatewayEnds
from tests.support import (
    admin_api_token,
    remove_system_account,
    remove_test_accounts,
    running_agora,
    system_account,
)

SHARED_ACCOUNT = SpawnerSettings().shared_account


@pytest.fixture(scope="session", autouse=True)
def shared_account_removed_when_the_tests_made_it():
    """As root, hubs in shared mode create the shared account: the tests remove it again,
    unless it was there before them (a real `sudo ./dev.sh up` made it)."""
    made_here = os.geteuid() == 0 and system_account(SHARED_ACCOUNT) is None
    yield
    if made_here:
        remove_system_account(SHARED_ACCOUNT)


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
