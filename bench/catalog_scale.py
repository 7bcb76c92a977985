"""Opening a user's catalog when the policy holds 10,000 datasets, against 1,000 in the same run.

For each size, a workspace of bench/datasets_api.py (``bench_rows`` plus small datasets, the
same access rules: analysts and officials, officials see their territories' rows) is served by
the real app (bench/datasets_serve.py). Two snapshots are made by the real pipeline; the other
small datasets' store folders are copies of the first small one (data.parquet hard-linked, the
manifest's ``dataset`` rewritten): what the registry reads is what a refresh writes, without
running 10,000 refreshes. Measured: the first catalog of a caller after the start (cold: the
snapshots checked, the caller's view built and rendered), then warm catalog.json / .yaml and
``widgets.catalog()`` (fetch + JSON + Intake, client side).

    python bench/catalog_scale.py [--sizes 1000,10000] [--runs 10]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.datasets_api import (  # noqa: E402
    ANALYST,
    HEADER,
    OFFICIAL,
    Results,
    bench_widgets_catalog,
    build_workspace,
    fmt_s,
    get,
    start_agora,
    timed,
)


def clone_small_datasets(ws: dict, datasets: int) -> None:
    """Recipes ds_0002.. and store folders copied from ds_0001 (its data file hard-linked)."""
    store, model = ws["store"], ws["store"] / "ds_0001"
    for i in range(2, datasets):
        name = f"ds_{i:04d}"
        (ws["catalog"] / f"{name}.yaml").write_text(
            HEADER.format(title=f"Small dataset {i}", rows=20, source="small.parquet"))
        shutil.copytree(model, store / name, copy_function=os.link,
                        ignore=shutil.ignore_patterns(".staging", ".lock"))
        for manifest in (store / name / "versions").glob("*/manifest.json"):
            content = json.loads(manifest.read_text())
            manifest.unlink()  # a hard link of ds_0001's: write a file of its own
            manifest.write_text(json.dumps({**content, "dataset": name}))


def measure(root: Path, datasets: int, runs: int, results: Results) -> None:
    started = time.perf_counter()
    ws = build_workspace(root, rows=1000, datasets=2)
    clone_small_datasets(ws, datasets)
    print(f"workspace of {datasets} datasets in {time.perf_counter() - started:.1f} s",
          flush=True)
    with ExitStack() as stack:
        started = time.perf_counter()
        url = start_agora(ws, stack)
        results.info(f"{datasets} datasets: service start to listening (loads the recipes)",
                     time.perf_counter() - started)
        session = requests.Session()
        for user, form in ((OFFICIAL, "json"), (ANALYST, "yaml"), (ANALYST, "json")):
            started = time.perf_counter()
            body = get(session, url + f"api/catalog.{form}", user).content
            results.absolute(f"{datasets} datasets: first GET api/catalog.{form} of {user} "
                             "(cold)", time.perf_counter() - started, 0.2, f"{len(body) // 1000} kB")
        entries = get(session, url + "api/catalog.json", OFFICIAL).json()["entries"]
        assert len(entries) == datasets, (len(entries), datasets)
        for form in ("json", "yaml"):
            times = timed(lambda: get(session, url + f"api/catalog.{form}", ANALYST), runs)
            results.absolute(f"{datasets} datasets: GET api/catalog.{form} (analyst, warm, "
                             "median)", statistics.median(times), 0.2, f"max {fmt_s(max(times))}")
        bench_widgets_catalog(url, results, runs, datasets)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    results = Results()
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()}", flush=True)
    for datasets in (int(n) for n in args.sizes.split(",")):
        with tempfile.TemporaryDirectory(prefix="bench-catalog-") as tmp:
            measure(Path(tmp), datasets, args.runs, results)
    print()
    print(results.table())
    print(f"\nload average at the end {os.getloadavg()}")
    return 1 if any(r["pass"] is False for r in results.rows) else 0


if __name__ == "__main__":
    sys.exit(main())
