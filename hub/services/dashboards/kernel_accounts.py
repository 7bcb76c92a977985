"""One system account per live dashboard kernel, each with a fresh private home (as root).

Published code is an analyst's: it must not read another kernel's connection file (and with
it that kernel's viewer's token) nor leave files for the next viewer. So each kernel runs as
an account of its own from a pool, ``<prefix>1`` ... ``<prefix>N`` (N: the most kernels alive
at once), made on first use. Taking an account (:meth:`KernelAccounts.take`) kills what still
runs as it, then empties its home and makes it again, mode 700; the kernel's connection file is
written in that home (kernels.py), readable by that account alone.
"""

from __future__ import annotations

import os
import shutil
import signal
from dataclasses import dataclass
from pathlib import Path

import psutil

from hub.workspaces.accounts import ensure_account, prepare_home_root, private_folder

COMMENT = "Agora dashboard kernel"


@dataclass(frozen=True)
class KernelAccount:
    name: str
    uid: int
    gid: int
    home: str


class PoolExhausted(RuntimeError):
    """Every kernel account is in use (the kernel caps should have refused first)."""


class KernelAccounts:
    def __init__(self, prefix: str, home_root: str | os.PathLike, size: int):
        self.prefix, self.home_root, self.size = prefix, Path(home_root), size
        self.in_use: set[str] = set()
        prepare_home_root(str(self.home_root))

    def take(self) -> KernelAccount:
        """A free account, with nothing running as it and an empty home."""
        for number in range(1, self.size + 1):
            name = f"{self.prefix}{number}"
            if name not in self.in_use:
                self.in_use.add(name)
                try:
                    return self.fresh(name)
                except Exception:
                    self.in_use.discard(name)
                    raise
        raise PoolExhausted(f"all {self.size} dashboard kernel accounts are in use")

    def release(self, account: KernelAccount) -> None:
        """Give the account back: what runs as it is killed, its home emptied."""
        stop_processes_of(account.uid)
        empty(account.home)
        self.in_use.discard(account.name)

    def fresh(self, name: str) -> KernelAccount:
        home = str(self.home_root / name)
        entry = ensure_account(name, COMMENT, home, "/usr/sbin/nologin", create_home=False)
        stop_processes_of(entry.pw_uid)
        empty(home)
        private_folder(home, entry)
        return KernelAccount(name, entry.pw_uid, entry.pw_gid, home)


def stop_processes_of(uid: int) -> None:
    """SIGKILL every process running as `uid` (a kernel's leftovers: daemons, children)."""
    for process in psutil.process_iter(["uids"]):
        try:
            uids = process.info["uids"]
            if uids and uid in (uids.real, uids.effective):
                os.kill(process.pid, signal.SIGKILL)
        except (psutil.Error, ProcessLookupError):
            continue


def empty(home: str) -> None:
    """Remove the home and all in it (links are removed, never followed)."""
    if os.path.islink(home):
        os.unlink(home)
    elif os.path.isdir(home):
        shutil.rmtree(home)
