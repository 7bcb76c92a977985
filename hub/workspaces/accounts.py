"""System accounts that run workspaces, and the checks that make running as them safe.

Used by both spawners (hub/workspaces/spawners.py) when the hub runs as root: `system-users` isolation
makes one account per hub user, `shared` isolation one account for every workspace. Accounts
are created with `useradd` when missing, and an existing account is only used when Agora made
it for that purpose (:func:`account_problem`), so `nobody` or a service account is never taken
over.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pwd
import re
import stat
import subprocess
import threading

log = logging.getLogger("agora.accounts")

_INVALID = re.compile(r"[^a-z0-9_-]")
MAX_SYSTEM_NAME = 32
MIN_UID = 1000
COMMENT_PREFIX = "Agora workspace of "
SHARED_COMMENT = "Agora shared workspaces"
WORKSPACE_SHELLS = ("/bin/bash", "/bin/sh")
_useradd_lock = threading.Lock()


class IsolationError(RuntimeError):
    """A workspace cannot be started safely as its system account; the message says why."""


def system_account_name(prefix: str, username: str) -> str:
    """A valid, collision-free system account name for a hub user name.

    Names that had to be changed (upper case, '@', '.', too long) get a short hash suffix, so
    two different hub users can never map to the same account.
    """
    cleaned = _INVALID.sub("-", username.lower())
    name = prefix + cleaned
    if cleaned != username or len(name) > MAX_SYSTEM_NAME:
        digest = hashlib.sha256(username.encode()).hexdigest()[:8]
        name = f"{name[:MAX_SYSTEM_NAME - 9]}-{digest}"
    return name


def account_comment(username: str) -> str:
    """The GECOS comment that marks an account as created by Agora for `username`."""
    return COMMENT_PREFIX + re.sub(r"[:,\n\r]", "_", username)


def account_problem(entry: pwd.struct_passwd, comment: str) -> str | None:
    """Why an existing account may not run workspaces, or None when it may.

    Only unprivileged accounts (uid >= 1000) whose comment is the one Agora gives them
    (`comment`, e.g. :func:`account_comment` of the hub user) are used.
    """
    if entry.pw_uid < MIN_UID:
        return f"uid {entry.pw_uid} is below {MIN_UID}: a privileged or service account"
    if entry.pw_gecos.split(",")[0] != comment:
        return (f"it was not created by Agora for this purpose (its comment is "
                f"{entry.pw_gecos!r}, expected {comment!r})")
    if not os.path.isabs(entry.pw_dir) or os.path.normpath(entry.pw_dir) == "/":
        return f"its home {entry.pw_dir!r} is not a private folder"
    return None


def ensure_account(name: str, comment: str, home: str, shell: str,
                   create_home: bool = True) -> pwd.struct_passwd:
    """The account `name`, created when missing; refuses one that Agora did not make.

    A new account gets `home` (made by useradd and owned by the account when `create_home`),
    the login `shell` and its own group.
    """
    with _useradd_lock:
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            log.info("Creating system account %s (%s)", name, comment)
            home_flag = "--create-home" if create_home else "--no-create-home"
            result = subprocess.run(
                ["useradd", home_flag, "--home-dir", home, "--shell", shell, "--user-group",
                 "--comment", comment, name],
                capture_output=True, text=True,
            )
            if result.returncode != 0:
                raise IsolationError(f"useradd {name} failed ({result.returncode}): "
                                     f"{result.stderr.strip()}")
            entry = pwd.getpwnam(name)
    problem = account_problem(entry, comment)
    if problem:
        raise IsolationError(f"refusing to run workspaces as system account {name}: {problem}")
    return entry


def private_folder(path: str, entry: pwd.struct_passwd) -> None:
    """Make `path` a folder owned by the account, mode 700 (created when missing)."""
    if not os.path.lexists(path):
        os.mkdir(path, 0o700)
        os.chown(path, entry.pw_uid, entry.pw_gid)
    info = os.lstat(path)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != entry.pw_uid:
        raise IsolationError(f"home {path} of {entry.pw_name} must be a folder owned by it "
                             "(not a link, not someone else's)")
    os.chmod(path, 0o700)


def closed_ancestor(path: str | os.PathLike) -> str | None:
    """The first folder above `path` that other accounts cannot traverse (no o+x), or None."""
    current = os.path.abspath(path)
    while True:
        parent = os.path.dirname(current)
        if parent == current:
            return None
        if not os.stat(parent).st_mode & stat.S_IXOTH:
            return parent
        current = parent


def prepare_home_root(root: str) -> None:
    """Create the parent of the homes; refuse one others could write to or not reach."""
    root = os.path.abspath(root)
    os.makedirs(root, 0o755, exist_ok=True)
    info = os.stat(root)
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH) or info.st_uid != 0:
        raise IsolationError(f"home_root {root} must be owned by root and writable by root "
                             f"only (it is mode {oct(info.st_mode & 0o777)}, uid "
                             f"{info.st_uid}); fix it with chown root: / chmod 755")
    blocked = closed_ancestor(os.path.join(root, "x"))
    if blocked:
        raise IsolationError(f"{blocked} is not traversable by other accounts, so workspace "
                             f"accounts could not reach their homes under {root}; "
                             "chmod o+x it or choose another spawner.home_root")


def check_reachable_command(command: str) -> None:
    """Refuse to spawn when a workspace account could not run the server command (Agora's
    Python environment); Agora's own packages are handled by hub/workspaces/packages.py."""
    if os.path.isabs(command):
        blocked = closed_ancestor(command)
        if blocked or not os.stat(command).st_mode & stat.S_IXOTH:
            raise IsolationError(f"{command} is not executable by other accounts "
                                 f"({blocked or 'the file itself'} is closed); install Agora "
                                 "in a venv everyone can read, e.g. /opt/agora/venv")


def workspace_path(command: str, inherited: str | None) -> str:
    """PATH for a workspace: the folder of the server command (the venv's bin) first."""
    parts = [os.path.dirname(command)] if os.path.isabs(command) else []
    parts += [p for p in (inherited or "/usr/local/bin:/usr/bin:/bin").split(os.pathsep)
              if p and p not in parts]
    return os.pathsep.join(parts)


def workspace_shell(login_shell: str) -> str:
    """SHELL for terminals: the account's login shell is nologin, so use a real one."""
    if login_shell and not login_shell.endswith(("nologin", "false")):
        return login_shell
    return next((s for s in WORKSPACE_SHELLS if os.path.exists(s)), "/bin/sh")


HUB_ONLY_ENV = ("JUPYTER_RUNTIME_DIR", "XDG_RUNTIME_DIR", "JUPYTER_CONFIG_DIR",
                "JUPYTER_DATA_DIR", "IPYTHONDIR")


def account_env(env: dict, entry: pwd.struct_passwd, home: str, command: str) -> dict:
    """The workspace environment for `entry`'s account: its name, `home`, a real shell, the
    venv first on PATH, and none of the hub's own Jupyter folders (runtime files such as
    kernel connection files go to the workspace's home)."""
    for key in HUB_ONLY_ENV:
        env.pop(key, None)
    env.update(USER=entry.pw_name, LOGNAME=entry.pw_name, HOME=home,
               SHELL=workspace_shell(entry.pw_shell),
               PATH=workspace_path(command, env.get("PATH")))
    return env
