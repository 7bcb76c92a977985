"""Local process spawners for the two isolation modes.

- :class:`SharedSpawner` runs every workspace as the hub's own OS user, each in its own home
  folder. Quick to start, no isolation: for demos on one machine.
- :class:`SystemUserSpawner` runs each hub user as their own system account (created when
  missing, home mode 700), so a user cannot read another user's home nor the hub's data
  directory (mode 700, owned by the hub's account).
"""

from __future__ import annotations

import hashlib
import os
import pwd
import re
import subprocess

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


class SystemUserSpawner(LocalProcessSpawner):
    """Each hub user runs as `<prefix><name>`, a system account created when missing."""

    system_user_prefix = Unicode("agora-", config=True, help="Prefix of system account names.")
    home_root = Unicode("/home", config=True, help="Parent folder of the accounts' homes.")
    shell = Unicode("/usr/sbin/nologin", config=True, help="Login shell of created accounts.")

    @property
    def system_user(self) -> str:
        return system_account_name(self.system_user_prefix, self.user.name)

    def ensure_system_user(self) -> pwd.struct_passwd:
        name = self.system_user
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            home = os.path.join(self.home_root, name)
            self.log.info("Creating system account %s for hub user %s", name, self.user.name)
            subprocess.run(
                ["useradd", "--create-home", "--home-dir", home, "--shell", self.shell,
                 "--user-group", "--comment", f"Agora workspace of {self.user.name}", name],
                check=True, capture_output=True,
            )
            entry = pwd.getpwnam(name)
        if entry.pw_uid == 0 or entry.pw_uid < 1000:
            raise RuntimeError(f"refusing to run {self.user.name} as privileged account {name}")
        os.chmod(entry.pw_dir, 0o700)
        return entry

    async def start(self):
        self.ensure_system_user()
        return await super().start()

    def make_preexec_fn(self, name):
        return set_user_setuid(self.system_user)

    def user_env(self, env):
        entry = pwd.getpwnam(self.system_user)
        env.update(USER=entry.pw_name, HOME=entry.pw_dir, SHELL=entry.pw_shell or "/bin/sh")
        return env

    def get_env(self):
        env = super().get_env()
        # JUPYTER_RUNTIME_DIR etc. must live in the user's home, not the hub's data dir
        env.pop("JUPYTER_RUNTIME_DIR", None)
        return env
