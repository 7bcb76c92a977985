"""The dashboards service's registration (hub/configure.py) and the kernels' environment."""

from traitlets.config import Config

from hub.config.settings import Settings
from hub.configure import apply
from hub.services.dashboards.kernels import kernel_environment


def applied(s: Settings) -> Config:
    c = Config()
    apply(c, s)
    return c


def test_dashboards_service_least_privilege_and_viewer_token_reaching_datasets():
    c = applied(Settings(dashboards={"port": 9123}))
    service = next(s for s in c.JupyterHub.services if s["name"] == "dashboards")
    assert service["url"] == "http://127.0.0.1:9123"
    assert service["oauth_no_confirm"] is True
    assert service["oauth_client_allowed_scopes"] == ["access:services!service=datasets"]
    assert "AGORA_PSEUDONYM_KEY" not in service["environment"]
    roles = {r["name"]: r for r in c.JupyterHub.load_roles}
    assert not any("dashboards" in r.get("services", ()) for r in roles.values())  # no role
    assert "access:services!service=dashboards" in roles["user"]["scopes"]
    assert not any("admin" in scope for r in roles.values() if r["name"] != "admin"
                   for scope in r["scopes"])


def test_a_kernel_gets_no_token_nor_setting_of_the_service():
    service_env = {"PATH": "/usr/bin", "LANG": "C.UTF-8", "JUPYTERHUB_API_TOKEN": "secret",
                   "JUPYTERHUB_CLIENT_ID": "service-dashboards", "AGORA_CONFIG": "/etc/w.yaml",
                   "AGORA_PSEUDONYM_KEY": "k", "CONFIGPROXY_AUTH_TOKEN": "p"}
    env = kernel_environment(service_env, {"AGORA_DATASETS_URL": "http://127.0.0.1/x/"})
    assert env == {"PATH": "/usr/bin", "LANG": "C.UTF-8",
                   "AGORA_DATASETS_URL": "http://127.0.0.1/x/"}


def test_a_workspace_token_reaches_the_publish_api_and_knows_where_it_is():
    """widgets.PublishPanel publishes with the workspace's own JUPYTERHUB_API_TOKEN: that
    token must carry access to the dashboards service (who may publish is the service's
    rule, hub/services/dashboards/api.py), and the panel finds the service in the spawner's
    environment, next to the datasets service."""
    c = applied(Settings(hub={"bind_url": "http://127.0.0.1:9000/agora/"}))
    assert "access:services!service=dashboards" in c.Spawner.server_token_scopes
    assert not any(s.startswith(("admin", "read:", "servers", "tokens"))
                   for s in c.Spawner.server_token_scopes)
    env = c.Spawner.environment
    assert env["AGORA_DASHBOARDS_URL"] == "http://127.0.0.1:9000/agora/services/dashboards/"
