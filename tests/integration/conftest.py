import pytest

from tests.support import admin_api_token, running_agora


@pytest.fixture(scope="module")
def agora(tmp_path_factory):
    """A real Agora (`agora up`: hub, proxy, idle culler) on free ports, base path /agora/."""
    with running_agora(tmp_path_factory.mktemp("agora"), stop_within=10) as running:
        yield running


@pytest.fixture
def admin_token(agora):
    """An API token of the demo admin, created through the hub's own token API."""
    return admin_api_token(agora, "integration tests", expires_in=600)
