"""dask-gateway's registration (batch.gateway_url): the service, who gets its scope, the
workspaces' variables, and the setting's and the token's checks."""

import pytest
from traitlets.config import Config

from hub import configure
from hub.config.loading import load_settings
from hub.config.problems import ConfigProblems
from hub.config.runtime_checks import runtime_problems
from hub.kubernetes import ChartNames, workspace_environment

GATEWAY = "http://10.0.0.6:8000"
TOKEN = "a" * 64


def settings(**env):
    base = {"AGORA_HUB__DATA_DIR": "/srv/agora"}
    return load_settings(environ={**base, **env})


def applied(s, token: str = TOKEN) -> Config:
    c = Config()
    configure.apply(c, s, configure.HubInputs.read(s, {"AGORA_DASK_GATEWAY_TOKEN": token}))
    return c


def granted(c: Config, scope: str) -> list[dict]:
    return [r for r in c.JupyterHub.load_roles if scope in r["scopes"]]


def test_without_a_gateway_nothing_is_registered_nor_granted():
    c = applied(settings())
    assert "dask-gateway" not in [s["name"] for s in c.JupyterHub.services]
    assert granted(c, configure.GATEWAY_ACCESS) == []
    assert not any(name.startswith("DASK_GATEWAY") for name in c.Spawner.environment)
    assert c.Spawner.server_token_scopes == configure.SERVER_TOKEN_SCOPES


def test_the_gateway_is_an_external_service_with_its_token_and_no_role():
    c = applied(settings(AGORA_BATCH__GATEWAY_URL=GATEWAY))
    [service] = [s for s in c.JupyterHub.services if s["name"] == "dask-gateway"]
    assert service == {"name": "dask-gateway", "display": False, "api_token": TOKEN}
    assert not any("dask-gateway" in r.get("services", ()) for r in c.JupyterHub.load_roles)
    assert TOKEN not in repr(configure.HubInputs(gateway_token=TOKEN))


def test_only_analysts_get_the_gateways_scope_by_default():
    c = applied(settings(AGORA_BATCH__GATEWAY_URL=GATEWAY))
    [role] = granted(c, configure.GATEWAY_ACCESS)
    assert role["groups"] == ["analysts"] and role["scopes"] == [configure.GATEWAY_ACCESS]
    assert "users" not in role and "services" not in role
    # nobody else reaches every service at once (the authenticator also takes `access:services`)
    assert [r["name"] for r in c.JupyterHub.load_roles if "access:services" in r["scopes"]] == []


def test_the_groups_setting_names_who_may_start_clusters():
    c = applied(settings(AGORA_BATCH__GATEWAY_URL=GATEWAY,
                         AGORA_BATCH__GATEWAY_GROUPS="[analysts, data-team]"))
    [role] = granted(c, configure.GATEWAY_ACCESS)
    assert role["groups"] == ["analysts", "data-team"]


def test_workspaces_get_what_gateway_needs_without_arguments():
    s = settings(AGORA_BATCH__GATEWAY_URL=GATEWAY)
    c = applied(s)
    assert c.Spawner.environment["DASK_GATEWAY__ADDRESS"] == GATEWAY
    assert c.Spawner.environment["DASK_GATEWAY__AUTH__TYPE"] == "jupyterhub"
    # the server's JUPYTERHUB_API_TOKEN, which JupyterHubAuth sends, may carry the scope
    assert configure.GATEWAY_ACCESS in c.Spawner.server_token_scopes
    pod = workspace_environment(s, ChartNames())
    assert (pod["DASK_GATEWAY__ADDRESS"], pod["DASK_GATEWAY__AUTH__TYPE"]) == (GATEWAY, "jupyterhub")


def test_the_token_is_read_only_when_a_gateway_is_set():
    s = settings()
    assert configure.HubInputs.read(s, {"AGORA_DASK_GATEWAY_TOKEN": TOKEN}).gateway_token == ""
    custom = settings(AGORA_BATCH__GATEWAY_URL=GATEWAY, AGORA_BATCH__GATEWAY_TOKEN_ENV="GW_TOKEN")
    assert configure.HubInputs.read(custom, {"GW_TOKEN": TOKEN + "\n"}).gateway_token == TOKEN


@pytest.mark.parametrize("env, key, fix", [
    ({"AGORA_BATCH__GATEWAY_URL": "10.0.0.6:8000"}, "batch.gateway_url", "http(s)://host:port"),
    ({"AGORA_BATCH__GATEWAY_URL": GATEWAY, "AGORA_BATCH__GATEWAY_GROUPS": "[]"},
     "batch.gateway_groups", "[analysts]"),
    ({"AGORA_BATCH__GATEWAY_GROUPS": "[' analysts']"}, "batch.gateway_groups", "without spaces"),
    ({"AGORA_BATCH__GATEWAY_TOKEN_ENV": "GW-TOKEN"}, "batch.gateway_token_env",
     "AGORA_DASK_GATEWAY_TOKEN"),
])
def test_a_bad_gateway_setting_is_one_line_naming_the_key_and_the_fix(env, key, fix):
    with pytest.raises(ConfigProblems) as info:
        load_settings(environ=env)
    [line] = [str(p) for p in info.value.problems]
    assert key in line and fix in line


@pytest.mark.parametrize("token, state", [("", "is not set"), ("short", "shorter than 32")])
def test_agora_refuses_to_start_a_gateway_without_its_token(token, state):
    s = settings(AGORA_BATCH__GATEWAY_URL=GATEWAY)
    [problem] = [p for p in runtime_problems(s, {"AGORA_DASK_GATEWAY_TOKEN": token})
                 if p.key == "batch.gateway_token_env"]
    assert problem.file == "AGORA_DASK_GATEWAY_TOKEN" and state in problem.message
    assert "openssl rand -hex 32" in problem.fix
    assert not [p for p in runtime_problems(s, {"AGORA_DASK_GATEWAY_TOKEN": TOKEN})
                if p.key == "batch.gateway_token_env"]
