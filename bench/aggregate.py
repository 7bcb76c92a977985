"""Benchmark: aggregates through the datasets service against DuckDB's GROUP BY, same run.

    /opt/agora/venv/bin/python bench/aggregate.py [--rows 1000000] [--runs 30] [--json out.json]

The workspace is bench/datasets_api.py's (``bench_rows``: ``--rows`` rows, 100 communes,
officials see their territories' rows only), with ``min_group_size: 5`` added to its access
section, refreshed by the real pipeline and served by the real application in its own process
(bench/datasets_serve.py: registry, policy, DuckDB engine, audit log; only the hub's token
check is replaced). The anchor is DuckDB in this process, plain SQL on the snapshot file with
the row rule written as a WHERE, results fetched to Python. Runs are interleaved (the order
flips each run) and each side's median is compared:

1. ``GET aggregate`` as ``elu-rivemont`` (row rule: commune 99101, suppression applies):
   ``by=category``, ``bucket=reported_at:month``, count, sum, mean and p90 of ``amount``,
   against the same GROUP BY: target <= 1.5x time.
2. (info) the same without bucket and quantile (``by=category``, count and sum).
3. (info) as ``analyst`` (no rule: raw access) over every row, ``by=commune_code``.

Exit status 1 if the target is missed.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import statistics
import sys
import tempfile
from contextlib import ExitStack
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import requests

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench import datasets_api  # noqa: E402
from bench.datasets_api import (  # noqa: E402
    ANALYST,
    BIG,
    OFFICIAL,
    Results,
    get,
    interleaved,
    start_agora,
)

TARGET = 1.5
MEASURES = ["count", "sum:amount", "mean:amount", "p90:amount"]
CASES = [  # name, user, params, DuckDB SQL (FROM the file), target or None (info)
    ("official, by category x month, 4 measures", OFFICIAL,
     {"by": "category", "bucket": "reported_at:month", "measure": MEASURES},
     ("SELECT category, CAST(date_trunc('month', timezone('UTC', reported_at)) AS DATE) AS m, "
      "count(*), sum(amount), avg(amount), quantile_cont(amount, 0.9) FROM {file} "
      "WHERE commune_code IN ('99101') GROUP BY 1, 2 ORDER BY 1, 2"), TARGET),
    ("official, by category, count + sum", OFFICIAL,
     {"by": "category", "measure": ["count", "sum:amount"]},
     ("SELECT category, count(*), sum(amount) FROM {file} WHERE commune_code IN ('99101') "
      "GROUP BY 1 ORDER BY 1"), None),
    ("analyst (raw access), every row, by commune_code, count + sum", ANALYST,
     {"by": "commune_code", "measure": ["count", "sum:amount"]},
     "SELECT commune_code, count(*), sum(amount) FROM {file} GROUP BY 1 ORDER BY 1", None),
]


def check_same(body: dict, expected: list[tuple], measures: list[str]) -> None:
    """Same groups, counts and sums as DuckDB (none withheld: every group here is large)."""
    first = len(expected[0]) - len(measures)  # DuckDB's measures come after the keys
    withheld = body["suppressed_groups"]
    assert withheld == 0, f"{withheld} groups withheld: too few rows per group, use more --rows"
    assert len(body["records"]) == len(expected) > 0, (len(body["records"]), len(expected))
    for record, row in zip(body["records"], expected):
        assert record["count"] == row[first], (record, row)
        assert math.isclose(record["sum_amount"], row[first + 1], rel_tol=1e-9), (record, row)


def bench_case(url: str, snapshot: Path, case, results: Results, runs: int) -> None:
    name, user, params, sql, target = case
    session, con = requests.Session(), duckdb.connect()
    query = sql.format(file=f"read_parquet('{snapshot}')")
    aggregate = url + f"api/datasets/{BIG}/aggregate"
    body = get(session, aggregate, user, params).json()
    expected = con.sql(query).fetchall()
    check_same(body, expected, params["measure"])
    agora, anchor = interleaved(lambda: get(session, aggregate, user, params).json(),
                                lambda: con.sql(query).fetchall(), runs)
    label = f"aggregate {name} ({len(expected)} groups) vs DuckDB GROUP BY"
    if target is None:
        results.info(label, statistics.median(agora), statistics.median(anchor),
                     "duckdb SQL", statistics.median(agora) / statistics.median(anchor))
    else:
        results.slowdown(label, statistics.median(agora), statistics.median(anchor),
                         "duckdb SQL", target)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=30, help="timed runs per measurement")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    meta = {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "cores": os.cpu_count(), "load_average_start": os.getloadavg(),
            "rows": args.rows, "runs": args.runs, "versions": datasets_api.versions()}
    datasets_api.HEADER += "  min_group_size: 5\n"
    results = Results()
    root = Path(tempfile.mkdtemp(prefix="bench-aggregate-"))
    with ExitStack() as stack:
        stack.callback(shutil.rmtree, root, True)
        ws = datasets_api.build_workspace(root, args.rows, 1)
        print(f"workspace {root}: {args.rows} rows, refreshed in {ws['refresh_seconds']:.1f} s",
              flush=True)
        url = start_agora(ws, stack)
        for case in CASES:
            bench_case(url, ws["snapshot"], case, results, args.runs)
    return datasets_api.finish(results, meta, args.json)


if __name__ == "__main__":
    sys.exit(main())
