"""spawner.isolation: system-users, for real: each hub user runs as their own system account.

A real `agora up` (as root) logs two demo users in through the form and spawns both; then code
runs *inside analyst's workspace*, through a kernel, and reports what that account can and
cannot touch. Positive controls (a world-readable file analyst can read, folders it can list,
stat works on the closed folders) make sure every "denied" comes from the isolation, not from a
broken probe. The created accounts are removed (userdel -r) even when a test fails.
"""

from __future__ import annotations

import json
import os
import pwd
import secrets
import shutil
import stat
import time
from pathlib import Path

import psutil
import pytest

from hub.workspaces.accounts import account_comment, system_account_name
from tests.support import (
    PROBE_TAG,
    probe_code,
    reachable_temp_folder,
    remove_system_account,
    run_in_workspace,
    running_agora,
    spawned_sessions,
    system_account,
    tagged_result,
    user_api_token,
)

pytestmark = [
    pytest.mark.integration,
    pytest.mark.isolation,
    pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                       reason="system-users isolation creates system accounts: run as root"),
    pytest.mark.skipif(shutil.which("useradd") is None or shutil.which("userdel") is None,
                       reason="useradd/userdel not available"),
]

USERS = ("analyst", "partner")

PROBE = r"""
def write(path, text):
    with open(path, "w") as f:
        return f.write(text)

def read(path):
    with open(path, "rb") as f:
        return f.read().decode(errors="replace")

r = {
    "uid": os.getuid(), "euid": os.geteuid(), "gid": os.getgid(), "groups": os.getgroups(),
    "user": pwd.getpwuid(os.getuid()).pw_name, "HOME": os.environ.get("HOME"),
    "cwd": os.getcwd(),
    "write_own": probe(lambda: write(P["own_file"], "written by A")),
    "read_own": probe(lambda: read(P["own_file"])),
    "list_own": probe(lambda: sorted(os.listdir(P["home_a"]))),
    "read_control": probe(lambda: read(P["control_file"])),
    "list_home_root": probe(lambda: sorted(os.listdir(P["home_root"]))),
    "stat_other_home": probe(lambda: oct(os.stat(P["home_b"]).st_mode)),
    "list_other_home": probe(lambda: os.listdir(P["home_b"])),
    "read_other_file": probe(lambda: read(P["other_file"])),
    "write_other_home": probe(lambda: write(P["home_b"] + "/intruder.txt", "x")),
    "list_data_parent": probe(lambda: sorted(os.listdir(P["data_parent"]))),
    "stat_data": probe(lambda: oct(os.stat(P["data"]).st_mode)),
    "list_data": probe(lambda: os.listdir(P["data"])),
    "read_sqlite": probe(lambda: len(read(P["data"] + "/jupyterhub.sqlite"))),
    "read_cookie_secret": probe(lambda: read(P["data"] + "/jupyterhub_cookie_secret")),
    "read_data_world_readable": probe(lambda: read(P["data_file"])),
}
"""


@pytest.fixture(scope="module")
def isolated(request):
    """`agora up` with system-users isolation, in a traversable folder under /tmp."""
    prefix = f"agt{secrets.token_hex(2)}-"
    names = {user: system_account_name(prefix, user) for user in USERS}
    assert all(system_account(name) is None for name in names.values()), "prefix collision; rerun"
    base = reachable_temp_folder("agora-isolation-")
    home_root = base / "homes"  # Agora creates it
    request.addfinalizer(lambda: [remove_system_account(name) for name in names.values()])
    started = time.monotonic()
    with running_agora(base / "agora", {
        "spawner": {"isolation": "system-users", "system_user_prefix": prefix,
                    "home_root": str(home_root), "workspace_users": ["partner"]},
    }) as agora:
        os.chmod(base / "agora", 0o755)
        sessions = spawned_sessions(agora.url, USERS)
        yield {"agora": agora, "names": names, "home_root": home_root, "base": base,
               "sessions": sessions, "startup_seconds": time.monotonic() - started}


@pytest.fixture(scope="module")
def probe(isolated):
    """What analyst's workspace process can do, measured from inside it."""
    agora, names = isolated["agora"], isolated["names"]
    home_a = Path(pwd.getpwnam(names["analyst"]).pw_dir)
    home_b = pwd.getpwnam(names["partner"])
    # a world-readable file in partner's home: only the home's mode 700 can keep analyst out
    other_file = Path(home_b.pw_dir) / "partner-notes.txt"
    other_file.write_text("partner's private notes")
    os.chown(other_file, home_b.pw_uid, home_b.pw_gid)
    os.chmod(other_file, 0o644)
    # same for the data dir: a world-readable file there is guarded by the folder alone
    data_file = agora.data_dir / "world-readable-marker.txt"
    data_file.write_text("hub-side file")
    os.chmod(data_file, 0o644)
    control_file = isolated["base"] / "control.txt"
    control_file.write_text("anyone may read this")
    os.chmod(control_file, 0o644)
    paths = {
        "home_a": str(home_a), "own_file": str(home_a / "probe.txt"),
        "home_b": home_b.pw_dir, "other_file": str(other_file),
        "home_root": str(isolated["home_root"]), "control_file": str(control_file),
        "data_parent": str(agora.data_dir.parent), "data": str(agora.data_dir),
        "data_file": str(data_file),
    }
    token = user_api_token(isolated["sessions"]["analyst"], agora.url, "analyst",
                           "isolation test")
    started = time.monotonic()
    output = run_in_workspace(agora.url, "analyst", token, probe_code(PROBE, paths))
    result = tagged_result(output, PROBE_TAG)
    result["_seconds"] = time.monotonic() - started
    result["_paths"] = paths
    print("probe result (shown when a test fails):", json.dumps(result, indent=1))
    return result


def test_agora_created_the_accounts_with_private_homes(isolated):
    home_root = isolated["home_root"]
    assert stat.S_IMODE(home_root.stat().st_mode) == 0o755 and home_root.stat().st_uid == 0
    uids = set()
    for user, name in isolated["names"].items():
        entry = pwd.getpwnam(name)
        assert entry.pw_gecos == account_comment(user)
        assert entry.pw_uid >= 1000 and entry.pw_uid not in uids
        uids.add(entry.pw_uid)
        assert entry.pw_dir == str(home_root / name)
        assert entry.pw_shell.endswith("nologin")
        home = os.lstat(entry.pw_dir)
        assert stat.S_ISDIR(home.st_mode) and home.st_uid == entry.pw_uid
        assert stat.S_IMODE(home.st_mode) == 0o700


def test_each_workspace_server_runs_as_its_own_account(isolated):
    by_account = {}
    for proc in psutil.process_iter(["username", "cmdline"]):
        cmdline = " ".join(proc.info["cmdline"] or [])
        if "jupyterhub-singleuser" in cmdline and proc.info["username"] in isolated["names"].values():
            by_account.setdefault(proc.info["username"], []).append(proc.pid)
    assert set(by_account) == set(isolated["names"].values())


def test_hub_data_dir_stays_private(isolated):
    data = isolated["agora"].data_dir
    info = data.stat()
    assert stat.S_IMODE(info.st_mode) == 0o700 and info.st_uid == os.getuid() == 0
    assert (data / "jupyterhub.sqlite").exists() and (data / "jupyterhub_cookie_secret").exists()
    # its parent is open, so the isolation below rests on data_dir's own mode
    assert data.parent.stat().st_mode & stat.S_IXOTH


def test_code_in_analyst_workspace_runs_as_analyst_account(isolated, probe):
    a = pwd.getpwnam(isolated["names"]["analyst"])
    b = pwd.getpwnam(isolated["names"]["partner"])
    assert probe["uid"] == probe["euid"] == a.pw_uid
    assert probe["uid"] not in (0, b.pw_uid)
    assert probe["gid"] == a.pw_gid and 0 not in probe["groups"] and b.pw_gid not in probe["groups"]
    assert probe["user"] == a.pw_name
    assert probe["HOME"] == probe["cwd"] == a.pw_dir


def test_analyst_can_use_its_own_home(probe):
    assert probe["write_own"]["ok"], probe["write_own"]
    assert probe["read_own"] == {"ok": True, "value": "written by A"}
    assert probe["list_own"]["ok"] and "probe.txt" in probe["list_own"]["value"]
    # Jupyter's runtime files went to the home, not to the hub's data dir
    own = Path(probe["_paths"]["home_a"])
    runtime = own / ".local" / "share" / "jupyter" / "runtime"
    assert runtime.is_dir() and os.stat(runtime).st_uid == probe["uid"]


def test_positive_controls_prove_the_probe_can_read(isolated, probe):
    names = isolated["names"]
    assert probe["read_control"] == {"ok": True, "value": "anyone may read this"}
    listed = probe["list_home_root"]  # other test runs on this machine may have homes there
    assert listed["ok"] and set(names.values()) <= set(listed["value"]), listed
    assert probe["stat_other_home"] == {"ok": True, "value": oct(0o40700)}
    assert probe["list_data_parent"]["ok"] and "data" in probe["list_data_parent"]["value"]
    assert probe["stat_data"] == {"ok": True, "value": oct(0o40700)}


def test_analyst_cannot_touch_partner_home(isolated, probe):
    denied = {"ok": False, "error": "PermissionError"}
    assert probe["list_other_home"] == denied
    assert probe["read_other_file"] == denied
    assert probe["write_other_home"] == denied
    home_b = Path(pwd.getpwnam(isolated["names"]["partner"]).pw_dir)
    assert not (home_b / "intruder.txt").exists()
    assert (home_b / "partner-notes.txt").read_text() == "partner's private notes"


def test_analyst_cannot_read_hub_data_dir(probe):
    denied = {"ok": False, "error": "PermissionError"}
    assert probe["list_data"] == denied
    assert probe["read_sqlite"] == denied
    assert probe["read_cookie_secret"] == denied
    assert probe["read_data_world_readable"] == denied
