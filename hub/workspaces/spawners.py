"""Local process spawners for the two isolation modes.

- :class:`SharedSpawner` runs every workspace under one OS account, each in its own home
  folder: quick to start, no isolation between users, for demos on one machine. When the hub
  runs as root, that account is an unprivileged one (:attr:`SharedSpawner.run_as`, created when
  missing), never root, so workspace code cannot read the hub's data directory (cookie secret,
  snapshot store, pseudonym key).
- :class:`SystemUserSpawner` runs each hub user as their own system account (created when
  missing, home mode 700), so a user cannot read another user's home nor the hub's data
  directory (mode 700, owned by the hub's account).

Both need the hub's Python environment to be usable by the accounts they switch to (checked
before each spawn); Agora's notebook packages are published where those accounts can import
them when the checkout is closed (hub/workspaces/packages.py). The account helpers and checks
live in hub/workspaces/accounts.py.
"""

from __future__ import annotations

import asyncio
import os
import pwd

from jupyterhub.spawner import LocalProcessSpawner, SimpleLocalProcessSpawner, set_user_setuid
from traitlets import Unicode

from hub.workspaces.accounts import (
    SHARED_COMMENT,
    IsolationError,
    account_comment,
    account_env,
    check_reachable_command,
    ensure_account,
    prepare_home_root,
    private_folder,
    system_account_name,
)
from hub.workspaces.lab_config import config_folder
from hub.workspaces.packages import workspace_pythonpath
from hub.workspaces.shared_mode import write_shared_mode_css
from hub.workspaces.starter import prepare_home, starter_notebooks


def _as_root() -> bool:
    return os.geteuid() == 0


class _AccountSwitching(LocalProcessSpawner):
    """What both spawners do when they run a workspace as another account."""

    shell = Unicode("/usr/sbin/nologin", config=True, help="Login shell of created accounts.")

    # set by check_install: a published copy of Agora's packages, when the checkout is closed
    packages_path: str | None = None

    def check_install(self) -> None:
        """Refuse an install the account cannot run; publish Agora's packages if needed."""
        command = self.cmd[0] if self.cmd else ""
        check_reachable_command(command)
        self.packages_path = workspace_pythonpath(command) if os.path.isabs(command) else None

    def env_for(self, env: dict, entry: pwd.struct_passwd, home: str) -> dict:
        env = account_env(env, entry, home, self.cmd[0] if self.cmd else "")
        env["JUPYTER_CONFIG_PATH"] = config_folder(home)  # JupyterLab offline (lab_config.py)
        if self.packages_path:
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [self.packages_path,
                                                              env.get("PYTHONPATH")]))
        return env


class SharedSpawner(_AccountSwitching, SimpleLocalProcessSpawner):
    """Every workspace runs under one OS account, in `home_dir_template` (made mode 700).

    Without root, that account is the hub's own. As root, it is :attr:`run_as`: an
    unprivileged account created when missing (home_root is then root's and the homes are
    the account's). Workspaces never run as root.
    """

    run_as = Unicode("agora-shared", config=True,
                     help="Account that runs every workspace when the hub runs as root.")

    @property
    def switches_account(self) -> bool:
        return _as_root()

    def ensure_run_as(self) -> pwd.struct_passwd:
        """Check the install, create run_as when missing and the workspace's private home."""
        self.check_install()
        home_root = os.path.dirname(os.path.abspath(self.home_dir))
        prepare_home_root(home_root)
        entry = ensure_account(self.run_as, SHARED_COMMENT, home_root, self.shell,
                               create_home=False)
        private_folder(self.home_dir, entry)
        return entry

    async def start(self):
        if self.switches_account:
            await asyncio.to_thread(self.ensure_run_as)
        return await super().start()

    def make_preexec_fn(self, name):
        home, notebooks = self.home_dir, starter_notebooks()
        switch = set_user_setuid(self.run_as, chdir=False) if self.switches_account else None

        def preexec():
            if switch:
                switch()
            os.makedirs(home, 0o700, exist_ok=True)
            os.chdir(home)
            write_shared_mode_css(home)
            prepare_home(home, notebooks)

        return preexec

    def get_env(self):
        env = super().get_env()
        if self.switches_account:
            env = self.env_for(env, pwd.getpwnam(self.run_as), self.home_dir)
        else:
            env["JUPYTER_CONFIG_PATH"] = config_folder(self.home_dir)
        return env


class SystemUserSpawner(_AccountSwitching, LocalProcessSpawner):
    """Each hub user runs as `<prefix><name>`, a system account created when missing.

    The hub must run as root. Accounts get a home in `home_root`, mode 700, owned by them; the
    server runs with that account's uid, gid and groups, in its home, with HOME, USER and the
    Jupyter runtime files there, never in the hub's data directory.
    """

    system_user_prefix = Unicode("agora-", config=True, help="Prefix of system account names.")
    home_root = Unicode("/home", config=True, help="Parent folder of the accounts' homes.")

    @property
    def system_user(self) -> str:
        return system_account_name(self.system_user_prefix, self.user.name)

    def ensure_system_user(self) -> pwd.struct_passwd:
        """Check the install; the workspace's account, created when missing (refuses accounts
        Agora did not make), and its private home."""
        self.check_install()
        name = self.system_user
        home_root = os.path.abspath(self.home_root)
        prepare_home_root(home_root)
        entry = ensure_account(name, account_comment(self.user.name),
                               os.path.join(home_root, name), self.shell)
        private_folder(entry.pw_dir, entry)
        return entry

    async def start(self):
        if not _as_root():
            raise IsolationError("spawner.isolation: system-users needs the hub to run as root "
                                 "(it creates accounts and switches to them)")
        await asyncio.to_thread(self.ensure_system_user)
        return await super().start()

    def make_preexec_fn(self, name):
        switch, notebooks = set_user_setuid(self.system_user), starter_notebooks()
        home = pwd.getpwnam(self.system_user).pw_dir

        def preexec():
            switch()  # also enters the home
            prepare_home(home, notebooks)

        return preexec

    def user_env(self, env):
        return env  # get_env sets the account's names and home

    def get_env(self):
        entry = pwd.getpwnam(self.system_user)
        return self.env_for(super().get_env(), entry, entry.pw_dir)
