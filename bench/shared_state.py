"""Benchmark: what sharing state between replicas costs a request, against the files.

    /opt/agora/venv/bin/python bench/shared_state.py [--dashboards 20] [--runs 200]

Each side's median over `--runs` interleaved rounds, in this process:

1. a dashboard page's store work (``find_visible`` + ``notebook_path``, the cache warm) on a
   throwaway PostgreSQL (tests/postgres.py, loopback) against the files;
2. a portal listing (``visible_to`` over `--dashboards` publications), same two;
3. reading a 300 KB archived PDF from a loopback S3 server (moto) against the local archive.

Information only: no target (docs/performance.md records the figures).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from hub.pipeline.store_fs import S3Files  # noqa: E402
from hub.services.dashboards.publications import PublicationStore  # noqa: E402
from tests.postgres import PostgresCluster  # noqa: E402
from tests.s3_support import KEYS, new_bucket, s3_server  # noqa: E402


def notebook(folder: Path) -> Path:
    cells = [{"cell_type": "code", "id": f"c{i}", "metadata": {}, "source": f"x = {i}",
              "execution_count": None, "outputs": []} for i in range(30)]
    path = folder / "board.ipynb"
    path.write_text(json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {},
                                "cells": cells}))
    return path


def filled(store: PublicationStore, path: Path, count: int) -> PublicationStore:
    for i in range(count):
        store.publish(path, ["officials"], "analyst", name=f"board-{i}")
    return store


def once_ms(work) -> float:
    start = time.perf_counter()
    work()
    return (time.perf_counter() - start) * 1000


def compare(label: str, anchor, other, runs: int) -> None:
    a, b = [], []
    for _ in range(runs):  # interleaved: one of each per round
        a.append(once_ms(anchor))
        b.append(once_ms(other))
    ma, mb = statistics.median(a), statistics.median(b)
    print(f"{label:<44} files/local {ma:7.2f} ms   shared {mb:7.2f} ms   ratio {mb / ma:5.2f}x")


def page(store: PublicationStore):
    def work():
        store.notebook_path(store.find_visible("board-0", "elu", ["officials"]))
    return work


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dashboards", type=int, default=20)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    cluster = PostgresCluster.start()
    try:
        with tempfile.TemporaryDirectory() as tmp, s3_server() as endpoint:
            tmp = Path(tmp)
            path = notebook(tmp)
            files = filled(PublicationStore.in_data_dir(tmp / "files"), path, args.dashboards)
            url = cluster.url(cluster.new_database())
            shared = filled(PublicationStore.in_data_dir(tmp / "pg", url), path, args.dashboards)
            page(shared)()  # the cache warm, as after a first view
            compare("dashboard page: find_visible + notebook", page(files), page(shared),
                    args.runs)
            compare(f"portal listing of {args.dashboards} dashboards",
                    lambda: files.visible_to("elu", ["officials"]),
                    lambda: shared.visible_to("elu", ["officials"]), args.runs)
            pdf = tmp / "report.pdf"
            pdf.write_bytes(bytes(range(256)) * 1200)
            bucket = S3Files(f"s3://{new_bucket(endpoint)}/reports/archive", tmp, endpoint,
                             "us-east-1", **KEYS)
            bucket.upload(pdf, "digest/2026-W48/elu.pdf")
            compare("archived PDF read (300 KB)", pdf.read_bytes,
                    lambda: bucket.read_bytes("digest/2026-W48/elu.pdf"), args.runs)
    finally:
        cluster.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
