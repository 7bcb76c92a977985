"""Settings: defaults, file + environment layering, and the clear errors of bad input."""

import importlib
from pathlib import Path

import pytest

from hub.config.loading import load_settings
from hub.config.problems import ConfigProblems
from hub.config.reference import documented_keys


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "workspace.yaml"
    path.write_text(text)
    return path


def problems_of(path=None, environ=None) -> list[str]:
    with pytest.raises(ConfigProblems) as info:
        load_settings(path, environ=environ or {})
    return [str(p) for p in info.value.problems]


def test_embedded_default_is_demo_on_loopback(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    s = load_settings(environ={})
    assert s.source == "defaults"
    assert s.auth.mode == "demo"
    assert s.hub.bind_host == "127.0.0.1" and s.hub.bind_port == 8000
    assert s.hub.data_dir == tmp_path / ".agora"
    assert s.spawner.isolation == "auto"


@pytest.mark.parametrize("chosen, euid, has_useradd, mode", [
    ("auto", 0, True, "system-users"),    # root: every user isolated, no extra step
    ("auto", 0, False, "shared"),         # root without useradd cannot make accounts
    ("auto", 1000, True, "shared"),       # a non-root demo cannot switch accounts
    ("shared", 0, True, "shared"),        # chosen explicitly
    ("system-users", 1000, True, "system-users"),  # refused at spawn, with the reason
])
def test_auto_isolation_isolates_whenever_the_hub_can(chosen, euid, has_useradd, mode):
    from hub.config.settings import effective_isolation

    assert effective_isolation(chosen, euid, has_useradd) == mode


def test_settings_resolve_auto_isolation_on_this_machine(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    s = load_settings(environ={})
    monkeypatch.setattr("hub.config.settings.os.geteuid", lambda: 0)
    monkeypatch.setattr("hub.config.settings.shutil.which", lambda name: f"/usr/sbin/{name}")
    assert s.isolation == "system-users" and s.home_root == Path("/home")
    monkeypatch.setattr("hub.config.settings.os.geteuid", lambda: 1000)
    assert s.isolation == "shared" and s.home_root == tmp_path / ".agora" / "homes"


def test_file_then_environment_override(tmp_path):
    path = write(tmp_path, "hub:\n  bind_url: http://127.0.0.1:9000/agora/\n"
                           "culler:\n  timeout_seconds: 600\n")
    s = load_settings(path, environ={"AGORA_CULLER__TIMEOUT_SECONDS": "900"})
    assert s.hub.bind_port == 9000 and s.hub.base_url == "/agora/"
    assert s.culler.timeout_seconds == 900
    assert s.source == str(path)


def test_relative_data_dir_resolves_against_the_file(tmp_path):
    path = write(tmp_path, "hub:\n  data_dir: state\n")
    assert load_settings(path, environ={}).hub.data_dir == tmp_path / "state"


def test_agora_config_variable_names_the_file(tmp_path):
    path = write(tmp_path, "culler:\n  enabled: false\n")
    assert load_settings(environ={"AGORA_CONFIG": str(path)}).culler.enabled is False


def test_unknown_key_names_file_line_and_valid_keys(tmp_path):
    path = write(tmp_path, "hub:\n  bind_url: http://127.0.0.1:8000/\n  bind_ulr: x\n")
    [line] = problems_of(path)
    assert line.startswith(f"{path}:3: hub.bind_ulr: unknown key")
    assert "bind_url" in line.split("->")[1]


def test_wrong_type_names_line_and_expected_value(tmp_path):
    path = write(tmp_path, "culler:\n  timeout_seconds: often\n")
    [line] = problems_of(path)
    assert f"{path}:2: culler.timeout_seconds:" in line
    assert "integer" in line and "Idle time" in line


def test_every_problem_is_reported_at_once(tmp_path):
    path = write(tmp_path, "auth:\n  mode: ldap\nspawner:\n  isolation: docker\n")
    lines = problems_of(path)
    assert len(lines) == 2
    assert any("auth.mode" in line and "'demo' or 'oidc'" in line for line in lines)
    assert any("spawner.isolation" in line and "system-users" in line for line in lines)


def test_bad_environment_value_names_the_variable():
    [line] = problems_of(environ={"AGORA_HUB__HUB_PORT": "99999"})
    assert line.startswith("AGORA_HUB__HUB_PORT: hub.hub_port:")


@pytest.mark.parametrize("key", ["DB_URL", "STATE_DB_URL"])
@pytest.mark.parametrize("url,cause,fix", [
    ("db.example.org/agora", "not a database URL", "postgresql+psycopg://"),
    ("mysql://agora:secret@db/agora", "mysql is not supported here", "postgresql://"),
    ("postgresql://agora:secret@db", "names no database", "/<database>"),
])
def test_a_bad_database_url_names_the_variable_the_cause_and_a_fix(key, url, cause, fix):
    [line] = problems_of(environ={f"AGORA_HUB__{key}": url})
    assert line.startswith(f"AGORA_HUB__{key}: hub.{key.lower()}:")
    assert cause in line and fix in line and "secret" not in line


def test_the_shared_state_is_postgresql_or_the_default_files():
    [line] = problems_of(environ={"AGORA_HUB__STATE_DB_URL": "sqlite:////tmp/state.sqlite"})
    assert "sqlite is not supported here" in line and "postgresql://" in line
    ok = load_settings(None, environ={"AGORA_HUB__STATE_DB_URL": "postgresql://a@db/agora",
                                      "AGORA_HUB__DB_URL": "sqlite:////srv/hub.sqlite"})
    assert ok.hub.state_db_url == "postgresql://a@db/agora"


def test_demo_accounts_refused_on_non_loopback_bind():
    [line] = problems_of(environ={"AGORA_HUB__BIND_URL": "http://0.0.0.0:8000/"})
    assert "auth.mode" in line and "not a loopback address" in line and "oidc" in line


def test_oidc_mode_requires_provider_section(tmp_path):
    path = write(tmp_path, "auth:\n  mode: oidc\n")
    [line] = problems_of(path)
    assert f"{path}:1: auth.oidc:" in line and "client_id" in line


def test_invalid_yaml_is_reported_with_its_line(tmp_path):
    path = write(tmp_path, "hub:\n  bind_url: [unclosed\n")
    [line] = problems_of(path)
    assert line.startswith(f"{path}:") and "not valid YAML" in line


def test_top_level_must_be_a_mapping(tmp_path):
    [line] = problems_of(write(tmp_path, "- a\n- b\n"))
    assert "mapping" in line


def test_documented_keys_are_leaf_paths():
    keys = documented_keys()
    assert "hub.bind_url" in keys and "auth.oidc.groups_claim" in keys
    assert "auth.oidc" not in keys and "source" not in keys


def test_relative_paths_resolve_against_the_file(tmp_path):
    path = write(tmp_path, "spawner:\n  home_root: homes\ndata:\n  store_dir: snap\n")
    s = load_settings(path, environ={})
    assert s.home_root == tmp_path / "homes" and s.store_dir == tmp_path / "snap"


def test_text_and_secret_variables_are_taken_verbatim():
    s = load_settings(environ={"AGORA_AUTH__DEMO_PASSWORD": "123456",
                               "AGORA_AUTH__MODE": "demo",
                               "AGORA_CULLER__ENABLED": "false"})
    assert s.auth.demo_password.get_secret_value() == "123456"
    assert s.culler.enabled is False
    env = {"AGORA_AUTH__DEMO_PASSWORD": "s3cr3t #tail"}
    assert load_settings(environ=env).auth.demo_password.get_secret_value() == "s3cr3t #tail"


def test_dask_scheduler_is_empty_by_default_and_checked_when_set(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert load_settings(environ={}).batch.dask_scheduler == ""
    set_to = load_settings(environ={"AGORA_BATCH__DASK_SCHEDULER": "tcp://10.0.0.5:8786"})
    assert set_to.batch.dask_scheduler == "tcp://10.0.0.5:8786"
    [line] = problems_of(write(tmp_path, "batch:\n  dask_scheduler: 10.0.0.5\n"))
    assert "batch.dask_scheduler" in line and "tcp://host:port" in line
def test_auth_cache_seconds_is_bounded():
    [line] = problems_of(environ={"AGORA_SERVICES__AUTH_CACHE_SECONDS": "0"})
    assert line.startswith("AGORA_SERVICES__AUTH_CACHE_SECONDS: services.auth_cache_seconds:")


@pytest.mark.parametrize("service", ["datasets.http", "portal", "scheduler"])
def test_services_trust_the_hubs_answer_for_auth_cache_seconds(service, tmp_path):
    module = importlib.import_module(f"hub.services.{service}.app")
    settings = load_settings(environ={"AGORA_HUB__DATA_DIR": str(tmp_path),
                                      "AGORA_SERVICES__AUTH_CACHE_SECONDS": "5"})
    args = (settings, None, {}) if service == "scheduler" else (settings, {})
    assert module.app_from_settings(*args).settings["hub_auth"].cache_max_age == 5
