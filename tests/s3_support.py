"""A loopback S3 server for the object-store tests: moto's server on a free port.

:func:`s3_server` starts one per test module (about 20 ms); :func:`s3_files` opens a fresh
bucket on it, so tests never see each other's objects.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyarrow.fs as pafs

from hub.pipeline.store_fs import S3Files

KEYS = {"access_key": "agora-test", "secret_key": "agora-test-secret"}
_BUCKETS = itertools.count(1)


@contextmanager
def s3_server() -> Iterator[str]:
    """The endpoint URL of a moto S3 server on 127.0.0.1, stopped on exit."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def new_bucket(endpoint: str) -> str:
    name = f"agora-test-{next(_BUCKETS)}"
    admin = pafs.S3FileSystem(endpoint_override=endpoint.removeprefix("http://"),
                              scheme="http", region="us-east-1", allow_bucket_creation=True,
                              **KEYS)
    admin.create_dir(name)
    return name


def s3_files(endpoint: str, work_root: Path, prefix: str = "snapshots") -> S3Files:
    """A store on a new, empty bucket of the server at `endpoint`."""
    url = f"s3://{new_bucket(endpoint)}/{prefix}"
    return S3Files(url, work_root, endpoint, "us-east-1", **KEYS)
