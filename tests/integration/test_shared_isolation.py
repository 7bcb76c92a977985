"""spawner.isolation: shared, with the hub running as root (e.g. `sudo ./dev.sh up`).

Workspaces must never run as root: they run as the unprivileged shared account, so code in a
workspace cannot read the hub's data directory (cookie secret, database, snapshot store, raw
sources, demo pseudonym key) and reads data only through the datasets service. The probe runs
inside analyst's real workspace, through a kernel; positive controls (its own home, a
world-readable file) prove that every "denied" comes from the account switch.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
from pathlib import Path

import pytest
import requests

from hub.config.loading import load_settings
from hub.config.settings import SpawnerSettings
from hub.demo_data.bootstrap import DEMO_KEY_FILE
from hub.workspaces.shared_mode import SHARED_MODE_CSS
from tests.support import (
    PROBE_TAG,
    login_form,
    probe_code,
    reachable_temp_folder,
    remove_system_account,
    run_in_workspace,
    running_agora,
    system_account,
    tagged_result,
    user_api_token,
    wait_for_server,
)

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                       reason="the shared account is used when the hub runs as root"),
    pytest.mark.skipif(shutil.which("useradd") is None, reason="useradd not available"),
]

PROBE = r"""
def read(path):
    with open(path, "rb") as f:
        return len(f.read())

def write_home():
    with open(os.path.join(os.environ["HOME"], "notes.txt"), "w") as f:
        return f.write("mine")

from widgets import catalog
r = {
    "uid": os.getuid(), "account": pwd.getpwuid(os.getuid()).pw_name,
    "home": os.environ["HOME"], "cwd": os.getcwd(),
    "write_own_home": probe(write_home),
    "read_control": probe(lambda: read(P["control"])),
    "list_data_dir": probe(lambda: os.listdir(P["data"])),
    "cookie_secret": probe(lambda: read(P["cookie"])),
    "database": probe(lambda: read(P["database"])),
    "pseudonym_key": probe(lambda: read(P["key"])),
    "list_store": probe(lambda: os.listdir(P["store"])),
    "service_entries": sorted(catalog().entries),
}
"""


SHARED_ACCOUNT = SpawnerSettings().shared_account


@pytest.fixture(scope="module")
def agora():
    """A hub in shared mode; it creates the shared account, which is removed again afterwards
    unless it was there before (a real `sudo ./dev.sh up` made it)."""
    made_here = system_account(SHARED_ACCOUNT) is None
    base = reachable_temp_folder("agora-shared-root-")
    (base / "hub").mkdir()
    os.chmod(base / "hub", 0o755)  # open, so that data_dir's own mode 700 is the barrier
    with running_agora(base / "hub", {"spawner": {"isolation": "shared",
                                                    "workspace_users": ["partner"]}}) as running:
        yield running
    if made_here:
        remove_system_account(SHARED_ACCOUNT)


def test_workspace_code_runs_as_the_shared_account_and_cannot_read_hub_secrets(agora, tmp_path):
    session = requests.Session()
    login_form(session, agora.url, "analyst", "demo")
    wait_for_server(session, agora.url, "analyst")
    token = user_api_token(session, agora.url, "analyst", "shared isolation test")
    control = reachable_temp_folder("agora-control-") / "control.txt"
    control.write_text("anyone may read this")
    os.chmod(control, 0o644)
    data = agora.data_dir
    paths = {"control": str(control), "data": str(data), "store": str(data / "store"),
             "cookie": str(data / "jupyterhub_cookie_secret"),
             "database": str(data / "jupyterhub.sqlite"), "key": str(data / DEMO_KEY_FILE)}
    for name in ("cookie", "database", "key"):
        assert Path(paths[name]).is_file(), f"the probe's target {paths[name]} does not exist"

    assert (data.stat().st_mode & 0o777) == 0o700 and (data.parent.stat().st_mode & 0o005)
    result = tagged_result(run_in_workspace(agora.url, "analyst", token,
                                            probe_code(PROBE, paths)), PROBE_TAG)
    print(json.dumps(result, indent=1))
    settings = load_settings(agora.settings_path, environ={})  # as the hub read them
    shared = pwd.getpwnam(settings.spawner.shared_account)
    assert result["uid"] == shared.pw_uid != 0 and result["account"] == shared.pw_name
    assert result["home"] == result["cwd"] == str(settings.home_root / "analyst")
    assert not result["home"].startswith(str(data))
    # positive controls: the probe can write its home and read what is open to it
    assert result["write_own_home"] == {"ok": True, "value": len("mine")}
    assert result["read_control"] == {"ok": True, "value": len("anyone may read this")}
    denied = {"ok": False, "error": "PermissionError"}
    for target in ("list_data_dir", "cookie_secret", "database", "pseudonym_key", "list_store"):
        assert result[target] == denied, (target, result[target])
    # data comes through the service, under analyst's rights
    assert "air_quality" in result["service_entries"]
    shutil.rmtree(control.parent, ignore_errors=True)


def test_shared_mode_says_so_on_the_hub_pages_and_in_jupyterlab(agora):
    session = requests.Session()
    login = session.get(agora.url + "hub/login").content.decode("utf-8")
    assert "not isolated from each other" in login and "ne sont pas isolés" in login
    login_form(session, agora.url, "partner", "demo")
    home = session.get(agora.url + "hub/home")
    assert home.status_code == 200 and "not isolated from each other" in home.text
    wait_for_server(session, agora.url, "partner")
    lab = session.get(agora.url + "user/partner/lab")
    assert 'custom/custom.css"' in lab.text  # JupyterLab links the custom CSS...
    css = session.get(agora.url + "user/partner/custom/custom.css")
    assert css.status_code == 200 and SHARED_MODE_CSS in css.content.decode("ascii")  # warns
