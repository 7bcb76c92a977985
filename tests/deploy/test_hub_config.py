"""The effective hub config: the chart's jupyterhub_config.py evaluated on the rendered
ConfigMap and Secret, with Agora's extraConfig, as the hub pod would load it."""

import os

from hub.config.loading import load_settings
from hub.config.runtime_checks import runtime_problems

from .hub_pod import hub_environment, lay_out

SERVICE_URLS = {"datasets": "http://hub:8082", "portal": "http://hub:8083",
                "scheduler": "http://hub:8085"}


def services(c) -> dict:
    return {s["name"]: s for s in c.JupyterHub.services}


def roles(c) -> dict:
    return {r["name"]: r for r in c.JupyterHub.load_roles}


def test_the_chart_keeps_the_proxy_spawner_and_user_pods(hub_config):
    c = hub_config
    assert c.JupyterHub.spawner_class == "kubespawner.KubeSpawner"
    assert c.ConfigurableHTTPProxy.api_url == "http://proxy-api:8001"
    assert c.ConfigurableHTTPProxy.should_start is False
    assert c.JupyterHub.hub_bind_url == "http://:8081"
    assert c.JupyterHub.hub_connect_url == "http://hub:8081"
    assert c.JupyterHub.cleanup_servers is False  # a hub restart keeps users' pods
    assert c.Spawner.cmd == "jupyterhub-singleuser"


def test_agora_sets_login_database_and_pages(hub_config):
    c = hub_config
    assert c.JupyterHub.authenticator_class == "hub.login.authenticators.AgoraOIDCAuthenticator"
    assert c.AgoraOIDCAuthenticator.client_secret == "oidc-secret-for-tests"
    assert c.JupyterHub.db_url.endswith("/srv/jupyterhub/agora/jupyterhub.sqlite")  # the PVC
    assert "announcement" not in c.JupyterHub.template_vars  # no shared-mode warning


def test_agoras_services_are_reached_through_the_hub_service(hub_config):
    found = services(hub_config)
    assert set(found) == {"idle-culler", "datasets", "dashboards", "portal", "scheduler"}
    assert {name: found[name]["url"] for name in SERVICE_URLS} == SERVICE_URLS
    assert "url" not in found["dashboards"]  # its own origin: no route on the hub's proxy
    assert "command" not in found["dashboards"]  # its own pod: the hub starts nothing
    for service in found.values():
        env = service.get("environment", {})
        if service["name"] not in ("idle-culler", "dashboards"):
            assert env["AGORA_CONFIG"].endswith("/etc/agora/workspace.yaml")


def test_services_have_least_privilege_roles(hub_config):
    found = roles(hub_config)
    assert found["datasets"]["scopes"] == ["read:groups", "read:users:groups"]
    assert found["scheduler"]["scopes"][0] == "read:groups"
    assert all(s.startswith("tokens!group=") for s in found["scheduler"]["scopes"][1:])
    assert "jupyterhub-idle-culler" not in found  # the chart's culler is off: Agora's runs
    for role in found.values():
        assert not {"admin:users", "admin:servers", "admin-ui"} & set(role["scopes"])
        assert not any(scope.startswith("tokens") and "!" not in scope for scope in role["scopes"])


def test_every_user_may_reach_the_services_and_workspace_groups_start_pods(hub_config):
    found = roles(hub_config)
    assert {f"access:services!service={name}"
            for name in ("datasets", "dashboards", "portal", "scheduler")} <= set(found["user"]["scopes"])
    assert set(found["workspace"]["groups"]) == {"analysts", "analysts-large", "schedulers", "admins"}


def test_workspaces_reach_the_services_inside_the_cluster(hub_config):
    env = hub_config.KubeSpawner.environment
    assert env["AGORA_DATASETS_URL"] == "http://proxy-public/services/datasets/"
    assert env["AGORA_DASHBOARDS_URL"] == "http://agora-dashboards:8084/services/dashboards/"


def test_the_hub_pods_environment_passes_agoras_runtime_checks(objects, tmp_path):
    lay_out(objects, tmp_path)
    env = hub_environment(objects, tmp_path)
    assert len(env["JUPYTERHUB_CRYPT_KEY"]) == 64  # the chart's own auth-state key
    assert runtime_problems(load_settings(environ=env), env) == []


def test_agora_check_passes_in_the_hub_pod(objects, tmp_path, monkeypatch, capsys):
    from hub.cli.main import main

    lay_out(objects, tmp_path)
    for name in [n for n in os.environ if n.startswith("AGORA_")]:
        monkeypatch.delenv(name)
    for name, value in hub_environment(objects, tmp_path).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr("hub.config.settings.os.geteuid", lambda: 1000)  # the hub's uid
    assert main(["check"]) == 0
    assert "ok: settings from" in capsys.readouterr().out
