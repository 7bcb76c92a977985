import pytest
import requests

from tests.support import login_form, start_agora, xsrf_header


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
    session = requests.Session()
    login_form(session, agora.url, "admin", "demo")
    response = session.post(f"{agora.url}hub/api/users/admin/tokens",
                            json={"note": "integration tests", "expires_in": 600},
                            headers=xsrf_header(session))
    assert response.status_code == 201, response.text
    return response.json()["token"]
