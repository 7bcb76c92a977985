"""A real JupyterHub started by `agora up`: log in through the form, spawn, reach the server;
its services' roles; analysts' Dask clusters through a real dask-gateway it logs users in to."""

import secrets
import socket
import subprocess
import sys
import time

import pytest
import requests
from aiohttp import ClientResponseError
from dask_gateway import GatewayServerError, JupyterHubAuth

from hub.login import demo_accounts as demo
from tests.gateway_support import gateway_client, running_gateway
from tests.support import (
    hub_api,
    login_form,
    run_in_workspace,
    spawned_sessions,
    start_agora,
    tagged_result,
    token_made_by_admin,
    user_api_token,
    wait_for_server,
    xsrf_header,
)

pytestmark = pytest.mark.integration


def test_banner_lists_url_and_every_demo_account(agora):
    log = agora.log()
    assert f"Agora is starting at {agora.url}" in log
    for account in demo.ACCOUNTS:
        assert account.name in log


def test_analyst_logs_in_spawns_reaches_status_and_stops(agora, admin_token):
    session = requests.Session()
    page = login_form(session, agora.url, "analyst", "demo")
    assert page.status_code == 200 and "/hub/home" not in page.url  # lands in the workspace
    status = wait_for_server(session, agora.url, "analyst")
    assert "started" in status and "kernels" in status
    lab = session.get(f"{agora.url}user/analyst/lab")
    assert lab.status_code == 200 and "JupyterLab" in lab.text
    stopped = hub_api(agora, admin_token, "users/analyst/server", method="DELETE")
    assert stopped.status_code in (202, 204)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if hub_api(agora, admin_token, "users/analyst").json()["servers"] == {}:
            break
        time.sleep(0.3)
    assert hub_api(agora, admin_token, "users/analyst").json()["servers"] == {}


@pytest.mark.parametrize("account", [a.name for a in demo.ACCOUNTS])
def test_every_demo_account_can_log_in(agora, account):
    session = requests.Session()
    login_form(session, agora.url, account, "demo")
    whoami = session.get(f"{agora.url}hub/api/user", headers=xsrf_header(session))
    assert whoami.status_code == 200, whoami.text
    assert whoami.json()["name"] == account


@pytest.mark.parametrize("username,password", [("analyst", "wrong"), ("nobody", "demo"),
                                               ("admin", ""), ("ANALYST ", "wrong")])
def test_bad_credentials_are_refused(agora, username, password):
    session = requests.Session()
    page = login_form(session, agora.url, username, password)
    assert "Invalid username or password" in page.text
    assert session.get(f"{agora.url}hub/api/user").status_code in (401, 403)


def test_demo_groups_and_territory_properties(agora, admin_token):
    group = hub_api(agora, admin_token, "groups/commune-99101").json()
    assert group["users"] == ["elu-rivemont"]
    assert group["properties"]["territories"] == ["99101"]
    user = hub_api(agora, admin_token, "users/elu-bellecombe").json()
    assert set(user["groups"]) == {"officials", "commune-99102"}
    assert user["admin"] is False
    assert hub_api(agora, admin_token, "users/admin").json()["admin"] is True


def test_idle_culler_runs_with_least_privilege(agora, admin_token):
    service = hub_api(agora, admin_token, "services/idle-culler").json()
    assert service["roles"] == ["idle-culler"]
    assert service.get("admin") in (False, None)
    role = hub_api(agora, admin_token, "roles/idle-culler")
    if role.status_code == 200:
        assert not any(scope.startswith("admin") for scope in role.json()["scopes"])
    assert "200 GET /agora/hub/api/users" in agora.log() or "idle-culler@" in agora.log()


def test_second_instance_on_same_data_dir_is_refused(agora):
    result = subprocess.run([sys.executable, "-m", "hub.cli", "-c", str(agora.settings_path), "up"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 1
    assert "another Agora instance" in result.stderr


def test_taken_port_is_refused_with_a_clear_message(tmp_path):
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        with pytest.raises(RuntimeError) as info:
            start_agora(tmp_path, {"hub": {"bind_url": f"http://127.0.0.1:{port}/"}})
    message = str(info.value)
    assert f"port {port} on 127.0.0.1" in message and "already in use" in message
    assert "AGORA_HUB__BIND_URL" in message


def test_login_page_lists_demo_accounts(agora):
    page = requests.get(f"{agora.url}hub/login")
    assert 'id="agora-demo-accounts"' in page.text
    assert "elu-rivemont" in page.text and "Rivemont" in page.text


def test_one_scheduler_service_runs_refreshes_and_reports_without_admin(agora, admin_token):
    service = hub_api(agora, admin_token, "services/scheduler").json()
    assert service["roles"] == ["scheduler"] and service["pid"] > 0  # read:groups, tokens!group
    deadline = time.monotonic() + 20
    while "report schedules:" not in agora.log() and time.monotonic() < deadline:
        time.sleep(0.3)
    assert "scheduled dataset(s)" in agora.log()
    assert "report schedules: 1 (territory-digest)" in agora.log()  # the demo's


# -- who gets a workspace: viewers (officials, partners) only read dashboards ------------------

VIEWERS = ("elu-rivemont", "partner")
POLITE = ("Votre compte donne accès aux tableaux de bord, pas à un espace de travail",
          "Your account gives access to dashboards, not to a workspace")
REFUSED_PAGES = {"hub/spawn": 403, "hub/spawn/{name}": 403, "hub/spawn/{name}/other": 403,
                 "user/{name}/lab": 404, "user/{name}/": 404}  # JupyterHub's codes, our words


@pytest.fixture(scope="module")
def viewers(agora):
    """{viewer: (logged-in session, the page the login landed on)}."""
    found = {}
    for name in VIEWERS:
        session = requests.Session()
        found[name] = (session, login_form(session, agora.url, name, "demo"))
    return found


def polite(page) -> bool:
    """Whether the page says both sentences (hub error pages have no charset header: utf-8)."""
    text = " ".join(page.content.decode("utf-8").split())
    return all(phrase in text for phrase in POLITE)


@pytest.mark.parametrize("viewer", VIEWERS)
def test_a_viewer_lands_on_the_portal_and_the_hub_home_says_what_their_account_gives(
        agora, viewers, viewer):
    session, landed = viewers[viewer]
    assert landed.status_code == 200 and landed.url.endswith("/services/portal/"), landed.url
    assert 'id="workspace-title"' not in landed.text  # no workspace link on their portal
    home = session.get(agora.url + "hub/home")
    assert home.status_code == 200 and polite(home) and 'id="start"' not in home.text


def test_an_analyst_lands_on_their_workspace_and_sees_it_on_the_portal(agora):
    session = requests.Session()
    landed = login_form(session, agora.url, "analyst", "demo")
    assert "/user/analyst/" in landed.url or "/hub/spawn-pending/analyst" in landed.url, (
        landed.url)
    portal = session.get(agora.url + "services/portal/")
    assert portal.status_code == 200 and 'id="workspace-title"' in portal.text


@pytest.mark.parametrize("viewer", VIEWERS)
def test_a_viewer_asking_for_a_workspace_gets_a_polite_refusal(agora, viewers, viewer):
    session, _ = viewers[viewer]
    for path, status in REFUSED_PAGES.items():
        page = session.get(agora.url + path.format(name=viewer))
        assert page.status_code == status, (path, page.status_code, page.url)
        assert polite(page) and "Traceback" not in page.text, (path, page.text[-1500:])
        assert 'id="agora-portal-home"' in page.text


def test_a_viewers_api_spawn_is_a_json_403_and_nothing_starts(agora, viewers, admin_token):
    for viewer in VIEWERS:
        session, _ = viewers[viewer]
        token = user_api_token(session, agora.url, viewer, "workspace refusal test")
        response = hub_api(agora, token, f"users/{viewer}/server", method="POST")
        assert response.status_code == 403, response.text
        assert response.headers["Content-Type"].startswith("application/json")
        assert "servers" in response.json()["message"]
    for viewer in VIEWERS:
        model = hub_api(agora, admin_token, f"users/{viewer}").json()
        assert model["servers"] == {} and model["pending"] is None, model
    assert not any(f"Spawning {viewer}" in agora.log() for viewer in VIEWERS)


# -- analysts' Dask clusters: a real dask-gateway-server logged in by this hub -----------------

CLUSTER_IN_A_NOTEBOOK = """
import json
from dask_gateway import Gateway

gateway = Gateway()  # no arguments: the workspace's variables and its server token
before = gateway.list_clusters()
cluster = gateway.new_cluster()
cluster.scale(1)
client = cluster.get_client()
client.wait_for_workers(1, timeout=60)
total = client.submit(sum, [1, 2, 3]).result(timeout=30)
running = [c.name for c in gateway.list_clusters()]
client.close()
cluster.shutdown()
print("GATEWAY", json.dumps({"address": gateway.address, "before": len(before), "sum": total,
                             "running": running == [cluster.name],
                             "after": len(gateway.list_clusters())}))
"""


@pytest.fixture(scope="module")
def gateway(agora, tmp_path_factory):
    """deploy/dask-gateway/dask_gateway_config.py on loopback, pointed at this hub's API."""
    with running_gateway(agora, agora.extra["gateway"], tmp_path_factory.mktemp("gateway")) as url:
        yield url


def test_an_analyst_runs_a_dask_cluster_from_their_workspace_with_gateway_alone(
        agora, gateway, admin_token):
    session = spawned_sessions(agora.url, ["analyst"])["analyst"]
    token = user_api_token(session, agora.url, "analyst", "dask-gateway test")
    try:
        output = run_in_workspace(agora.url, "analyst", token, CLUSTER_IN_A_NOTEBOOK, timeout=150)
    finally:
        hub_api(agora, admin_token, "users/analyst/server", method="DELETE")
    assert tagged_result(output, "GATEWAY") == {"address": gateway, "before": 0, "sum": 6,
                                                "running": True, "after": 0}


@pytest.mark.parametrize("user", ["elu-rivemont", "partner"])
def test_the_gateway_refuses_an_official_and_the_partner(agora, gateway, admin_token, user):
    auth = JupyterHubAuth(token_made_by_admin(agora, admin_token, user))
    with gateway_client(gateway, auth) as refusing:
        with pytest.raises(ClientResponseError) as refused:
            refusing.list_clusters()
    assert refused.value.status == 401


def test_the_gateway_refuses_a_token_the_hub_never_made(gateway):
    """The hub answers 403 for it, which the gateway passes on as its own failure (500)."""
    with gateway_client(gateway, JupyterHubAuth(secrets.token_hex(32))) as refusing:
        with pytest.raises(GatewayServerError, match="Permission failure verifying"):
            refusing.list_clusters()
