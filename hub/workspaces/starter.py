"""The starter notebooks every workspace finds in its file browser.

The hub reads the notebooks of the checkout's notebooks/ folder (:func:`starter_notebooks`,
as the hub's account: the checkout may be closed to workspace accounts), and the workspace
writes the missing ones into ``~/Bienvenue - Getting started`` as its own account, in the
spawners' pre-exec step (:func:`copy_missing`), so they are the user's files, and a copy the
user edited is never overwritten (one deleted comes back at the next start).
"""

from __future__ import annotations

import os
from pathlib import Path

from .lab_config import write_lab_config

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
STARTER_FOLDER = "Bienvenue - Getting started"


def starter_notebooks(folder: Path = NOTEBOOKS) -> dict[str, bytes]:
    """{file name: content} of the notebooks to offer (empty when the folder is missing)."""
    if not folder.is_dir():
        return {}
    return {path.name: path.read_bytes() for path in sorted(folder.glob("*.ipynb"))}


def copy_missing(home: str, notebooks: dict[str, bytes]) -> list[str]:
    """Write the notebooks missing from `home`'s starter folder; the names written."""
    folder = os.path.join(home, STARTER_FOLDER)
    if not notebooks or os.path.islink(folder):
        return []
    os.makedirs(folder, 0o755, exist_ok=True)
    written = []
    for name, content in notebooks.items():
        try:
            fd = os.open(os.path.join(folder, name), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            continue  # the user's copy, edited or not
        with os.fdopen(fd, "wb") as f:
            f.write(content)
        written.append(name)
    return written


def prepare_home(home: str, notebooks: dict[str, bytes]) -> None:
    """At a workspace's start, as its account: Agora's JupyterLab config and the starter
    notebooks. Best effort: a full disk must not keep the workspace from starting."""
    for step in (lambda: write_lab_config(home), lambda: copy_missing(home, notebooks)):
        try:
            step()
        except OSError:
            pass
