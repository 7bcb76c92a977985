import pytest

from tests.support import admin_api_token, start_agora


@pytest.fixture(scope="module")
def agora(tmp_path_factory):
    """A real Agora (`agora up`: hub, proxy, idle culler) on free ports, base path /agora/."""
    running = start_agora(tmp_path_factory.mktemp("agora"))
    yield running
    elapsed = running.stop(timeout=10)
    assert running.proc.returncode == 0, running.log()[-3000:]
    assert elapsed < 10


@pytest.fixture
def admin_token(agora):
    """An API token of the demo admin, created through the hub's own token API."""
    return admin_api_token(agora, "integration tests", expires_in=600)
