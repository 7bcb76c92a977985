"""The dashboards service's registration (hub/configure.py) and the kernels' environment."""

import pytest
from pydantic import ValidationError
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
    assert "url" not in service  # no route on the hub's origin: an origin of its own
    assert service["oauth_redirect_uri"] == (
        "http://127.0.0.1:9123/services/dashboards/oauth_callback")
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
    assert env == {"PATH": "/usr/bin", "LANG": "C.UTF-8", "PYTHONNOUSERSITE": "1",
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
    assert env["AGORA_DASHBOARDS_URL"] == "http://127.0.0.1:8084/agora/services/dashboards/"


@pytest.mark.parametrize(("settings", "origin"), [
    ({}, "http://127.0.0.1:8084"),
    ({"dashboards": {"port": 9300}}, "http://127.0.0.1:9300"),
    ({"hub": {"public_url": "https://data.example.org/"},
      "dashboards": {"public_url": "https://dashboards.example.org/"}},
     "https://dashboards.example.org"),
    ({"hub": {"bind_url": "http://[::1]:8000/"}}, "http://[::1]:8084"),
])
def test_dashboards_have_an_origin_of_their_own(settings, origin):
    s = Settings(**settings)
    assert s.dashboards_origin == origin != s.hub.public_origin


@pytest.mark.parametrize(("settings", "problem"), [
    ({"hub": {"bind_url": "http://127.0.0.1:8000/"},
      "dashboards": {"public_url": "http://127.0.0.1:8000"}}, "is the hub's own origin"),
    ({"hub": {"public_url": "https://data.example.org/agora/"},
      "dashboards": {"public_url": "https://data.example.org"}}, "is the hub's own origin"),
    ({"dashboards": {"public_url": "https://dashboards.example.org/d/"}}, "is not an origin"),
    ({"dashboards": {"public_url": "dashboards.example.org"}}, "is not an origin"),
])
def test_the_hubs_own_origin_or_a_path_is_refused_for_dashboards(settings, problem):
    with pytest.raises(ValidationError, match=problem):
        Settings(**settings)
