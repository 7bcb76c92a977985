from hub.workspaces.accounts import MAX_SYSTEM_NAME, system_account_name


def test_plain_names_map_directly():
    assert system_account_name("agora-", "analyst") == "agora-analyst"


def test_changed_names_get_a_hash_so_they_never_collide():
    a = system_account_name("agora-", "Jean.Dupont@ville.fr")
    b = system_account_name("agora-", "jean-dupont-ville-fr")
    assert a != b
    assert a.startswith("agora-jean-dupont") and len(a) <= MAX_SYSTEM_NAME


def test_long_names_are_truncated_to_a_valid_length():
    name = system_account_name("agora-", "x" * 80)
    assert len(name) <= MAX_SYSTEM_NAME


# --- system-users isolation: the pure checks behind SystemUserSpawner -----------------------

import asyncio  # noqa: E402
import os  # noqa: E402
import pwd  # noqa: E402
from types import SimpleNamespace  # noqa: E402

import pytest  # noqa: E402

from hub.workspaces import accounts, shared_mode, spawners  # noqa: E402
from hub.workspaces.accounts import (  # noqa: E402
    IsolationError,
    account_comment,
    account_problem,
    closed_ancestor,
    prepare_home_root,
    workspace_path,
    workspace_shell,
)
from hub.workspaces.spawners import SystemUserSpawner  # noqa: E402
from tests.support import reachable_temp_folder  # noqa: E402


def passwd(name="agora-analyst", uid=1001, gecos=None, home="/home/agora-analyst",
           shell="/usr/sbin/nologin") -> pwd.struct_passwd:
    gecos = account_comment("analyst") if gecos is None else gecos
    return pwd.struct_passwd((name, "x", uid, uid, gecos, home, shell))


def spawner(**config) -> SystemUserSpawner:
    return SystemUserSpawner(user=SimpleNamespace(name="analyst", url="/user/analyst/"),
                             cmd=["/opt/agora/venv/bin/jupyterhub-singleuser"], **config)


def test_comment_marks_the_hub_user_and_stays_a_valid_gecos_field():
    assert account_comment("analyst") == "Agora workspace of analyst"
    assert ":" not in account_comment("a:b,c\nd") and "," not in account_comment("a:b,c")


def test_an_account_agora_created_for_this_user_is_used():
    assert account_problem(passwd(), account_comment("analyst")) is None
    assert account_problem(passwd(gecos=account_comment("analyst") + ",,,"),
                           account_comment("analyst")) is None


@pytest.mark.parametrize("entry,why", [
    (passwd(uid=0), "below 1000"),
    (passwd(uid=33, gecos="www-data"), "below 1000"),
    (passwd(name="nobody", uid=65534, gecos="nobody", home="/nonexistent"),
     "not created by Agora for this purpose"),
    (passwd(gecos="Jean Dupont,,,"), "not created by Agora for this purpose"),
    (passwd(gecos=account_comment("partner")), "expected 'Agora workspace of analyst'"),
    (passwd(home="/"), "not a private folder"),
    (passwd(home="relative/home"), "not a private folder"),
])
def test_accounts_that_exist_for_another_purpose_are_refused(entry, why):
    assert why in account_problem(entry, account_comment("analyst"))


def test_closed_ancestor_finds_the_folder_others_cannot_traverse():
    folder = reachable_temp_folder("agora-ancestors-")  # tmp_path's own parent is closed
    open_dir = folder / "open" / "inner"
    open_dir.mkdir(parents=True)
    os.chmod(folder / "open", 0o711)
    assert closed_ancestor(open_dir / "file") is None
    os.chmod(folder / "open", 0o750)
    assert closed_ancestor(open_dir / "file") == str(folder / "open")


def test_workspace_path_puts_the_server_venv_first_without_duplicates():
    assert workspace_path("/opt/agora/venv/bin/jupyterhub-singleuser", "/usr/bin:/opt/agora/venv/bin") \
        == "/opt/agora/venv/bin:/usr/bin"
    assert workspace_path("jupyterhub-singleuser", None) == "/usr/local/bin:/usr/bin:/bin"


def test_terminals_get_a_real_shell_when_the_login_shell_is_nologin():
    assert workspace_shell("/usr/sbin/nologin") in ("/bin/bash", "/bin/sh")
    assert workspace_shell("/bin/false") in ("/bin/bash", "/bin/sh")
    assert workspace_shell("/bin/zsh") == "/bin/zsh"


def skip_install_checks(monkeypatch):
    """The install and home-root checks a spawn starts with (they read the real venv and
    /home): these tests are about the account."""
    monkeypatch.setattr(spawners, "check_reachable_command", lambda *a: None)
    monkeypatch.setattr(spawners, "workspace_pythonpath", lambda *a: None)
    monkeypatch.setattr(spawners, "prepare_home_root", lambda root: os.makedirs(root, exist_ok=True))


def test_existing_unrelated_account_is_refused_before_anything_runs(monkeypatch):
    skip_install_checks(monkeypatch)
    monkeypatch.setattr(spawners.pwd, "getpwnam",
                        lambda name: passwd(name=name, uid=65534, gecos="nobody", home="/"))
    monkeypatch.setattr(accounts.subprocess, "run", lambda *a, **k: pytest.fail("ran useradd"))
    monkeypatch.setattr(accounts.os, "chmod", lambda *a: pytest.fail("touched a home"))
    with pytest.raises(IsolationError, match="refusing to run workspaces as system account "
                                             "agora-analyst"):
        spawner().ensure_system_user()


def test_home_owned_by_someone_else_is_refused(monkeypatch, tmp_path):
    skip_install_checks(monkeypatch)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setattr(spawners.pwd, "getpwnam",
                        lambda name: passwd(name=name, uid=os.getuid() + 4242, home=str(home)))
    with pytest.raises(IsolationError, match="must be a folder owned by it"):
        spawner().ensure_system_user()


def fake_useradd(monkeypatch, uid):
    """useradd and the passwd database, in memory; returns the useradd command lines. With
    --create-home the home is made for real (owned by `uid`)."""
    calls, created = [], {}

    def getpwnam(name):
        if name not in created:
            raise KeyError(name)
        return created[name]

    def run(cmd, **kwargs):
        calls.append(cmd)
        home = cmd[cmd.index("--home-dir") + 1]
        if "--create-home" in cmd:
            os.mkdir(home, 0o755)
            if uid != os.getuid():
                os.chown(home, uid, uid)
        created[cmd[-1]] = passwd(name=cmd[-1], uid=uid, home=home,
                                  gecos=cmd[cmd.index("--comment") + 1])
        return SimpleNamespace(returncode=0, stderr="")

    monkeypatch.setattr(accounts.pwd, "getpwnam", getpwnam)
    monkeypatch.setattr(accounts.subprocess, "run", run)
    skip_install_checks(monkeypatch)
    return calls


def test_missing_account_is_created_with_agora_comment_and_nologin(monkeypatch, tmp_path):
    uid = os.getuid() if os.getuid() >= 1000 else 54321  # as root: chown the home to a fake uid
    calls = fake_useradd(monkeypatch, uid)
    s = spawner(home_root=str(tmp_path / "homes"))
    entry = s.ensure_system_user()
    assert calls[0][0] == "useradd" and "--create-home" in calls[0]
    assert calls[0][calls[0].index("--comment") + 1] == "Agora workspace of analyst"
    assert calls[0][calls[0].index("--shell") + 1] == "/usr/sbin/nologin"
    assert entry.pw_dir == str(tmp_path / "homes" / "agora-analyst")
    assert oct(os.lstat(entry.pw_dir).st_mode & 0o777) == oct(0o700)


def test_home_root_writable_by_others_is_refused(tmp_path):
    root = tmp_path / "homes"
    root.mkdir()
    os.chmod(root, 0o777)
    with pytest.raises(IsolationError, match="writable by root only"):
        prepare_home_root(str(root))


def test_start_refuses_without_root(monkeypatch):
    monkeypatch.setattr(spawners, "_as_root", lambda: False)
    with pytest.raises(IsolationError, match="needs the hub to run as root"):
        asyncio.run(spawner().start())


def test_workspace_env_points_home_and_runtime_files_at_the_account(monkeypatch):
    from jupyterhub.spawner import Spawner

    monkeypatch.setattr(spawners.pwd, "getpwnam", lambda name: passwd(name=name))
    inherited = {"PATH": "/usr/bin:/bin", "JUPYTER_RUNTIME_DIR": "/srv/agora/runtime",
                 "XDG_RUNTIME_DIR": "/run/user/0"}
    monkeypatch.setattr(Spawner, "get_env", lambda self: dict(inherited))
    env = spawner().get_env()
    assert env["HOME"] == "/home/agora-analyst" and env["USER"] == env["LOGNAME"] == "agora-analyst"
    assert "JUPYTER_RUNTIME_DIR" not in env and "XDG_RUNTIME_DIR" not in env
    assert env["PATH"].split(":")[0] == "/opt/agora/venv/bin"

    assert not env["SHELL"].endswith("nologin")


# --- shared isolation: never root, one unprivileged account when the hub is root -------------

from hub.workspaces.accounts import SHARED_COMMENT, check_reachable_command  # noqa: E402
from hub.workspaces.spawners import SharedSpawner  # noqa: E402


def shared_spawner(tmp_path, **config) -> SharedSpawner:
    return SharedSpawner(user=SimpleNamespace(name="analyst", url="/user/analyst/"),
                         cmd=["/opt/agora/venv/bin/jupyterhub-singleuser"],
                         home_dir_template=str(tmp_path / "homes" / "{username}"), **config)


def test_shared_workspaces_never_get_allow_root(monkeypatch, tmp_path):
    monkeypatch.setattr(spawners, "_as_root", lambda: True)
    assert "--allow-root" not in shared_spawner(tmp_path).get_args()


@pytest.mark.skipif(os.geteuid() != 0, reason="chowns the home to another uid")
def test_as_root_shared_workspaces_run_as_the_unprivileged_shared_account(monkeypatch, tmp_path):
    monkeypatch.setattr(spawners, "_as_root", lambda: True)
    calls = fake_useradd(monkeypatch, uid=54321)
    s = shared_spawner(tmp_path, run_as="agora-shared")
    entry = s.ensure_run_as()
    assert entry.pw_name == "agora-shared" and entry.pw_uid == 54321
    command = calls[0]
    assert command[0] == "useradd" and "--no-create-home" in command
    assert command[command.index("--comment") + 1] == SHARED_COMMENT
    assert command[command.index("--home-dir") + 1] == str(tmp_path / "homes")
    home = os.lstat(tmp_path / "homes" / "analyst")
    assert home.st_uid == 54321 and oct(home.st_mode & 0o777) == oct(0o700)
    s.ensure_run_as()  # the second spawn uses the account made by the first
    assert len(calls) == 1


def test_as_root_an_existing_shared_account_agora_did_not_make_is_refused(monkeypatch, tmp_path):
    monkeypatch.setattr(spawners, "_as_root", lambda: True)
    fake_useradd(monkeypatch, uid=54321)
    monkeypatch.setattr(accounts.pwd, "getpwnam",
                        lambda name: passwd(name=name, uid=1000, gecos="Backup operator"))
    with pytest.raises(IsolationError, match="refusing to run workspaces as system account "
                                             "agora-shared.*not created by Agora"):
        shared_spawner(tmp_path).ensure_run_as()
    assert not (tmp_path / "homes" / "analyst").exists()


def test_as_root_shared_workspace_env_names_the_account_and_its_own_home(monkeypatch, tmp_path):
    from jupyterhub.spawner import Spawner

    monkeypatch.setattr(spawners, "_as_root", lambda: True)
    monkeypatch.setattr(spawners.pwd, "getpwnam", lambda name: passwd(
        name=name, gecos=SHARED_COMMENT, home=str(tmp_path / "homes")))
    monkeypatch.setattr(Spawner, "get_env", lambda self: {
        "PATH": "/usr/bin", "JUPYTER_RUNTIME_DIR": "/root/.local/share/jupyter/runtime"})
    env = shared_spawner(tmp_path).get_env()
    assert env["USER"] == env["LOGNAME"] == "agora-shared"
    assert env["HOME"] == str(tmp_path / "homes" / "analyst")
    assert "JUPYTER_RUNTIME_DIR" not in env
    assert env["PATH"].split(":")[0] == "/opt/agora/venv/bin"


def test_without_root_shared_workspaces_stay_the_hubs_own(monkeypatch, tmp_path):
    from jupyterhub.spawner import Spawner

    monkeypatch.setattr(spawners, "_as_root", lambda: False)
    monkeypatch.setattr(accounts.subprocess, "run", lambda *a, **k: pytest.fail("ran useradd"))
    monkeypatch.setattr(Spawner, "get_env", lambda self: {"PATH": "/usr/bin"})
    monkeypatch.chdir(tmp_path)  # restored after the test: the preexec changes folder
    s = shared_spawner(tmp_path)
    s.make_preexec_fn("analyst")()  # no uid switch: makes the home and enters it
    assert os.getcwd() == str(tmp_path / "homes" / "analyst")
    assert oct(os.stat(s.home_dir).st_mode & 0o777) == oct(0o700)
    assert s.get_env()["USER"] == "analyst"


def test_a_server_command_other_accounts_cannot_run_is_refused_with_the_fix():
    folder = reachable_temp_folder("agora-venv-")  # tmp_path's own parent is closed
    command = folder / "venv" / "bin" / "jupyterhub-singleuser"
    command.parent.mkdir(parents=True)
    command.write_text("#!/bin/sh\n")
    os.chmod(command, 0o755)
    os.chmod(folder / "venv", 0o700)
    with pytest.raises(IsolationError, match="venv.*is closed.*venv everyone can read"):
        check_reachable_command(str(command))
    os.chmod(folder / "venv", 0o755)
    check_reachable_command(str(command))  # reachable now: accepted


def test_as_root_workspaces_get_the_published_packages_first_on_pythonpath(monkeypatch, tmp_path):
    from jupyterhub.spawner import Spawner

    monkeypatch.setattr(spawners, "_as_root", lambda: True)
    monkeypatch.setattr(spawners, "check_reachable_command", lambda *a: None)
    monkeypatch.setattr(spawners, "workspace_pythonpath", lambda command: "/opt/share/pkgs")
    monkeypatch.setattr(spawners.pwd, "getpwnam", lambda name: passwd(
        name=name, gecos=SHARED_COMMENT, home=str(tmp_path / "homes")))
    monkeypatch.setattr(Spawner, "get_env", lambda self: {"PYTHONPATH": "/extra"})
    s = shared_spawner(tmp_path)
    assert s.get_env()["PYTHONPATH"] == "/extra"  # before the check: as it was
    s.check_install()
    assert s.get_env()["PYTHONPATH"] == "/opt/share/pkgs:/extra"


def test_shared_workspace_preexec_writes_the_banner_into_jupyterlab_custom_css(monkeypatch,
                                                                                tmp_path):
    monkeypatch.setattr(spawners, "_as_root", lambda: False)
    here = os.getcwd()
    try:
        shared_spawner(tmp_path).make_preexec_fn("analyst")()  # as the child would, before exec
    finally:
        os.chdir(here)
    css = (tmp_path / "homes" / "analyst" / ".jupyter" / "custom" / "custom.css").read_text()
    assert css.startswith(shared_mode.SHARED_MODE_CSS_MARK) and "#jp-top-panel::after" in css
    assert css.isascii() and shared_mode.css_string(shared_mode.SHARED_MODE_LAB_LABEL) in css


def test_css_string_escapes_what_is_not_ascii():
    import tinycss2

    label = 'Mode partagé ⚠ "quoted" \\ back'
    [token] = [t for t in tinycss2.parse_component_value_list(shared_mode.css_string(label))
               if t.type == "string"]
    assert token.value == label


def test_shared_mode_css_keeps_the_users_own_rules_and_is_written_once(tmp_path):
    custom = tmp_path / ".jupyter" / "custom"
    custom.mkdir(parents=True)
    (custom / "custom.css").write_text(".my-rule { color: red; }\n")
    shared_mode.write_shared_mode_css(str(tmp_path))
    shared_mode.write_shared_mode_css(str(tmp_path))
    css = (custom / "custom.css").read_text()
    assert css.count("#jp-top-panel::after") == 1
    assert css.endswith(".my-rule { color: red; }\n")
