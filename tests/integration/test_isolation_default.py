"""The embedded default, as root, for real: one user can never read another user's token or files.

`agora up` with no isolation setting (`auto`), as a new user runs `./dev.sh up` as root: the
elected official of Rivemont and the analyst log in and spawn. Code in each one's kernel then
tries what an attacker would: every process's environment and command line, every readable
file under /tmp, /var/tmp, /dev/shm and the homes, the other user's home, the hub's data
directory and the snapshot store. It looks for the other user's server token (read here, as
root, from that server's environment) and for any JUPYTERHUB_API_TOKEN but its own. Positive
controls: each probe finds its own token and reads data with it, so a "not found" means
isolation, not a blind probe. Last, a stopped server's token is refused everywhere (by the
datasets service once its auth cache expires).
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import time
from pathlib import Path

import psutil
import pytest
import requests
import yaml

from hub.workspaces.accounts import system_account_name
from tests.support import (
    PROBE_TAG,
    TEST_ACCOUNT_PREFIX,
    admin_api_token,
    hub_api,
    probe_code,
    reachable_temp_folder,
    run_in_workspace,
    running_agora,
    spawned_sessions,
    tagged_result,
    workspaces_for,
)

pytestmark = [
    pytest.mark.integration,
    pytest.mark.isolation,
    pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                       reason="the default isolates users only when the hub runs as root"),
    pytest.mark.skipif(shutil.which("useradd") is None or shutil.which("userdel") is None,
                       reason="useradd/userdel not available"),
]

OFFICIAL, ANALYST = "elu-rivemont", "analyst"
SECRET_DATASET = "social_aid_beneficiaries"  # analysts may read it, officials may not
# the services trust the hub's answer about a token this long (default 30 s): short here, so
# that the stopped server's token is seen refused without waiting half a minute
AUTH_CACHE_SECONDS = 3

ATTACK = r"""
import glob, urllib.request

def read(path, limit=1 << 20):
    with open(path, "rb") as f:
        return f.read(limit)

def environ_of(pid):
    return dict(item.split(b"=", 1) for item in read(f"/proc/{pid}/environ").split(b"\0")
                if b"=" in item)

def tokens_in_process_environments():
    found, readable = {}, 0
    for path in glob.glob("/proc/[0-9]*"):
        pid = path.rsplit("/", 1)[1]
        try:
            env = environ_of(pid)
        except OSError:
            continue
        readable += 1
        token = env.get(b"JUPYTERHUB_API_TOKEN")
        if token:
            found[pid] = token.decode()
    return found, readable

def files_containing(secret, roots, budget=20000):
    hits, read_count = [], 0
    for root in roots:
        for folder, dirs, files in os.walk(root):
            for name in files:
                path = os.path.join(folder, name)
                if read_count >= budget or os.path.islink(path):
                    continue
                try:
                    data = read(path)
                except OSError:
                    continue
                read_count += 1
                if secret in data:
                    hits.append(path)
    return hits, read_count

def in_proc_files(secret):
    hits = []
    for path in glob.glob("/proc/[0-9]*/cmdline") + glob.glob("/proc/[0-9]*/environ"):
        try:
            if secret in read(path):
                hits.append(path)
        except OSError:
            pass
    return hits

def records(token, dataset):
    request = urllib.request.Request(
        os.environ["AGORA_DATASETS_URL"] + f"api/datasets/{dataset}/records?limit=1",
        headers={"Authorization": f"token {token}"})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code

own = os.environ["JUPYTERHUB_API_TOKEN"]
victim = P["victim_token"].encode()
tokens, readable_environs = tokens_in_process_environments()
foreign = sorted({t for t in tokens.values() if t != own})
file_hits, files_read = files_containing(victim, P["search_roots"])
r = {
    "own_token_seen": own in tokens.values(),
    "readable_environs": readable_environs,
    "foreign_tokens": len(foreign),
    "foreign_tokens_work": [records(t, P["dataset"]) for t in foreign],
    "victim_token_in_proc": in_proc_files(victim),
    "victim_token_in_files": file_hits,
    "files_read": files_read,
    "own_token_secret_dataset": records(own, P["dataset"]),
    "own_token_communes": records(own, "communes"),
    "list_victim_home": probe(lambda: os.listdir(P["victim_home"])),
    "list_data_dir": probe(lambda: os.listdir(P["data_dir"])),
    "list_store": probe(lambda: os.listdir(P["store_dir"])),
    "read_snapshot": probe(lambda: len(read(P["snapshot_file"]))),
    "read_sqlite": probe(lambda: len(read(P["data_dir"] + "/jupyterhub.sqlite"))),
}
"""


def server_token(account: str) -> str:
    """The JUPYTERHUB_API_TOKEN of the single-user server running as `account` (read as root)."""
    for proc in psutil.process_iter(["username", "cmdline"]):
        if proc.info["username"] == account and "jupyterhub-singleuser" in " ".join(
                proc.info["cmdline"] or []):
            return proc.environ()["JUPYTERHUB_API_TOKEN"]
    raise AssertionError(f"no single-user server runs as {account}")


@pytest.fixture(scope="module")
def default_hub():
    """`agora up` as root with no spawner.isolation (the tests' account prefix only, so that a
    developer's own agora-* accounts are never touched; the accounts are removed after)."""
    names = {user: system_account_name(TEST_ACCOUNT_PREFIX, user) for user in (OFFICIAL, ANALYST)}
    base = reachable_temp_folder("agora-default-isolation-")
    overrides = {**workspaces_for(OFFICIAL),
                 "services": {"auth_cache_seconds": AUTH_CACHE_SECONDS}}
    with running_agora(base / "agora", overrides) as agora:
        os.chmod(base / "agora", 0o755)  # only data_dir's own mode may keep workspaces out
        sessions = spawned_sessions(agora.url, (OFFICIAL, ANALYST))
        tokens = {user: server_token(name) for user, name in names.items()}
        yield {"agora": agora, "names": names, "sessions": sessions, "tokens": tokens,
               "base": base}


def attack(hub, attacker: str, victim: str) -> dict:
    agora = hub["agora"]
    store = agora.data_dir / "store"
    snapshot = next(store.rglob("*.parquet"))
    victim_home = pwd.getpwnam(hub["names"][victim]).pw_dir
    home_root = str(Path(victim_home).parent)
    paths = {
        "victim_token": hub["tokens"][victim], "dataset": SECRET_DATASET,
        "victim_home": victim_home, "data_dir": str(agora.data_dir), "store_dir": str(store),
        "snapshot_file": str(snapshot),
        "search_roots": ["/tmp", "/var/tmp", "/dev/shm", home_root, str(agora.data_dir)],
    }
    output = run_in_workspace(agora.url, attacker, hub["tokens"][attacker],
                              probe_code(ATTACK, paths), timeout=120)
    result = tagged_result(output, PROBE_TAG)
    print(f"{attacker} -> {victim} (shown when a test fails):", json.dumps(result, indent=1))
    return result


@pytest.fixture(scope="module")
def official_attacks(default_hub):
    return attack(default_hub, OFFICIAL, ANALYST)


@pytest.fixture(scope="module")
def analyst_attacks(default_hub):
    return attack(default_hub, ANALYST, OFFICIAL)


def test_the_default_as_root_runs_each_user_as_their_own_account(default_hub):
    settings = yaml.safe_load(default_hub["agora"].settings_path.read_text())
    assert "isolation" not in settings["spawner"]  # nothing chosen: the default decided
    running = {p.info["username"] for p in psutil.process_iter(["username", "cmdline"])
               if "jupyterhub-singleuser" in " ".join(p.info["cmdline"] or [])}
    assert set(default_hub["names"].values()) <= running
    assert "announcement" not in requests.get(default_hub["agora"].url + "hub/login").text


@pytest.mark.parametrize("attacks", ["official_attacks", "analyst_attacks"])
def test_probe_controls_its_own_token_and_files_are_seen(attacks, request):
    result = request.getfixturevalue(attacks)
    assert result["own_token_seen"] and result["readable_environs"] >= 2
    assert result["files_read"] > 0
    assert result["own_token_communes"] == 200


def test_official_reads_no_other_token_nor_the_analysts_data(official_attacks):
    assert official_attacks["own_token_secret_dataset"] == 404  # their own rights: refused
    assert official_attacks["foreign_tokens"] == 0, official_attacks["foreign_tokens_work"]
    assert official_attacks["victim_token_in_proc"] == []
    assert official_attacks["victim_token_in_files"] == []


def test_analyst_reads_no_token_of_the_official(analyst_attacks):
    assert analyst_attacks["own_token_secret_dataset"] == 200
    assert analyst_attacks["foreign_tokens"] == 0
    assert analyst_attacks["victim_token_in_proc"] == []
    assert analyst_attacks["victim_token_in_files"] == []


@pytest.mark.parametrize("attacks", ["official_attacks", "analyst_attacks"])
def test_no_other_home_nor_the_hub_data_nor_the_store_is_readable(attacks, request):
    result = request.getfixturevalue(attacks)
    denied = {"ok": False, "error": "PermissionError"}
    for key in ("list_victim_home", "list_data_dir", "list_store", "read_snapshot", "read_sqlite"):
        assert result[key] == denied, key


def test_a_workspace_token_carries_only_what_a_workspace_needs(default_hub):
    agora, token = default_hub["agora"], default_hub["tokens"][OFFICIAL]
    me = hub_api(agora, token, "user")
    assert me.status_code == 200 and me.json()["name"] == OFFICIAL
    granted = {f"access:servers!server={OFFICIAL}/", f"users:activity!user={OFFICIAL}",
               "access:services!service=datasets", "access:services!service=dashboards"}
    implied = {f"read:users:{what}!user={OFFICIAL}" for what in ("activity", "name", "groups")}
    # no tokens, no servers; the dashboards service is for publishing (PublishPanel)
    assert granted <= set(me.json()["scopes"]) <= granted | implied
    assert hub_api(agora, token, f"users/{ANALYST}").status_code == 404
    assert hub_api(agora, token, f"users/{OFFICIAL}/tokens", "POST", json={}).status_code == 403


def test_a_stopped_servers_token_is_refused_everywhere(default_hub, official_attacks,
                                                       analyst_attacks):
    agora, token = default_hub["agora"], default_hub["tokens"][OFFICIAL]
    datasets = agora.url + "services/datasets/api/datasets"
    assert requests.get(datasets, headers={"Authorization": f"token {token}"}).status_code == 200
    admin = admin_api_token(agora, "stop a server")
    assert hub_api(agora, admin, f"users/{OFFICIAL}/server", "DELETE").status_code in (202, 204)
    deadline = time.monotonic() + 30
    while hub_api(agora, admin, f"users/{OFFICIAL}").json()["servers"] and \
            time.monotonic() < deadline:
        time.sleep(0.3)
    assert hub_api(agora, token, "user").status_code == 403
    # the datasets service trusts its cache of the hub's answer for AUTH_CACHE_SECONDS at most
    deadline = time.monotonic() + AUTH_CACHE_SECONDS + 10
    while time.monotonic() < deadline:
        status = requests.get(datasets, headers={"Authorization": f"token {token}"}).status_code
        if status != 200:
            break
        time.sleep(1)
    assert status in (401, 403)
