"""hub.kubernetes on a bare Config filled as the Z2JH chart's config file fills it."""

import os
import subprocess
import sys

import pytest
from traitlets.config import Config

from hub.config.loading import load_settings
from hub.config.settings import SettingError
from hub.kubernetes import (
    DASHBOARDS_TOKEN_ENV,
    ChartNames,
    GroupProfiles,
    configure_in_chart,
    reached_at,
)
from hub.workspaces.lab_config import config_folder
from hub.workspaces.starter import STARTER_FOLDER

HUB_ENV = {DASHBOARDS_TOKEN_ENV: "d0" * 32}  # the Secret agora-dashboards, in the hub pod
PROFILES = [
    {"display_name": "Analyst", "slug": "analyst", "agora_groups": ["analysts"]},
    {"display_name": "Everyone", "slug": "everyone"},
]


def settings(**env):
    return load_settings(environ={"AGORA_HUB__DATA_DIR": "/srv/agora", **env})


def chart_config() -> Config:
    c = Config()
    c.JupyterHub.spawner_class = "kubespawner.KubeSpawner"
    c.JupyterHub.hub_bind_url = "http://:8081"
    c.JupyterHub.hub_connect_url = "http://hub:8081"
    c.JupyterHub.cleanup_servers = False
    c.ConfigurableHTTPProxy.api_url = "http://proxy-api:8001"
    c.ConfigurableHTTPProxy.should_start = False
    c.Spawner.cmd = "jupyterhub-singleuser"
    c.KubeSpawner.profile_list = PROFILES
    c.KubeSpawner.environment = {"SITE": "kept"}
    return c


def test_the_chart_keeps_what_it_owns():
    c = chart_config()
    configure_in_chart(c, settings(), environ=HUB_ENV)
    assert c.JupyterHub.spawner_class == "kubespawner.KubeSpawner"
    assert c.JupyterHub.hub_connect_url == "http://hub:8081"
    assert c.JupyterHub.cleanup_servers is False
    assert c.ConfigurableHTTPProxy.should_start is False
    assert c.ConfigurableHTTPProxy.api_url == "http://proxy-api:8001"
    assert c.Spawner.cmd == "jupyterhub-singleuser"


def test_agora_sets_the_rest():
    c = chart_config()
    configure_in_chart(c, settings(), environ=HUB_ENV)
    assert c.JupyterHub.db_url == "sqlite:////srv/agora/jupyterhub.sqlite"
    assert {s["name"] for s in c.JupyterHub.services} >= {"datasets", "portal", "scheduler"}


def test_services_on_loopback_are_reached_at_the_hub_service():
    c = chart_config()
    configure_in_chart(c, settings(), names=ChartNames(hub="agora-hub"), environ=HUB_ENV)
    urls = {s["name"]: s.get("url") for s in c.JupyterHub.services}
    assert urls["datasets"] == "http://agora-hub:8082" and urls["portal"] == "http://agora-hub:8083"
    assert urls["dashboards"] is None
    assert reached_at({"name": "x", "url": "http://db:1"}, "hub") == {"name": "x", "url": "http://db:1"}


def test_dashboards_are_an_external_service_with_the_pods_token():
    c = chart_config()
    configure_in_chart(c, settings(), environ=HUB_ENV)
    dashboards = {s["name"]: s for s in c.JupyterHub.services}["dashboards"]
    assert not {"command", "environment", "url"} & set(dashboards)  # the hub starts nothing
    assert dashboards["api_token"] == HUB_ENV[DASHBOARDS_TOKEN_ENV]
    assert dashboards["oauth_client_id"] == "service-dashboards"
    assert dashboards["oauth_redirect_uri"].endswith("/services/dashboards/oauth_callback")


@pytest.mark.parametrize("environ", [{}, {DASHBOARDS_TOKEN_ENV: "short"}])
def test_a_missing_dashboards_token_names_the_secret(environ):
    with pytest.raises(SettingError) as caught:
        configure_in_chart(chart_config(), settings(), environ=environ)
    assert caught.value.key == DASHBOARDS_TOKEN_ENV and "agora-dashboards" in caught.value.fix
    assert str(caught.value).startswith(DASHBOARDS_TOKEN_ENV) and "openssl rand" in str(caught.value)


def test_workspace_environment_joins_the_sites():
    c = chart_config()
    configure_in_chart(c, settings(), names=ChartNames(proxy_public="agora-proxy"),
                       environ=HUB_ENV)
    env = c.KubeSpawner.environment
    assert env["SITE"] == "kept"
    assert env["AGORA_DATASETS_URL"] == "http://agora-proxy/services/datasets/"
    assert env["AGORA_DASHBOARDS_URL"] == "http://agora-dashboards:8084/services/dashboards/"


def test_no_shared_mode_warning_in_a_cluster():
    c = chart_config()
    configure_in_chart(c, settings(AGORA_SPAWNER__ISOLATION="shared"), environ=HUB_ENV)
    assert "announcement" not in c.JupyterHub.template_vars


def test_profiles_are_offered_by_group():
    c = chart_config()
    configure_in_chart(c, settings(), environ=HUB_ENV)
    profiles = c.KubeSpawner.profile_list
    assert profiles == GroupProfiles(PROFILES)
    assert [p["slug"] for p in profiles.for_groups({"analysts"})] == ["analyst", "everyone"]
    assert [p["slug"] for p in profiles.for_groups({"officials"})] == ["everyone"]
    assert all("agora_groups" not in p for p in profiles.for_groups({"analysts"}))


def test_pod_start_prepares_the_home_then_runs_the_command(tmp_path):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    (notebooks / "start.ipynb").write_text("{}")
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "HOME": str(home), "AGORA_STARTER_NOTEBOOKS": str(notebooks)}
    show = "import os; print(os.environ['JUPYTER_CONFIG_PATH'])"
    out = subprocess.run([sys.executable, "-m", "hub.workspaces.pod_start", sys.executable, "-c",
                          show], env=env, capture_output=True, text=True, check=True).stdout
    assert out.strip() == config_folder(str(home))
    assert (home / STARTER_FOLDER / "start.ipynb").read_text() == "{}"
    assert (home / ".agora/jupyter-config/jupyter_server_config.json").is_file()


def test_services_listen_on_listen_host_at_the_port_the_hub_gives():
    from hub.services.listen import listen_address

    url = {"JUPYTERHUB_SERVICE_URL": "http://hub:8082"}
    assert listen_address(settings(), url, 1) == ("hub", 8082)
    assert listen_address(settings(AGORA_SERVICES__LISTEN_HOST="0.0.0.0"), url, 1) == ("0.0.0.0", 8082)
    assert listen_address(settings(), {}, 8082) == ("127.0.0.1", 8082)
