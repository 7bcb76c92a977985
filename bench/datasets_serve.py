"""Helper of bench/datasets_api.py: the datasets service's real tornado app in its own process.

Everything is the production code path (hub/services/datasets/http/app.py ``make_app``: registry
with fail-closed catalog reloads, policy ``decide``, DuckDB engine and its thread pools,
streaming export writers, audit log) except ONE seam, the ``user_model`` application setting
that tests/unit/test_datasets_service.py also replaces: instead of asking the hub to check the
token (HubOAuth), the token ``bench-<user>`` names a demo account (hub/login/demo_accounts.py). Group
properties (territories) are the demo groups', as the hub would return them.

    python bench/datasets_serve.py --catalog DIR --store DIR --data DIR --port N
        [--s3-endpoint http://127.0.0.1:PORT]   # --store is then s3://bucket/prefix (moto's
                                                # test keys, tests/s3_support.py)

Prints ``READY <url>`` on stdout once listening; stops on SIGTERM/SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from hub.login import demo_accounts as demo  # noqa: E402
from hub.pipeline.store import SnapshotStore  # noqa: E402
from hub.pipeline.store_fs import S3Files  # noqa: E402
from hub.services.datasets import audit  # noqa: E402
from hub.services.datasets.http.app import make_app  # noqa: E402
from hub.services.datasets.http.identity import Identity, StaticGroups  # noqa: E402
from hub.services.datasets.read.engine import Engine  # noqa: E402
from hub.services.datasets.read.registry import DatasetRegistry  # noqa: E402

PREFIX = "/services/datasets/"
USERS = {a.name: {"kind": "user", "name": a.name, "admin": a.admin, "groups": list(a.groups)}
         for a in demo.ACCOUNTS}


async def bench_user_model(handler):
    """The seam: 'Authorization: token bench-<user>' -> that demo user's hub model."""
    header = handler.request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "token" or not token.startswith("bench-"):
        return None
    return USERS.get(token.removeprefix("bench-"))


def store(args) -> SnapshotStore:
    """The local store, or the bucket at --s3-endpoint (its staging folder beside --data)."""
    if not args.s3_endpoint:
        return SnapshotStore(Path(args.store))
    from tests.s3_support import KEYS

    work = Path(args.data) / "s3-work"
    return SnapshotStore(S3Files(args.store, work, args.s3_endpoint, "us-east-1", **KEYS))


async def serve(args) -> None:
    key = os.environ.get("AGORA_PSEUDONYM_KEY", "bench-pseudonym-key-0123456789abcdef")
    groups = StaticGroups({name: g["properties"] for name, g in demo.load_groups().items()})
    # check_every: the production default (2 s) of DatasetRegistry
    registry = DatasetRegistry(Path(args.catalog), store(args), has_key=bool(key))
    app = make_app(prefix=PREFIX, registry=registry, engine=Engine(key.encode()),
                   identity=Identity(groups), audit_dir=audit.audit_dir(Path(args.data)),
                   user_model=bench_user_model)
    registry.prime()  # as the service does before it listens (__main__.py)
    server = app.listen(args.port, "127.0.0.1", xheaders=True)
    print(f"READY http://127.0.0.1:{args.port}{PREFIX}", flush=True)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    await stopping.wait()
    server.stop()
    app.settings["engine"].shutdown()


def main() -> int:
    parser = argparse.ArgumentParser()
    for name in ("--catalog", "--store", "--data"):
        parser.add_argument(name, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--s3-endpoint", default="", help="--store is an s3:// URL there")
    parser.add_argument("--log-level", default="WARNING")
    args = parser.parse_args()
    logging.basicConfig(level=args.log_level,
                        format="[%(levelname)1.1s %(asctime)s %(name)s] %(message)s")
    asyncio.run(serve(args))
    sys.stdout.flush()
    os._exit(0)  # like hub/services/datasets/__main__.py: never join abandoned queries


if __name__ == "__main__":
    sys.exit(main())
