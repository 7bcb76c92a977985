"""Who gets a workspace (spawner.workspace_groups/users), on a bare Config, and where people
land (hub/workspaces/access.py)."""

from types import SimpleNamespace

import pytest
from traitlets.config import Config

from hub import configure
from hub.config.loading import load_settings
from hub.config.problems import ConfigProblems
from hub.workspaces import access


def settings(**env):
    return load_settings(environ={"AGORA_HUB__DATA_DIR": "/srv/agora", **env})


def roles_of(s) -> dict[str, dict]:
    c = Config()
    configure.configure_services(c, s)
    return {role["name"]: role for role in c.JupyterHub.load_roles}


def test_by_default_analysts_schedulers_and_admins_get_a_workspace_and_nobody_else():
    roles = roles_of(settings())
    workspace = roles["workspace"]
    assert workspace["groups"] == ["admins", "analysts", "schedulers"]
    assert workspace["users"] == []
    assert set(workspace["scopes"]) == {"servers!user", "access:servers!user"}


def test_the_user_role_of_everyone_starts_no_server_but_reads_and_calls_the_datasets_service():
    scopes = roles_of(settings())["user"]["scopes"]
    assert "self" not in scopes  # self carries servers and access:servers
    assert not any(s.startswith(("servers", "access:servers", "admin")) for s in scopes)
    assert {"read:users!user", "tokens!user", configure.DATASETS_ACCESS} <= set(scopes)


def test_groups_and_users_granted_a_workspace_come_from_the_settings():
    s = settings(AGORA_SPAWNER__WORKSPACE_GROUPS='["data-team"]',
                 AGORA_SPAWNER__WORKSPACE_USERS='["partner"]')
    workspace = roles_of(s)["workspace"]
    assert workspace["groups"] == ["data-team"] and workspace["users"] == ["partner"]


def test_a_blank_name_is_one_clear_problem():
    with pytest.raises(ConfigProblems) as info:
        settings(AGORA_SPAWNER__WORKSPACE_USERS='[" partner"]')
    assert "workspace_users" in str(info.value) and "spaces" in str(info.value)


def test_viewers_do_not_land_in_jupyterlab():
    c = Config()
    configure.configure_hub(c, settings())
    assert c.JupyterHub.default_url is access.landing_url


def handler(scopes, services=()):
    user = SimpleNamespace(name="elu", orm_user=None)
    return SimpleNamespace(current_user=user, services=dict.fromkeys(services),
                           base_url="/agora/", hub=SimpleNamespace(base_url="/agora/hub/")), scopes


@pytest.mark.parametrize("scopes, services, landing", [
    ({"start:servers!user=elu"}, (), ""),             # a workspace: JupyterHub's default
    ({"start:servers"}, (), ""),                       # an admin
    ({"read:users!user=elu"}, (), "/agora/hub/home"),  # a viewer, no portal yet
    ({"read:users!user=elu"}, ("portal",), "/agora/services/portal/"),
    ({"start:servers!user=other"}, (), "/agora/hub/home"),
])
def test_landing(monkeypatch, scopes, services, landing):
    request, granted = handler(scopes, services)
    monkeypatch.setattr("jupyterhub.scopes.get_scopes_for", lambda user: granted)
    assert access.landing_url(request) == landing


def test_anonymous_visitors_go_to_jupyterhubs_default_login():
    assert access.landing_url(SimpleNamespace(current_user=None)) == ""
