"""One replica of the real datasets app, as its own process, over a shared workspace.

``python -m tests.replica_app <workspace root> <port>`` builds make_app exactly as the
in-process tests do (registry, DuckDB engine, policy, audit on the shared data folder), with
the hub's user lookup replaced by a token -> demo user table (base.py's seam), and prints
``ready`` once it listens on 127.0.0.1:<port>. Quotas are off: the load run measures
correctness, not fair use.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path

from hub.login import demo_accounts as demo
from hub.pipeline.store import SnapshotStore
from hub.services.datasets import audit
from hub.services.datasets.http.app import make_app
from hub.services.datasets.http.identity import Identity, StaticGroups
from hub.services.datasets.quotas import Limits, Quotas
from hub.services.datasets.read.engine import Engine
from hub.services.datasets.read.registry import DatasetRegistry

PREFIX = "/services/datasets/"
CHECK_EVERY = 0.5  # seconds between the registry's generation checks
KEY = "test-pseudonym-key-0123456789abcdef"  # tests.datasets_support.KEY
TOKENS = {f"token-of-{a.name}": {"kind": "user", "name": a.name, "admin": a.admin,
                                 "groups": list(a.groups)} for a in demo.ACCOUNTS}


async def user_from_token(handler):
    return TOKENS.get(handler.request.headers.get("Authorization", "").removeprefix("token "))


def replica(root: Path):
    groups = StaticGroups({n: g["properties"] for n, g in demo.load_groups().items()})
    registry = DatasetRegistry(root / "catalog", SnapshotStore(root / "store"), has_key=True,
                               check_every=CHECK_EVERY)
    return make_app(prefix=PREFIX, registry=registry, engine=Engine(KEY.encode()),
                    identity=Identity(groups), audit_dir=audit.audit_dir(root / "data"),
                    user_model=user_from_token, quotas=Quotas(Limits(0, 0, 0)))


async def serve(root: Path, port: int) -> None:
    logging.getLogger("agora.datasets.access").setLevel(logging.ERROR)  # 404s are expected
    app = replica(root)
    app.settings["registry"].prime()
    app.listen(port, "127.0.0.1")
    print("ready", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(serve(Path(sys.argv[1]), int(sys.argv[2])))
