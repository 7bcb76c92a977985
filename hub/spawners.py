"""Local process spawners for the two isolation modes.

- :class:`SharedSpawner` runs every workspace as the hub's own OS user, each in its own home
  folder. Quick to start, no isolation: for demos on one machine.
- :class:`SystemUserSpawner` runs each hub user as their own system account (created when
  missing, home mode 700), so a user cannot read another user's home nor the hub's data
  directory (mode 700, owned by the hub's account).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import pwd
import re
import stat
import subprocess
import threading

from jupyterhub.spawner import LocalProcessSpawner, SimpleLocalProcessSpawner, set_user_setuid
from traitlets import Unicode

_INVALID = re.compile(r"[^a-z0-9_-]")
MAX_SYSTEM_NAME = 32


def _as_root() -> bool:
    return os.geteuid() == 0


class SharedSpawner(SimpleLocalProcessSpawner):
    """Every workspace runs as the hub's OS user, in `home_dir_template` (made mode 700)."""

    def get_args(self):
        args = super().get_args()
        return args + ["--allow-root"] if _as_root() else args

    def make_preexec_fn(self, name):
        home = self.home_dir

        def preexec():
            os.makedirs(home, 0o700, exist_ok=True)
            os.chdir(home)

        return preexec


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


MIN_UID = 1000
COMMENT_PREFIX = "Agora workspace of "
WORKSPACE_SHELLS = ("/bin/bash", "/bin/sh")
_useradd_lock = threading.Lock()


class IsolationError(RuntimeError):
    """A workspace cannot be started safely as its own system account; the message says why."""


def account_comment(username: str) -> str:
    """The GECOS comment that marks an account as created by Agora for `username`."""
    return COMMENT_PREFIX + re.sub(r"[:,\n\r]", "_", username)


def account_problem(entry: pwd.struct_passwd, username: str) -> str | None:
    """Why an existing account may not run `username`'s workspace, or None when it may.

    Only unprivileged accounts (uid >= 1000) that Agora created for this very hub user (their
    comment says so) are used: an account that exists for an unrelated purpose, e.g. `nobody`
    or a service account, is never taken over.
    """
    if entry.pw_uid < MIN_UID:
        return f"uid {entry.pw_uid} is below {MIN_UID}: a privileged or service account"
    if entry.pw_gecos.split(",")[0] != account_comment(username):
        return (f"it was not created by Agora for {username!r} (its comment is "
                f"{entry.pw_gecos!r}, expected {account_comment(username)!r})")
    if not os.path.isabs(entry.pw_dir) or os.path.normpath(entry.pw_dir) == "/":
        return f"its home {entry.pw_dir!r} is not a private folder"
    return None


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


class SystemUserSpawner(LocalProcessSpawner):
    """Each hub user runs as `<prefix><name>`, a system account created when missing.

    The hub must run as root. Accounts get a home in `home_root`, mode 700, owned by them; the
    server runs with that account's uid, gid and groups, in its home, with HOME, USER and the
    Jupyter runtime files there, never in the hub's data directory.
    """

    system_user_prefix = Unicode("agora-", config=True, help="Prefix of system account names.")
    home_root = Unicode("/home", config=True, help="Parent folder of the accounts' homes.")
    shell = Unicode("/usr/sbin/nologin", config=True, help="Login shell of created accounts.")

    @property
    def system_user(self) -> str:
        return system_account_name(self.system_user_prefix, self.user.name)

    def _prepare_home_root(self) -> None:
        root = os.path.abspath(self.home_root)
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

    def _create_account(self, name: str) -> None:
        home = os.path.join(os.path.abspath(self.home_root), name)
        self.log.info("Creating system account %s for hub user %s", name, self.user.name)
        result = subprocess.run(
            ["useradd", "--create-home", "--home-dir", home, "--shell", self.shell,
             "--user-group", "--comment", account_comment(self.user.name), name],
            capture_output=True, text=True,
        )
        if result.returncode != 0:
            raise IsolationError(f"useradd {name} failed ({result.returncode}): "
                                 f"{result.stderr.strip()}")

    def _secure_home(self, entry: pwd.struct_passwd) -> None:
        home = entry.pw_dir
        if not os.path.lexists(home):
            os.mkdir(home, 0o700)
            os.chown(home, entry.pw_uid, entry.pw_gid)
        info = os.lstat(home)
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != entry.pw_uid:
            raise IsolationError(f"home {home} of {entry.pw_name} must be a folder owned by it "
                                 "(not a link, not someone else's)")
        os.chmod(home, 0o700)

    def ensure_system_user(self) -> pwd.struct_passwd:
        """The workspace's account, created when missing; refuses accounts Agora did not make."""
        name = self.system_user
        with _useradd_lock:
            try:
                entry = pwd.getpwnam(name)
            except KeyError:
                self._prepare_home_root()
                self._create_account(name)
                entry = pwd.getpwnam(name)
        problem = account_problem(entry, self.user.name)
        if problem:
            raise IsolationError(f"refusing to run {self.user.name}'s workspace as system "
                                 f"account {name}: {problem}")
        self._secure_home(entry)
        return entry

    def _check_command(self) -> None:
        command = self.cmd[0] if self.cmd else ""
        if not os.path.isabs(command):
            return
        blocked = closed_ancestor(command)
        mode = os.stat(command).st_mode
        if blocked or not mode & stat.S_IXOTH:
            raise IsolationError(f"{command} is not executable by other accounts "
                                 f"({blocked or 'the file itself'} is closed); install Agora "
                                 "in a venv everyone can read, e.g. /opt/agora/venv")

    async def start(self):
        if not _as_root():
            raise IsolationError("spawner.isolation: system-users needs the hub to run as root "
                                 "(it creates accounts and switches to them)")
        self._check_command()
        await asyncio.to_thread(self.ensure_system_user)
        return await super().start()

    def make_preexec_fn(self, name):
        return set_user_setuid(self.system_user)

    def user_env(self, env):
        entry = pwd.getpwnam(self.system_user)
        env.update(USER=entry.pw_name, LOGNAME=entry.pw_name, HOME=entry.pw_dir,
                   SHELL=workspace_shell(entry.pw_shell))
        return env

    def get_env(self):
        env = super().get_env()
        # runtime files (kernel connection files, server info) go to the user's home, never to
        # a folder inherited from the hub
        for key in ("JUPYTER_RUNTIME_DIR", "XDG_RUNTIME_DIR", "JUPYTER_CONFIG_DIR",
                    "JUPYTER_DATA_DIR", "IPYTHONDIR"):
            env.pop(key, None)
        env["PATH"] = workspace_path(self.cmd[0] if self.cmd else "", env.get("PATH"))
        return env
