"""JupyterLab offline: no news feed, no update check, no extension manager lookups.

JupyterLab 4 calls the internet three ways: the announcements plugin asks "Would you like to
get notified about official Jupyter news?" and then fetches an Atom feed (server side,
`LabApp.news_url`), it checks PyPI for a newer JupyterLab (`LabApp.check_for_updates_class`),
and the extension manager searches PyPI (`LabApp.extension_manager`). Agora turns all three
off in a Jupyter config folder of its own, ``~/.agora/jupyter-config`` in each workspace's
home, written at every start (:func:`write_lab_config`, as the workspace's account) and
named by ``JUPYTER_CONFIG_PATH``. Jupyter reads the user's own ``~/.jupyter`` before that
folder, so a user's own settings are never overwritten and still win.
"""

from __future__ import annotations

import json
import os

AGORA_JUPYTER_CONFIG = os.path.join(".agora", "jupyter-config")  # relative to the home
OFFLINE_PLUGINS = ("@jupyterlab/apputils-extension:announcements",  # news prompt, updates
                   "@jupyterlab/extensionmanager-extension:plugin")  # PyPI searches
SERVER_CONFIG = {"LabApp": {
    "news_url": None,
    "check_for_updates_class": "jupyterlab.handlers.announcements.NeverCheckForUpdate",
    "extension_manager": "readonly",
}}
PAGE_CONFIG = {"disabledExtensions": {plugin: True for plugin in OFFLINE_PLUGINS}}
FILES = {"jupyter_server_config.json": SERVER_CONFIG,
         os.path.join("labconfig", "page_config.json"): PAGE_CONFIG}


def config_folder(home: str) -> str:
    """The folder JUPYTER_CONFIG_PATH names for a workspace whose home is `home`."""
    return os.path.join(home, AGORA_JUPYTER_CONFIG)


def write_lab_config(home: str) -> None:
    """Write Agora's JupyterLab config under `home` (ours: replaced at every start)."""
    folder = config_folder(home)
    for name, content in FILES.items():
        path = os.path.join(folder, name)
        os.makedirs(os.path.dirname(path), 0o700, exist_ok=True)
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            json.dump(content, f, indent=2)
        os.replace(path + ".tmp", path)
