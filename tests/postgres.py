"""A throwaway PostgreSQL cluster for tests: initdb + pg_ctl on a free loopback port, its
socket in its own folder, trust authentication, fsync off; stopped and removed afterwards.

initdb refuses to run as root: as root the cluster belongs to the `postgres` account (Debian's
package makes it). Tests skip, saying why, when no PostgreSQL is installed (./dev.sh installs
Debian's `postgresql` for the tests).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from tests.support import free_port

SUPERUSER = "postgres"


def bin_dir() -> Path | None:
    """The folder of initdb and pg_ctl, or None when PostgreSQL is not installed."""
    candidates = []
    if shutil.which("pg_config"):
        found = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True)
        candidates.append(found.stdout.strip())
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    candidates += [str(Path(p).parent) for p in filter(None, [shutil.which("initdb")])]
    return next((Path(c) for c in candidates if c and (Path(c) / "initdb").exists()
                 and (Path(c) / "pg_ctl").exists()), None)


def missing_reason() -> str | None:
    """Why a cluster cannot be made here, or None when it can."""
    if bin_dir() is None:
        return "PostgreSQL is not installed (apt-get install postgresql; ./dev.sh test does)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(SUPERUSER)
        except KeyError:
            return "running as root without a postgres account for initdb"
    return None


def _as_owner(command: list[str]) -> list[str]:
    return ["runuser", "-u", SUPERUSER, "--", *command] if os.geteuid() == 0 else command


@dataclass
class PostgresCluster:
    folder: Path
    port: int

    @classmethod
    def start(cls) -> PostgresCluster:
        folder = Path(tempfile.mkdtemp(prefix="agora-pg-", dir="/tmp"))
        if os.geteuid() == 0:
            shutil.chown(folder, SUPERUSER)
        cluster = cls(folder, free_port())
        tools = bin_dir()
        cluster._run([str(tools / "initdb"), "--auth=trust", f"--username={SUPERUSER}",
                      "--no-sync", "--encoding=UTF8", "-D", str(folder / "data")])
        options = (f"-p {cluster.port} -k {folder} -c listen_addresses=127.0.0.1 "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off")
        cluster._run([str(tools / "pg_ctl"), "start", "-w", "-t", "30", "-D",
                      str(folder / "data"), "-l", str(folder / "server.log"), "-o", options])
        return cluster

    def _run(self, command: list[str]) -> None:
        done = subprocess.run(_as_owner(command), capture_output=True, text=True)
        if done.returncode != 0:
            log = self.folder / "server.log"
            raise RuntimeError(f"{command[0]} failed: {done.stderr}{done.stdout}"
                               + (log.read_text() if log.exists() else ""))

    def stop(self) -> None:
        subprocess.run(_as_owner([str(bin_dir() / "pg_ctl"), "stop", "-m", "immediate", "-w",
                                  "-D", str(self.folder / "data")]), capture_output=True)
        shutil.rmtree(self.folder, ignore_errors=True)

    def url(self, database: str = "postgres", driver: str = "postgresql") -> str:
        return f"{driver}://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A fresh, empty database's name."""
        import psycopg

        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url(), autocommit=True) as db:
            db.execute(f"CREATE DATABASE {name}")
        return name
