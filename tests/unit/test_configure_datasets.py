"""The datasets service's hub configuration, on a bare traitlets Config()."""

import os
import sys

from traitlets.config import Config

from hub import configure
from hub.config.loading import load_settings


def settings(**env):
    base = {"AGORA_HUB__DATA_DIR": "/srv/agora"}
    return load_settings(environ={**base, **{k: str(v) for k, v in env.items()}})


def applied(s) -> Config:
    c = Config()
    configure.apply(c, s, configure.HubInputs.read(s, os.environ))  # as jupyterhub_config.py
    return c


def datasets(c: Config) -> dict:
    [service] = [s for s in c.JupyterHub.services if s["name"] == "datasets"]
    return service


def roles(c: Config) -> dict:
    return {role["name"]: role for role in c.JupyterHub.load_roles}


def test_service_runs_our_module_on_loopback_at_the_configured_port():
    service = datasets(applied(settings(AGORA_SERVICES__DATASETS_PORT=9123)))
    assert service["command"] == [sys.executable, "-m", "hub.services.datasets"]
    assert service["url"] == "http://127.0.0.1:9123"
    assert service["oauth_no_confirm"] is True


def test_default_port():
    assert datasets(applied(settings()))["url"] == "http://127.0.0.1:8082"


def test_service_loads_the_same_settings_not_the_hub_config(tmp_path):
    path = tmp_path / "workspace.yaml"
    path.write_text("data:\n  store_dir: /srv/store\n")
    env = datasets(applied(load_settings(path, environ={})))["environment"]
    assert env["AGORA_CONFIG"] == str(path.resolve())
    assert env["AGORA_DATA__STORE_DIR"] == "/srv/store"
    assert env["AGORA_HUB__DATA_DIR"] == str(tmp_path / ".agora")
    assert "jupyterhub_config" not in " ".join(map(str, env.values()))


def test_pseudonym_key_is_read_at_start_never_stored_in_the_config(monkeypatch):
    env = datasets(applied(settings(AGORA_DATA__PSEUDONYM_KEY_ENV="MY_KEY")))["environment"]
    assert callable(env["MY_KEY"])  # JupyterHub calls it when it starts the service
    monkeypatch.setenv("MY_KEY", "k3y")
    assert env["MY_KEY"](None) == "k3y"
    assert "k3y" not in repr({k: v for k, v in env.items() if not callable(v)})


def test_service_role_is_least_privilege():
    role = roles(applied(settings()))["datasets"]
    assert role["services"] == ["datasets"]
    assert sorted(role["scopes"]) == ["read:groups", "read:users:groups"]
    assert not any(s.startswith("admin") or s in ("users", "groups") for s in role["scopes"])


def test_every_user_may_call_the_service_and_notebook_tokens_too():
    c = applied(settings())
    scopes = roles(c)["user"]["scopes"]  # every user: own model and tokens (workspace_access)
    assert {"access:services!service=datasets", "access:services!service=portal",
            "access:services!service=dashboards"} <= set(scopes)
    assert "self" not in scopes
    assert c.Spawner.server_token_scopes == [
        "users:activity!user", "access:servers!server", "access:services!service=datasets",
        "access:services!service=dashboards"]


def test_roles_extending_the_same_role_are_merged():
    merged = configure.merge_roles([
        {"name": "user", "scopes": ["self", "a"]},
        {"name": "x", "scopes": ["b"], "services": ["x"]},
        {"name": "user", "scopes": ["self", "c"]},
    ])
    assert merged == [{"name": "user", "scopes": ["self", "a", "c"]},
                      {"name": "x", "scopes": ["b"], "services": ["x"]}]


def test_services_see_the_hubs_settings_variables_read_at_start(monkeypatch):
    monkeypatch.setenv("AGORA_DATA__RETAIN_VERSIONS", "9")
    monkeypatch.setenv("UNRELATED_SECRET", "x")
    c = applied(settings())
    services = {service["name"]: service for service in c.JupyterHub.services}
    for name in ("datasets", "scheduler"):
        env = services[name]["environment"]
        assert env["AGORA_DATA__RETAIN_VERSIONS"](None) == "9"
        assert "UNRELATED_SECRET" not in env


def test_no_service_is_handed_the_hubs_secret_settings(monkeypatch):
    """The OIDC client secret and the demo password are the hub's alone."""
    monkeypatch.setenv("AGORA_AUTH__OIDC__CLIENT_SECRET", "oidc-secret")
    monkeypatch.setenv("AGORA_AUTH__DEMO_PASSWORD", "demo-secret")
    c = applied(settings())
    for service in c.JupyterHub.services:
        env = service.get("environment", {})
        handed = {name: value(None) if callable(value) else value for name, value in env.items()}
        assert "oidc-secret" not in handed.values() and "demo-secret" not in handed.values()
        assert not {"AGORA_AUTH__OIDC__CLIENT_SECRET", "AGORA_AUTH__DEMO_PASSWORD"} & set(env)


def test_scheduled_refresh_gets_the_secrets_the_recipes_name(tmp_path, monkeypatch):
    catalogs = tmp_path / "catalogs"
    catalogs.mkdir()
    (catalogs / "payroll.yaml").write_text(
        "title: Payroll\ndescription: d\nlicence: etalab-2.0\n"
        "source:\n  connector: sql\n  url_env: PAYROLL_DB\n  table: staff\n"
        "processors:\n  - anonymise:\n      pseudonymise: [name]\n      key_env: PAYROLL_KEY\n")
    (catalogs / "broken.yaml").write_text("source: [")
    (catalogs / "sneaky.yaml").write_text(  # names the variable the auth-state key is in
        "title: Sneaky\ndescription: d\nlicence: etalab-2.0\n"
        "source:\n  connector: sql\n  url_env: HUB_STATE_KEY\n  table: t\n")
    monkeypatch.setenv("PAYROLL_DB", "sqlite:////srv/payroll.sqlite")
    monkeypatch.setenv("HUB_STATE_KEY", "the-crypt-key")
    c = applied(settings(AGORA_DATA__CATALOG_DIR=catalogs,
                         AGORA_AUTH__CRYPT_KEY_ENV="HUB_STATE_KEY"))
    [service] = [s for s in c.JupyterHub.services if s["name"] == "scheduler"]
    env = service["environment"]
    assert env["PAYROLL_DB"](None) == "sqlite:////srv/payroll.sqlite"
    assert env["PAYROLL_KEY"](None) == ""  # named, but not set in the hub's environment
    assert "sqlite:////srv/payroll" not in repr(env)
    assert "HUB_STATE_KEY" not in env  # never handed to a source
    assert "PAYROLL_DB" not in datasets(c)["environment"]  # the gateway never reads sources


def test_s3_keys_are_forwarded_by_name_only_with_an_s3_store():
    assert "AWS_SECRET_ACCESS_KEY" not in datasets(applied(settings()))["environment"]
    env = datasets(applied(settings(AGORA_DATA__STORE_URL="s3://bucket/agora",
                                    AGORA_DATA__S3_SECRET_KEY_ENV="MY_S3_SECRET")))["environment"]
    assert callable(env["MY_S3_SECRET"]) and callable(env["AWS_ACCESS_KEY_ID"])
