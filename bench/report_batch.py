"""100 per-recipient PDFs: the local executor against a two-worker Dask LocalCluster.

ONE real `agora up` on the demo data, the template report_templates/territory-digest.ipynb,
period 2025-W48, recipients alternating the two demo officials, tokens minted before timing
(as bench/reports.py, whose parts this reuses). The same reports run twice in the same run:

- local: hub/reports/executor.Executor, a worker process per report on this machine, two at
  a time (the scheduler's default cap: one per core);
- dask: hub/reports/dask_executor.DaskExecutor (what `batch.dask_scheduler` selects) on a
  `LocalCluster(n_workers=2, threads_per_worker=1, processes=True)` started before timing,
  two at a time (the cluster's threads): the same worker process, run by a Dask worker,
  the PDF's bytes sent back and archived here.

A warm-up of two local reports comes first (the first kernel start of a run pays cold
caches). Prints each side's wall time, seconds per report, and the ratio dask/local.
Usage: PYTHONPATH=. python bench/report_batch.py [--reports 100] [--dask-first]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.reports import (  # noqa: E402
    OFFICIALS,
    REPO,
    TEMPLATE,
    PremintedTokens,
    data_token,
    recipients,
    run_agora,
    run_batch,
)
from hub.reports.dask_executor import DaskExecutor  # noqa: E402
from hub.reports.executor import Archive  # noqa: E402
from tests.support import running_agora  # noqa: E402

WORKERS = 2


def run_dask(address: str, users: list[str], tokens: dict, datasets_url: str,
             folder: Path) -> None:
    executor = DaskExecutor(Archive(folder), TEMPLATE.parent, PremintedTokens(tokens),
                            datasets_url, scheduler_address=address)
    try:
        run_batch(executor, users, WORKERS)
    finally:
        executor.close()


def timed(name: str, side, users: list[str]) -> float:
    with tempfile.TemporaryDirectory(prefix="bench-report-batch-") as folder:
        started = time.monotonic()
        side(Path(folder))
        wall = time.monotonic() - started
        pdfs = list(Path(folder).rglob("*.pdf"))
        assert len(pdfs) == len(users), f"{name}: {len(pdfs)} PDFs for {len(users)}"
    print(f"{name}: {wall:7.1f} s wall, {wall / len(users):5.2f} s per report, load average "
          f"{os.getloadavg()[1]:.1f} over the last 5 min", flush=True)
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=100)
    parser.add_argument("--dask-first", action="store_true",
                        help="time the Dask side first (a second run shows the order's effect)")
    args = parser.parse_args()
    users = recipients(args.reports)
    os.environ["PYTHONPATH"] = str(REPO)  # the Dask workers' report processes import hub
    from distributed import LocalCluster

    with tempfile.TemporaryDirectory(prefix="bench-report-batch-") as root, \
            running_agora(Path(root) / "agora") as agora:
        tokens = {user: data_token(agora.url, user) for user in OFFICIALS}
        datasets_url = f"{agora.url}services/datasets/"
        started = time.monotonic()
        with LocalCluster(n_workers=WORKERS, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster:
            print(f"cluster of {WORKERS} worker processes up in "
                  f"{time.monotonic() - started:.1f} s", flush=True)
            timed("warm-up (2 local reports, not compared)",
                  lambda folder: run_agora(users[:2], tokens, datasets_url, folder), users[:2])
            sides = {"local": lambda folder: run_agora(users, tokens, datasets_url, folder),
                     "dask": lambda folder: run_dask(cluster.scheduler_address, users, tokens,
                                                     datasets_url, folder)}
            order = ["dask", "local"] if args.dask_first else ["local", "dask"]
            walls = {name: timed(name, sides[name], users) for name in order}
    local, dask = walls["local"], walls["dask"]
    print(f"\n{args.reports} PDFs, {WORKERS} at a time, {os.cpu_count()} cores:")
    print(f"  local executor  {local:7.1f} s")
    print(f"  dask executor   {dask:7.1f} s")
    print(f"  ratio dask/local: {dask / local:.2f}x")


if __name__ == "__main__":
    main()
