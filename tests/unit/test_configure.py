"""hub.configure on a bare traitlets Config: one assertion block per setting."""

import os
from pathlib import Path

import pytest
from traitlets.config import Config

from hub import configure
from hub.config.loading import load_settings
from hub.login import demo_accounts as demo


def settings(**env):
    base = {"AGORA_HUB__DATA_DIR": "/srv/agora"}
    return load_settings(environ={**base, **{k: str(v) for k, v in env.items()}})


def applied(s) -> Config:
    c = Config()
    configure.apply(c, s, configure.HubInputs.read(s, os.environ))  # as jupyterhub_config.py
    return c


def test_hub_binding_database_and_secrets_live_in_data_dir():
    c = applied(settings(AGORA_HUB__BIND_URL="http://127.0.0.1:9000/agora/", AGORA_HUB__HUB_PORT=9100))
    assert c.JupyterHub.bind_url == "http://127.0.0.1:9000/agora/"
    assert c.JupyterHub.hub_ip == "127.0.0.1" and c.JupyterHub.hub_port == 9100
    assert c.JupyterHub.db_url == "sqlite:////srv/agora/jupyterhub.sqlite"
    assert c.JupyterHub.cookie_secret_file == "/srv/agora/jupyterhub_cookie_secret"
    assert c.JupyterHub.oauth_token_expires_in == 8 * 3600  # not the 14-day cookie


def test_db_url_and_log_level():
    c = applied(settings(AGORA_HUB__DB_URL="postgresql://hub@db/hub", AGORA_HUB__LOG_LEVEL="DEBUG"))
    assert c.JupyterHub.db_url == "postgresql+psycopg://hub@db/hub"  # psycopg 3, not psycopg2
    assert c.JupyterHub.log_level == "DEBUG"


def test_a_db_url_with_its_driver_and_password_is_kept_as_written():
    url = "postgresql+psycopg://hub:s%40cret@db:5433/hub?sslmode=require"
    assert applied(settings(AGORA_HUB__DB_URL=url)).JupyterHub.db_url == url


def test_proxy_is_an_absolute_command_on_loopback_api():
    c = applied(settings(AGORA_HUB__PROXY_API_PORT=9101))
    assert Path(c.ConfigurableHTTPProxy.command[0]).is_absolute()
    assert c.ConfigurableHTTPProxy.api_url == "http://127.0.0.1:9101"


def test_proxy_waits_for_slow_dashboard_pages():
    """tornado's client defaults (10 requests in flight, 20 s per answer) made every one of
    10 concurrent dashboard pages a 503: the proxy gets more of both (hub/proxy.py)."""
    from hub import proxy

    command = applied(settings()).ConfigurableHTTPProxy.command
    assert command[1:3] == ["-m", "hub.proxy"]
    assert f"--proxy-timeout={proxy.PROXY_TIMEOUT_MS}" in command
    assert proxy.PROXY_TIMEOUT_MS >= 120_000 and proxy.MAX_CLIENTS >= 100


def test_proxy_answers_programs_in_json_under_the_datasets_service_only():
    command = applied(settings(AGORA_HUB__BIND_URL="http://127.0.0.1:9000/agora/")
                      ).ConfigurableHTTPProxy.command
    assert [a for a in command if a.startswith("--json-errors-under")] == [
        "--json-errors-under=/agora/services/datasets/"]


def test_demo_auth_accounts_admins_and_group_properties():
    c = applied(settings(AGORA_AUTH__DEMO_PASSWORD="s3cret"))
    assert c.JupyterHub.authenticator_class == "hub.login.authenticators.DemoAuthenticator"
    assert c.DemoAuthenticator.demo_password == "s3cret"
    assert c.Authenticator.allowed_users == {a.name for a in demo.ACCOUNTS}
    assert c.Authenticator.admin_users == {"admin"}
    groups = c.JupyterHub.load_groups
    assert groups["commune-99101"]["properties"]["territories"] == ["99101"]
    assert groups["commune-99101"]["users"] == ["elu-rivemont"]
    assert set(groups["officials"]["users"]) == {"elu-rivemont", "elu-bellecombe"}


def oidc_env(**extra):
    return {
        "AGORA_HUB__BIND_URL": "https://data.example.org/",
        "AGORA_AUTH__MODE": "oidc",
        "AGORA_AUTH__OIDC__CLIENT_ID": "agora",
        "AGORA_AUTH__OIDC__CLIENT_SECRET": "shh",
        "AGORA_AUTH__OIDC__AUTHORIZE_URL": "https://idp/auth",
        "AGORA_AUTH__OIDC__TOKEN_URL": "https://idp/token",
        "AGORA_AUTH__OIDC__USERDATA_URL": "https://idp/userinfo",
        **extra,
    }


def test_oidc_auth_from_settings():
    c = applied(settings(**oidc_env(AGORA_AUTH__OIDC__ALLOWED_GROUPS="[staff, elus]",
                                    AGORA_AUTH__OIDC__ADMIN_GROUPS="[it]",
                                    AGORA_AUTH__OIDC__GROUPS_CLAIM="roles")))
    a = c.AgoraOIDCAuthenticator
    assert c.JupyterHub.authenticator_class == "hub.login.authenticators.AgoraOIDCAuthenticator"
    assert (a.client_id, a.client_secret) == ("agora", "shh")
    assert a.authorize_url == "https://idp/auth" and a.token_url == "https://idp/token"
    assert a.userdata_url == "https://idp/userinfo"
    assert a.oauth_callback_url == "https://data.example.org/hub/oauth_callback"
    assert a.groups_claim == "roles" and a.manage_groups is True
    assert a.allow_existing_users is False
    assert a.allowed_groups == {"staff", "elus"} and a.admin_groups == {"it"}
    assert a.allow_all is False
    assert a.enable_auth_state is True
    assert "load_groups" not in c.JupyterHub


def test_oidc_without_allowed_groups_allows_every_provider_user():
    assert applied(settings(**oidc_env())).AgoraOIDCAuthenticator.allow_all is True


def test_shared_spawner_homes_and_timeouts(monkeypatch):
    monkeypatch.setattr("hub.config.settings.os.geteuid", lambda: 1000)
    c = applied(settings(AGORA_SPAWNER__START_TIMEOUT=30, AGORA_SPAWNER__MEM_LIMIT="2G",
                         AGORA_SPAWNER__CPU_LIMIT="1.5", AGORA_SPAWNER__DEFAULT_URL="/lab/tree"))
    assert c.JupyterHub.spawner_class == "hub.workspaces.spawners.SharedSpawner"
    assert c.SharedSpawner.home_dir_template == "/srv/agora/homes/{username}"
    assert c.Spawner.start_timeout == 30
    assert c.Spawner.mem_limit == "2G" and c.Spawner.cpu_limit == 1.5
    assert c.Spawner.default_url == "/lab/tree"
    assert Path(c.Spawner.cmd[0]).name == "jupyterhub-singleuser"


def test_as_root_shared_homes_leave_the_private_data_dir_for_the_shared_account(monkeypatch):
    monkeypatch.setattr("hub.config.settings.os.geteuid", lambda: 0)
    c = applied(settings(AGORA_SPAWNER__ISOLATION="shared",
                         AGORA_SPAWNER__SHARED_ACCOUNT="ws-shared"))
    assert c.JupyterHub.spawner_class == "hub.workspaces.spawners.SharedSpawner"
    assert c.SharedSpawner.run_as == "ws-shared"
    assert c.SharedSpawner.home_dir_template == "/home/ws-shared/{username}"


def test_as_root_the_default_isolates_every_user(monkeypatch):
    monkeypatch.setattr("hub.config.settings.os.geteuid", lambda: 0)
    monkeypatch.setattr("hub.config.settings.shutil.which", lambda name: f"/usr/sbin/{name}")
    c = applied(settings())
    assert c.JupyterHub.spawner_class == "hub.workspaces.spawners.SystemUserSpawner"
    assert c.SystemUserSpawner.home_root == "/home"
    assert "announcement" not in c.JupyterHub.template_vars


def test_shared_mode_warns_on_every_hub_page_and_in_jupyterlab(monkeypatch):
    monkeypatch.setattr("hub.config.settings.os.geteuid", lambda: 1000)
    c = applied(settings())
    announcement = c.JupyterHub.template_vars["announcement"]
    assert "not isolated from each other" in announcement
    assert "ne sont pas isolés" in announcement
    assert c.SharedSpawner.args == ["--LabApp.custom_css=True"]


def test_system_users_isolation():
    c = applied(settings(AGORA_SPAWNER__ISOLATION="system-users",
                         AGORA_SPAWNER__SYSTEM_USER_PREFIX="ws-"))
    assert c.JupyterHub.spawner_class == "hub.workspaces.spawners.SystemUserSpawner"
    assert c.SystemUserSpawner.system_user_prefix == "ws-"
    assert c.SystemUserSpawner.home_root == "/home"
    assert "announcement" not in c.JupyterHub.template_vars
    assert "args" not in c.SystemUserSpawner


def test_culler_service_has_least_privilege_role():
    c = applied(settings(AGORA_CULLER__TIMEOUT_SECONDS=600, AGORA_CULLER__MAX_AGE_SECONDS=86400))
    [service] = [s for s in c.JupyterHub.services if s["name"] == "idle-culler"]
    assert "--timeout=600" in service["command"] and "--max-age=86400" in service["command"]
    [role] = [r for r in c.JupyterHub.load_roles if r["name"] == "idle-culler"]
    assert role["services"] == ["idle-culler"]
    assert "admin:users" not in role["scopes"] and "admin:servers" not in role["scopes"]
    assert set(role["scopes"]) == set(configure.CULLER_SCOPES)
    assert not service.get("admin")


def test_culler_disabled_means_no_service():
    c = applied(settings(AGORA_CULLER__ENABLED="false"))
    assert "idle-culler" not in [s["name"] for s in c.JupyterHub.services]


@pytest.mark.parametrize("func", [configure.configure_hub, configure.configure_proxy,
                                  configure.configure_auth, configure.configure_spawner,
                                  configure.configure_services])
def test_each_function_only_sets_values(func):
    """Applying twice gives the same config: nothing is appended or read back."""
    s = settings()
    once, twice = Config(), Config()
    func(once, s)
    func(twice, s)
    func(twice, s)
    assert once == twice


def test_login_page_hints_demo_accounts_only_in_demo_mode():
    demo_vars = applied(settings()).JupyterHub.template_vars
    assert ("analyst", demo.accounts_by_name()["analyst"].role) in demo_vars["agora_demo_accounts"]
    oidc_vars = applied(settings(**oidc_env())).JupyterHub.template_vars
    assert oidc_vars["agora_demo_accounts"] == []
    assert "agora_demo_password_hint" not in oidc_vars


def test_workspaces_get_the_datasets_service_url():
    c = applied(settings(AGORA_HUB__BIND_URL="http://127.0.0.1:9000/agora/"))
    assert c.Spawner.environment["AGORA_DATASETS_URL"] == "http://127.0.0.1:9000/agora/services/datasets/"


def test_workspaces_get_the_widgets_language_and_tiles_only_when_set():
    default = applied(settings()).Spawner.environment
    assert default["AGORA_LOCALE"] == "fr"
    assert "AGORA_TILES_URL" not in default and "AGORA_TILES_ATTRIBUTION" not in default
    tiles = "https://tiles.intranet.example/{z}/{x}/{y}.png"
    chosen = applied(settings(AGORA_WIDGETS__LOCALE="en", AGORA_WIDGETS__TILES_URL=tiles,
                              AGORA_WIDGETS__TILES_ATTRIBUTION="© IGN")).Spawner.environment
    assert (chosen["AGORA_LOCALE"], chosen["AGORA_TILES_URL"],
            chosen["AGORA_TILES_ATTRIBUTION"]) == ("en", tiles, "© IGN")


def test_a_tile_url_without_its_placeholders_is_refused_with_the_fix():
    with pytest.raises(Exception, match=r"widgets.tiles_url.*\{z\}, \{x\} and \{y\}"):
        settings(AGORA_WIDGETS__TILES_URL="https://tiles.example.org/{z}/{x}.png")


def test_one_scheduler_service_runs_the_refreshes_and_the_reports_without_admin():
    c = applied(settings())
    names = [s["name"] for s in c.JupyterHub.services]
    assert "scheduler" in names and "refresh-scheduler" not in names
    [service] = [s for s in c.JupyterHub.services if s["name"] == "scheduler"]
    assert service["command"][-2:] == ["-m", "hub.services.scheduler"]
    assert service["environment"]["AGORA_DATA__SOURCES_DIR"] == "/srv/agora/sources"
    [role] = [r for r in c.JupyterHub.load_roles if "scheduler" in r.get("services", [])]
    assert role["scopes"] == ["read:groups", "tokens!group=officials", "tokens!group=analysts",
                              "tokens!group=schedulers"]


def test_an_operator_plugs_their_own_authenticator_and_spawner_by_import_string():
    c = applied(settings(AGORA_AUTH__AUTHENTICATOR_CLASS="jupyterhub.auth:DummyAuthenticator",
                         AGORA_SPAWNER__SPAWNER_CLASS="jupyterhub.spawner.SimpleLocalProcessSpawner"))
    assert c.JupyterHub.authenticator_class == "jupyterhub.auth.DummyAuthenticator"
    assert c.JupyterHub.spawner_class == "jupyterhub.spawner.SimpleLocalProcessSpawner"


@pytest.mark.parametrize("key, value, message", [
    ("AUTH__AUTHENTICATOR_CLASS", "nosuchpkg:Auth", "cannot import nosuchpkg"),
    ("AUTH__AUTHENTICATOR_CLASS", "jupyterhub.auth:NoSuch", "jupyterhub.auth has no NoSuch"),
    ("AUTH__AUTHENTICATOR_CLASS", "jupyterhub.spawner:Spawner", "is not a subclass of Authenticator"),
    ("SPAWNER__SPAWNER_CLASS", "KubeSpawner", "is not an import string"),
])
def test_a_wrong_implementation_is_one_clear_problem(key, value, message):
    from hub.config.problems import ConfigProblems

    with pytest.raises(ConfigProblems) as info:
        settings(**{f"AGORA_{key}": value})
    [problem] = info.value.problems
    section, field = key.lower().split("__")
    assert problem.key == f"{section}.{field}" and message in problem.message
    assert problem.file == f"AGORA_{key}" and problem.fix


def test_the_default_ports_are_distinct_and_a_clash_names_both_keys():
    settings()  # the embedded default loads
    with pytest.raises(Exception, match=r"dashboards.port.*8082.*services.datasets_port"):
        settings(AGORA_DASHBOARDS__PORT="8082")
