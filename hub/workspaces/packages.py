"""Agora's notebook packages where workspace accounts can import them.

Workspaces import ``widgets`` (``from widgets import catalog``) from the Agora install. An
editable install (what ``./dev.sh`` does) imports it from the checkout, and a checkout in a
folder other accounts cannot cross (cloned in /root, mode 700) would leave a workspace that
runs as another account without it. Then, and only then, the hub (root) publishes a read-only
copy next to its virtual environment, in ``<venv>/share/agora/workspace-packages`` (owned by
root, folders 755, files 644), refreshed whenever the checkout's files change, and workspaces
get that folder first on ``PYTHONPATH``. Nothing else of the checkout (hub code, settings, the
data directory) is copied.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import stat
import threading

from .accounts import IsolationError, closed_ancestor

PACKAGES = ("widgets",)
SHARE = ("share", "agora", "workspace-packages")
_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".*")
_publish_lock = threading.Lock()


def package_folders(names: tuple[str, ...] = PACKAGES) -> dict[str, str]:
    """{package: its folder} as this (the hub's) Python imports them."""
    folders = {}
    for name in names:
        spec = importlib.util.find_spec(name)
        if spec and spec.submodule_search_locations:
            folders[name] = list(spec.submodule_search_locations)[0]
    return folders


def readable_by_others(folder: str) -> bool:
    """Whether any account can reach `folder` and read the files in it."""
    info = os.stat(folder)
    return closed_ancestor(os.path.join(folder, "__init__.py")) is None and bool(
        info.st_mode & stat.S_IROTH and info.st_mode & stat.S_IXOTH)


def published_root(command: str) -> str:
    """Where the copies go: the share folder of the venv whose bin holds `command`."""
    return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(command))), *SHARE)


def source_digest(folder: str) -> str:
    """Changes when a file of `folder` (copied ones only) is added, removed or modified."""
    paths = []
    for parent, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if d not in _IGNORED(parent, dirs)]
        paths += [os.path.join(parent, n) for n in files if n not in _IGNORED(parent, files)]
    digest = hashlib.sha256()
    for path in sorted(paths):
        info = os.stat(path)
        digest.update(f"{os.path.relpath(path, folder)}\0{info.st_size}\0"
                      f"{info.st_mtime_ns}\0".encode())
    return digest.hexdigest()


def _open_modes(folder: str) -> None:
    for parent, dirs, files in os.walk(folder):
        os.chmod(parent, 0o755)
        for name in files:
            os.chmod(os.path.join(parent, name), 0o644)


def publish(source: str, root: str, name: str) -> None:
    """Copy the package `source` to `root/name` unless the copy is current; the old copy is
    swapped out only once the new one is complete."""
    target, stamp = os.path.join(root, name), os.path.join(root, f".{name}.digest")
    digest = source_digest(source)
    with _publish_lock:
        if os.path.isdir(target) and os.path.isfile(stamp):
            with open(stamp) as f:
                if f.read() == digest:
                    return
        staging, retired = os.path.join(root, f".{name}.new"), os.path.join(root, f".{name}.old")
        for leftover in (staging, retired):
            shutil.rmtree(leftover, ignore_errors=True)
        shutil.copytree(source, staging, ignore=_IGNORED)
        _open_modes(staging)
        if os.path.lexists(target):
            os.rename(target, retired)
        os.rename(staging, target)
        shutil.rmtree(retired, ignore_errors=True)
        with open(stamp + ".tmp", "w") as f:
            f.write(digest)
        os.chmod(stamp + ".tmp", 0o644)
        os.replace(stamp + ".tmp", stamp)


def workspace_pythonpath(command: str, names: tuple[str, ...] = PACKAGES) -> str | None:
    """None when workspace accounts can import Agora's packages where they are; otherwise
    the folder of their published copies (to put first on PYTHONPATH)."""
    folders = package_folders(names)
    if all(readable_by_others(folder) for folder in folders.values()):
        return None
    root = published_root(command)
    os.makedirs(root, 0o755, exist_ok=True)
    if os.stat(root).st_uid != os.geteuid():  # never change the mode of someone else's folder
        raise _unpublishable(folders, root, "it is not the hub's own folder")
    os.chmod(root, 0o755)
    if blocked := closed_ancestor(os.path.join(root, "x")):
        raise _unpublishable(folders, root, f"{blocked} is closed")
    for name, folder in folders.items():
        publish(folder, root, name)
    return root


def _unpublishable(folders: dict, root: str, reason: str) -> IsolationError:
    return IsolationError(f"workspaces could not import {', '.join(folders)} from the checkout, "
                          f"nor from a copy in {root} ({reason}); keep Agora in a folder "
                          "everyone can read, e.g. /opt/agora or /srv/agora")
