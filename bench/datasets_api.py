"""Benchmark: the datasets API against anchors measured in the same run.

    /opt/agora/venv/bin/python bench/datasets_api.py [--rows 1000000] [--json results.json]

What runs (all on 127.0.0.1, bounded in count and time):

- **agora**: the datasets service's real tornado application (``make_app``) in its own process
  (bench/datasets_serve.py), with the real registry, policy, DuckDB engine, streaming export
  writers and audit log. Only the hub's token check is replaced, at the same ``user_model``
  seam the unit tests use: ``Authorization: token bench-<user>`` names a demo account, whose
  groups and group properties (territories) are the demo's. Snapshots are made by the real
  pipeline (hub.pipeline.refresh) from generated Parquet sources.
- **anchors**: pyarrow (``pq.read_table`` of the snapshot file) and DuckDB (plain SQL on the
  snapshot file) in this process; Datasette (a separate venv, never an Agora dependency) serving
  the same rows loaded into SQLite.

Workspace: ``bench_rows`` (``--rows`` rows: id, commune_code (100 codes), category, amount,
quantity, reported_at, label; readable by analysts and officials, officials only see their
territories' rows) plus ``--datasets - 1`` small datasets (20 rows each, same access rules),
so the policy holds ``--datasets`` (1,000) datasets.

Measurements (ratio and target per line; exit status 1 if a target is missed):

1. export.parquet, full download, as ``analyst`` (no row rule): speed vs ``pq.read_table``
   (>= 0.5x) and vs Datasette's streamed CSV of the same table (>= 10x).
2. records as ``elu-rivemont`` (row rule: commune 99101) with caller filters and limit 100,
   and a filtered export.parquet under the same row rule: time vs the same filter in plain
   DuckDB SQL on the file (<= 2x).
3. the catalog of a user when the policy holds 1,000 datasets: api/catalog.json (what the
   client reads), api/catalog.yaml, api/datasets, and ``widgets.catalog()`` (client side:
   fetch + JSON + Intake): < 200 ms.
4. ``--users`` (100) concurrent simulated users, each ``--rounds`` times: the catalog
   (``--catalog-format``, json by default, as ``widgets.catalog()`` fetches it) then a records
   query (``--load-mix``), back to back by default (``--think`` adds a random pause of mean
   THINK seconds after each request): p95 < 500 ms and no error.
5. the queries of 1 and 2 (and an aggregate) by a second service over the same snapshot
   refreshed into a bucket of a loopback S3 server (moto, tests/s3_support.py), beside the
   local store: the S3/local time ratio (no target).

The simulated users of 4 run on aiohttp (installed with JupyterHub, which requires it): its C
HTTP parser keeps the load generator's own CPU, on the same cores as the service, small.

Needs Datasette in a separate venv (default /tmp/bench-datasette-venv; created with
``python3.11 -m venv`` and ``pip install datasette`` when missing).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import requests
import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from hub.pipeline.recipe import load_catalog  # noqa: E402
from hub.pipeline.refresh import RefreshEnv, refresh_many  # noqa: E402
from hub.pipeline.store import SnapshotStore  # noqa: E402
from tests.support import free_port  # noqa: E402

DATASETTE_VENV = Path("/tmp/bench-datasette-venv")
BIG = "bench_rows"
COMMUNES = [f"99{100 + i}" for i in range(100)]  # 99101, 99102: the demo officials'
CATEGORIES = ["water", "roads", "waste", "lighting", "parks", "schools", "transport", "other"]
OFFICIAL, ANALYST = "elu-rivemont", "analyst"  # territories [99101] / no row rule
FILTERS = {"where": ["amount:gt:500", "category:eq:water"]}
DUCKDB_FILTER = "commune_code IN ('99101') AND amount > 500 AND category = 'water'"

HEADER = """title: {title}
description: Benchmark data ({rows} rows), generated.
theme: GOVE
keywords: [bench, test]
publisher: Bench
licence: etalab-2.0
contact: {{name: Bench, email: bench@example.org}}
update_frequency: daily
source: {{connector: parquet, path: {source}}}
access:
  groups: [analysts, officials]
  rows:
    - {{column: commune_code, in_attribute: territories, applies_to_groups: [officials]}}
"""


# --- data -----------------------------------------------------------------------------------

def make_table(rows: int, seed: int = 42) -> pa.Table:
    rng = np.random.default_rng(seed)
    start = np.datetime64("2024-01-01T00:00:00", "us")
    return pa.table({
        "id": pa.array(np.arange(rows, dtype=np.int64)),
        "commune_code": pa.array(COMMUNES).take(pa.array(rng.integers(0, 100, rows))),
        "category": pa.array(CATEGORIES).take(pa.array(rng.integers(0, len(CATEGORIES), rows))),
        "amount": pa.array(rng.uniform(0, 1000, rows).round(2)),
        "quantity": pa.array(rng.integers(0, 500, rows)),
        "reported_at": pa.array(start + rng.integers(0, 3 * 365 * 86400, rows)
                                .astype("timedelta64[s]"), pa.timestamp("us", tz="UTC")),
        "label": pa.array([f"item {i}" for i in range(rows)]),
    })


def build_workspace(root: Path, rows: int, datasets: int) -> dict:
    catalog, sources, store, data = (root / n for n in ("catalog", "sources", "store", "data"))
    for folder in (catalog, sources, data):
        folder.mkdir(parents=True, exist_ok=True)
    table = make_table(rows)
    pq.write_table(table, sources / "rows.parquet")
    pq.write_table(make_table(20, seed=7), sources / "small.parquet")
    (catalog / f"{BIG}.yaml").write_text(HEADER.format(title="Bench rows", rows=rows,
                                                       source="rows.parquet"))
    for i in range(1, datasets):
        (catalog / f"ds_{i:04d}.yaml").write_text(
            HEADER.format(title=f"Small dataset {i}", rows=20, source="small.parquet"))
    started = time.perf_counter()
    results = refresh_many(load_catalog(catalog), RefreshEnv(SnapshotStore(store), sources, {}))
    failed = [(r.dataset, r.error) for r in results if r.failed]
    if failed:
        raise SystemExit(f"refresh failed: {failed[:3]}")
    return {"catalog": catalog, "store": store, "data": data, "table": table,
            "snapshot": SnapshotStore(store).current_path(BIG),
            "refresh_seconds": time.perf_counter() - started}


def build_sqlite(path: Path, table: pa.Table) -> None:
    """The same rows and columns in SQLite (timestamps as ISO 8601 text, as Datasette shows)."""
    con = sqlite3.connect(path)
    con.execute(f"CREATE TABLE {BIG} (id INTEGER PRIMARY KEY, commune_code TEXT, category TEXT, "
                "amount REAL, quantity INTEGER, reported_at TEXT, label TEXT)")
    columns = [table.column(n).to_pylist() for n in ("id", "commune_code", "category",
                                                     "amount", "quantity")]
    stamps = [t.isoformat() for t in table.column("reported_at").to_pylist()]
    con.executemany(f"INSERT INTO {BIG} VALUES (?, ?, ?, ?, ?, ?, ?)",
                    zip(*columns, stamps, table.column("label").to_pylist()))
    con.commit()
    con.close()


# --- processes ------------------------------------------------------------------------------

def wait_http(url: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{proc.args[0]} exited with {proc.returncode}")
        try:
            requests.get(url, timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not answer within {timeout} s")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def start_agora(ws: dict, stack: ExitStack) -> str:
    port = free_port()
    s3 = ["--s3-endpoint", ws["s3_endpoint"]] if ws.get("s3_endpoint") else []
    proc = subprocess.Popen(
        [sys.executable, str(REPO / "bench" / "datasets_serve.py"), "--catalog",
         str(ws["catalog"]), "--store", str(ws["store"]), "--data", str(ws["data"]),
         "--port", str(port), *s3], stdout=subprocess.PIPE, text=True, cwd=REPO)
    stack.callback(stop, proc)
    line = proc.stdout.readline().strip()
    if not line.startswith("READY "):
        raise SystemExit(f"the datasets service did not start: {line!r}")
    return line.split(" ", 1)[1]


def ensure_datasette(venv: Path) -> Path:
    exe = venv / "bin" / "datasette"
    if not exe.exists():
        print(f"installing datasette into {venv} (separate venv, not an Agora dependency)",
              flush=True)
        subprocess.run(["python3.11", "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "datasette"], check=True)
    return exe


def start_datasette(exe: Path, db: Path, stack: ExitStack) -> str:
    port = free_port()
    proc = subprocess.Popen([str(exe), "serve", str(db), "--host", "127.0.0.1", "--port",
                             str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    stack.callback(stop, proc)
    base = f"http://127.0.0.1:{port}/"
    wait_http(base + "-/versions.json", proc)
    return base


# --- timing helpers -------------------------------------------------------------------------

def timed(function, runs: int, warmup: int = 1) -> list[float]:
    for _ in range(warmup):
        function()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return times


def interleaved(agora, anchor, runs: int, warmup: int = 3) -> tuple[list[float], list[float]]:
    """Times of `runs` calls of each function, alternating (the order flips each run), after
    `warmup` untimed calls of each."""
    for _ in range(warmup):
        agora()
        anchor()
    times: tuple[list[float], list[float]] = ([], [])
    for i in range(runs):
        pair = [(times[0], agora), (times[1], anchor)]
        for bucket, function in (pair if i % 2 == 0 else pair[::-1]):
            started = time.perf_counter()
            function()
            bucket.append(time.perf_counter() - started)
    return times


def download(session: requests.Session, url: str, user: str, params=None) -> int:
    """GET url fully (streamed, discarded); the body's size in bytes."""
    size = 0
    headers = {"Authorization": f"token bench-{user}"} if user else {}
    with session.get(url, params=params, headers=headers, stream=True, timeout=600) as response:
        response.raise_for_status()
        for chunk in response.iter_content(1 << 20):
            size += len(chunk)
    return size


def get(session: requests.Session, url: str, user: str, params=None) -> requests.Response:
    response = session.get(url, params=params, headers={"Authorization": f"token bench-{user}"},
                           timeout=120)
    response.raise_for_status()
    return response


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


class Results:
    def __init__(self):
        self.rows: list[dict] = []

    def speed(self, name, agora_s, anchor_s, anchor_name, target):
        """A 'speed' target: anchor_time / agora_time >= target."""
        ratio = anchor_s / agora_s
        self._add(name, agora_s, anchor_s, anchor_name, ratio, f">= {target}x speed",
                  ratio >= target)

    def slowdown(self, name, agora_s, anchor_s, anchor_name, target):
        """A 'time' target: agora_time / anchor_time <= target."""
        ratio = agora_s / anchor_s
        self._add(name, agora_s, anchor_s, anchor_name, ratio, f"<= {target}x time",
                  ratio <= target)

    def absolute(self, name, agora_s, limit_s, note=""):
        self._add(name, agora_s, None, note, None, f"< {limit_s * 1000:.0f} ms",
                  agora_s < limit_s)

    def info(self, name, agora_s, anchor_s=None, anchor_name="", ratio=None):
        self._add(name, agora_s, anchor_s, anchor_name, ratio, "(info)", None)

    def _add(self, name, agora_s, anchor_s, anchor_name, ratio, target, ok):
        self.rows.append({"measurement": name, "agora_s": agora_s, "anchor_s": anchor_s,
                          "anchor": anchor_name, "ratio": ratio, "target": target, "pass": ok})
        print(f"  {name}: {fmt_s(agora_s)}" + (f" vs {fmt_s(anchor_s)}" if anchor_s else "")
              + (f" ratio {ratio:.2f}" if ratio is not None else "")
              + ("" if ok is None else (" PASS" if ok else " FAIL")), flush=True)

    def table(self) -> str:
        lines = ["| measurement | agora | anchor | ratio | target | result |",
                 "|---|---|---|---|---|---|"]
        for r in self.rows:
            anchor = (f"{fmt_s(r['anchor_s'])} ({r['anchor']})" if r["anchor_s"] is not None
                      else r["anchor"] or "-")
            ratio = f"{r['ratio']:.2f}" if r["ratio"] is not None else "-"
            result = "-" if r["pass"] is None else ("pass" if r["pass"] else "FAIL")
            lines.append(f"| {r['measurement']} | {fmt_s(r['agora_s'])} | {anchor} | {ratio} "
                         f"| {r['target']} | {result} |")
        return "\n".join(lines)


def fmt_s(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


# --- the measurements -----------------------------------------------------------------------

def bench_catalog(url: str, results: Results, runs: int, datasets: int) -> None:
    print(f"3. catalog of {datasets} datasets", flush=True)
    session = requests.Session()
    started = time.perf_counter()
    text = get(session, url + "api/catalog.yaml", ANALYST).text  # the service's first request
    results.info("catalog.yaml, first request after start (view built, YAML rendered)",
                 time.perf_counter() - started)
    entries = len((yaml.load(text, Loader=yaml.CSafeLoader) or {}).get("entries", {}))
    assert entries == datasets, f"catalog has {entries} entries, expected {datasets}"
    body = get(session, url + "api/catalog.json", ANALYST)
    assert body.json() == yaml.load(text, Loader=yaml.CSafeLoader), "json and yaml differ"
    print(f"  catalog: {len(body.content) / 1e3:.0f} kB JSON, {len(text.encode()) / 1e3:.0f} kB "
          "YAML", flush=True)
    for form in ("json", "yaml"):
        times = timed(lambda: get(session, url + f"api/catalog.{form}", ANALYST), runs)
        results.absolute(f"GET api/catalog.{form}, {datasets} datasets (analyst, median)",
                         statistics.median(times), 0.2, f"max {fmt_s(max(times))}")
    times = timed(lambda: get(session, url + "api/datasets", ANALYST), runs)
    results.absolute(f"GET api/datasets, {datasets} datasets (analyst, median)",
                     statistics.median(times), 0.2, f"max {fmt_s(max(times))}")
    started = time.perf_counter()
    listing = get(session, url + "api/datasets", OFFICIAL).json()
    results.info(f"GET api/datasets as official, first (counts {datasets} row-rule datasets)",
                 time.perf_counter() - started)
    assert listing["count"] == datasets
    times = timed(lambda: get(session, url + "api/datasets", OFFICIAL), runs)
    results.absolute(f"GET api/datasets, {datasets} datasets (official, counts cached, median)",
                     statistics.median(times), 0.2, f"max {fmt_s(max(times))}")

    bench_widgets_catalog(url, results, runs, datasets)


def bench_widgets_catalog(url: str, results: Results, runs: int, datasets: int) -> None:
    """``widgets.catalog()`` as the analyst: fetch + JSON + Intake, client side."""
    os.environ["AGORA_DATASETS_URL"] = url
    os.environ["AGORA_TOKEN"] = f"bench-{ANALYST}"
    from widgets import catalog as widgets_catalog  # the function (shadows the module)

    def load():
        cat = widgets_catalog()
        assert len(list(cat)) == datasets
    times = timed(load, max(3, runs // 2))
    results.absolute(f"widgets.catalog() client load, {datasets} datasets (median)",
                     statistics.median(times), 0.2, f"fetch + JSON + Intake; max "
                     f"{fmt_s(max(times))}")
    cat = widgets_catalog()  # the entries still read (small datasets: 20 rows each)
    assert len(cat["ds_0001"].read()) == len(cat.ds_0002.read()) == 20


def bench_export(url: str, ws: dict, datasette: str, results: Results, runs: int,
                 rows: int) -> None:
    print(f"1. export of {rows} rows", flush=True)
    session = requests.Session()
    export = url + f"api/datasets/{BIG}/export.parquet"
    body = session.get(export, headers={"Authorization": f"token bench-{ANALYST}"},
                       timeout=600).content  # warm-up and correctness check (untimed)
    assert pq.read_table(pa.BufferReader(body)).num_rows == rows
    snapshot = str(ws["snapshot"])
    agora, anchor = [], []
    for i in range(runs):  # interleaved so machine noise hits both alike
        order = [("agora", lambda: download(session, export, ANALYST)),
                 ("pyarrow", lambda: pq.read_table(snapshot))]
        for name, function in (order if i % 2 == 0 else order[::-1]):
            started = time.perf_counter()
            function()
            (agora if name == "agora" else anchor).append(time.perf_counter() - started)
    agora_s = statistics.median(agora)
    results.speed(f"export.parquet {rows} rows, full download (analyst, no row rule) "
                  f"vs pq.read_table", agora_s, statistics.median(anchor), "pq.read_table", 0.5)

    csv_url = datasette + f"bench/{BIG}.csv?_stream=on&_size=max"
    check = session.get(csv_url, timeout=1800)
    check.raise_for_status()
    assert check.content.count(b"\n") == rows + 1, "datasette CSV row count"
    started = time.perf_counter()
    download(session, csv_url, "")
    datasette_s = time.perf_counter() - started
    results.speed(f"export.parquet {rows} rows vs Datasette CSV (_stream=on)", agora_s,
                  datasette_s, "datasette .csv", 10)
    agora_csv = timed(lambda: download(session, url + f"api/datasets/{BIG}/export.csv",
                                       ANALYST), max(1, runs // 2))
    results.info(f"export.csv {rows} rows vs Datasette CSV", statistics.median(agora_csv),
                 datasette_s, "datasette .csv", datasette_s / statistics.median(agora_csv))


def bench_filtered(url: str, ws: dict, results: Results, runs: int, rows: int) -> None:
    print("2. filtered queries under a row rule", flush=True)
    session = requests.Session()
    snapshot = str(ws["snapshot"])
    con = duckdb.connect()
    records = url + f"api/datasets/{BIG}/records"
    cases = [
        ("records, row rule + 2 filters, limit 100", {**FILTERS, "limit": "100"},
         f"SELECT * FROM read_parquet('{snapshot}') WHERE {DUCKDB_FILTER} LIMIT 100"),
        ("records, row rule + 2 filters, order_by=-amount, limit 100",
         {**FILTERS, "limit": "100", "order_by": "-amount"},
         f"SELECT * FROM read_parquet('{snapshot}') WHERE {DUCKDB_FILTER} "
         "ORDER BY amount DESC LIMIT 100"),
    ]
    for name, params, sql in cases:
        body = get(session, records, OFFICIAL, params).json()
        expected = con.sql(sql).fetchall()
        assert len(body["records"]) == len(expected) > 0, (len(body["records"]), len(expected))
        assert {r["commune_code"] for r in body["records"]} == {"99101"}
        agora, anchor = [], []
        for _ in range(3):
            get(session, records, OFFICIAL, params)
            con.sql(sql).fetchall()
        for i in range(runs):
            pair = [(agora, lambda: get(session, records, OFFICIAL, params).json()),
                    (anchor, lambda: con.sql(sql).fetchall())]
            for bucket, function in (pair if i % 2 == 0 else pair[::-1]):
                started = time.perf_counter()
                function()
                bucket.append(time.perf_counter() - started)
        results.slowdown(f"{name} ({rows} rows, official) vs DuckDB", statistics.median(agora),
                         statistics.median(anchor), "duckdb SQL", 2)

    # the same row rule and filters, every matching row, as Parquet
    export = url + f"api/datasets/{BIG}/export.parquet"
    out = Path(tempfile.mkdtemp(prefix="bench-duckdb-")) / "out.parquet"
    copy = (f"COPY (SELECT * FROM read_parquet('{snapshot}') WHERE {DUCKDB_FILTER}) "
            f"TO '{out}' (FORMAT parquet, COMPRESSION zstd)")
    body = session.get(export, params=FILTERS, headers={"Authorization": f"token bench-{OFFICIAL}"},
                       timeout=600).content
    con.sql(copy)
    assert pq.read_table(pa.BufferReader(body)).num_rows == pq.read_metadata(out).num_rows
    agora, anchor = [], []
    for i in range(runs // 2):
        pair = [(agora, lambda: download(session, export, OFFICIAL, FILTERS)),
                (anchor, lambda: con.sql(copy))]
        for bucket, function in (pair if i % 2 == 0 else pair[::-1]):
            started = time.perf_counter()
            function()
            bucket.append(time.perf_counter() - started)
    results.slowdown(f"export.parquet, row rule + 2 filters ({rows} rows, official) vs DuckDB "
                     "COPY", statistics.median(agora), statistics.median(anchor),
                     "duckdb COPY", 2)
    shutil.rmtree(out.parent, ignore_errors=True)


def s3_workspace(ws: dict, root: Path, endpoint: str) -> dict:
    """bench_rows alone, refreshed by the real pipeline from the same source into a new bucket
    of the loopback S3 server at `endpoint`."""
    from tests.s3_support import s3_files

    catalog, data = root / "catalog", root / "data"
    for folder in (catalog, data):
        folder.mkdir(parents=True)
    shutil.copy(ws["catalog"] / f"{BIG}.yaml", catalog)
    files = s3_files(endpoint, data / "s3-work")
    results = refresh_many(load_catalog(catalog), RefreshEnv(SnapshotStore(files),
                                                             ws["catalog"].parent / "sources", {}))
    if [r for r in results if r.failed]:
        raise SystemExit(f"refresh into S3 failed: {results}")
    return {"catalog": catalog, "store": files.root, "data": data, "s3_endpoint": endpoint}


def bench_s3(url: str, s3_url: str, results: Results, runs: int, rows: int) -> None:
    """The queries of 1 and 2 over the same snapshot in a local folder and on loopback S3."""
    print("5. the same queries, local store vs loopback S3 (moto)", flush=True)
    session = requests.Session()
    records = f"api/datasets/{BIG}/records"
    aggregate = f"api/datasets/{BIG}/aggregate"
    cases = [
        ("records, row rule + 2 filters, limit 100", OFFICIAL, records,
         {**FILTERS, "limit": "100"}),
        ("records, row rule + 2 filters, order_by=-amount, limit 100", OFFICIAL, records,
         {**FILTERS, "limit": "100", "order_by": "-amount"}),
        ("aggregate by category, row rule", OFFICIAL, aggregate, {"by": "category"}),
        ("export.parquet, row rule + 2 filters", OFFICIAL, f"api/datasets/{BIG}/export.parquet",
         FILTERS),
        (f"export.parquet of {rows} rows, full (analyst)", ANALYST,
         f"api/datasets/{BIG}/export.parquet", None),
    ]
    for name, user, path, params in cases:
        local, remote = (get(session, base + path, user, params).content
                         for base in (url, s3_url))
        if path.endswith("parquet"):
            assert pq.read_table(pa.BufferReader(local)).equals(
                pq.read_table(pa.BufferReader(remote))), name
        else:
            assert (json.loads(local)["records"] == json.loads(remote)["records"]), name
        times = interleaved(lambda: download(session, s3_url + path, user, params),
                            lambda: download(session, url + path, user, params),
                            runs if params else max(3, runs // 3))
        s3_s, local_s = (statistics.median(t) for t in times)
        results.info(f"S3: {name}", s3_s, local_s, "the same, local store", s3_s / local_s)


async def simulated_user(session, url: str, user: str, rounds: int, latencies: list,
                         errors: list, deadline: float, paths: tuple, think: float,
                         catalog: str) -> None:
    import aiohttp

    rng = random.Random(user)
    headers = {"Authorization": f"token bench-{user.split('#')[0]}"}
    for _ in range(rounds):
        params = [("where", f"amount:gt:{rng.randint(0, 990)}"),
                  ("where", f"category:eq:{rng.choice(CATEGORIES)}"), ("limit", "100")]
        steps = {"catalog": (f"api/catalog.{catalog}", None),
                 "records": (f"api/datasets/{BIG}/records", params)}
        for path, query in (steps[p] for p in paths):
            if time.monotonic() > deadline:
                errors.append("time budget exceeded")
                return
            started = time.perf_counter()
            try:
                async with session.get(url + path, params=query, headers=headers) as response:
                    await response.read()  # the whole body (gzip decoded, as clients do)
                    if response.status != 200:
                        errors.append(f"{path}: HTTP {response.status}")
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                errors.append(f"{path}: {type(exc).__name__}")
            latencies.append((path.split("/")[-1], time.perf_counter() - started))
            if think:
                await asyncio.sleep(rng.uniform(0, 2 * think))


async def load_test(url: str, users: int, rounds: int, budget: float, paths: tuple,
                    think: float, catalog: str):
    """The simulated users, on aiohttp: its C HTTP parser costs the client ~5x less CPU per
    request than httpx, and the client shares the machine's cores with the service."""
    import aiohttp

    names = [ANALYST, OFFICIAL, "elu-bellecombe"]
    latencies, errors = [], []
    deadline = time.monotonic() + budget
    connector = aiohttp.TCPConnector(limit=users)
    timeout = aiohttp.ClientTimeout(total=60)
    cpu = time.process_time()
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        started = time.perf_counter()
        await asyncio.gather(*(simulated_user(session, url, f"{names[i % 3]}#{i}", rounds,
                                              latencies, errors, deadline, paths, think,
                                              catalog)
                               for i in range(users)))
        elapsed = time.perf_counter() - started
    return latencies, errors, elapsed, time.process_time() - cpu


def bench_load(url: str, results: Results, users: int, rounds: int, datasets: int,
               mix: str, think: float, catalog: str) -> dict:
    paths = tuple(mix.split("+"))
    print(f"4. {users} concurrent users x {rounds} rounds ({mix}, catalog.{catalog}, "
          f"think {think} s)", flush=True)
    latencies, errors, elapsed, client_cpu = asyncio.run(
        load_test(url, users, rounds, 300, paths, think, catalog))
    every = [s for _, s in latencies]
    summary = {"requests": len(latencies), "errors": len(errors), "elapsed_s": elapsed,
               "throughput_rps": len(latencies) / elapsed, "error_examples": errors[:5],
               "client_cpu_s": client_cpu}
    print(f"  {len(every)} requests in {elapsed:.1f} s; the load generator used "
          f"{client_cpu:.1f} s of CPU", flush=True)
    for kind in (f"catalog.{catalog}", "records"):
        some = [s for k, s in latencies if k == kind]
        if not some:
            continue
        summary[kind] = {"p50_s": percentile(some, 50), "p95_s": percentile(some, 95),
                         "max_s": max(some)}
        results.info(f"{kind} under load, p95 (p50 {fmt_s(percentile(some, 50))})",
                     percentile(some, 95))
    p95 = percentile(every, 95)
    what = mix.replace("catalog", f"catalog.{catalog} ({datasets} datasets)")
    results.absolute(f"{users} users x {rounds} rounds, {what}, think {think} s: "
                     f"p95 of {len(every)} requests, {len(errors)} errors",
                     p95 if not errors else float("inf"), 0.5,
                     f"p50 {fmt_s(percentile(every, 50))}, {summary['throughput_rps']:.0f} req/s")
    results.rows[-1]["agora_s"] = p95
    return summary


# --- main -----------------------------------------------------------------------------------

def versions() -> dict:
    import tornado

    return {"python": platform.python_version(), "duckdb": duckdb.__version__,
            "pyarrow": pa.__version__, "tornado": tornado.version}


def finish(results: Results, meta: dict, json_path: Path | None) -> int:
    """Print the table, the machine's load and the missed targets, write the JSON if asked;
    the exit status: 1 when a target was missed."""
    meta["load_average_end"] = os.getloadavg()
    print()
    print(results.table())
    print(f"\nload average {meta['load_average_start']} -> {meta['load_average_end']}")
    failed = [r["measurement"] for r in results.rows if r["pass"] is False]
    print(f"{len(failed)} target(s) missed" + (": " + "; ".join(failed) if failed else ""))
    if json_path:
        json_path.write_text(json.dumps({"meta": meta, "results": results.rows}, indent=2,
                                        default=str))
    return 1 if failed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--datasets", type=int, default=1000)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--runs", type=int, default=10, help="timed runs per measurement")
    parser.add_argument("--load-mix", default="catalog+records",
                        choices=["catalog+records", "records", "catalog"])
    parser.add_argument("--think", type=float, default=0.0,
                        help="mean think time between a user's requests (0: back to back)")
    parser.add_argument("--catalog-format", default="json", choices=["json", "yaml"],
                        help="which catalog the simulated users fetch (widgets reads json)")
    parser.add_argument("--datasette-venv", type=Path, default=DATASETTE_VENV)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--keep", action="store_true", help="keep the temporary workspace")
    parser.add_argument("--only", default="12345", help="which measurements, e.g. 13")
    args = parser.parse_args()

    results = Results()
    meta = {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "cores": os.cpu_count(), "load_average_start": os.getloadavg(),
            "rows": args.rows, "datasets": args.datasets, "users": args.users,
            "rounds": args.rounds, "think_s": args.think, "load_mix": args.load_mix,
            "catalog_format": args.catalog_format, "versions": versions(),
            "service": "real make_app in a subprocess (bench/datasets_serve.py); only the "
                       "hub token check is replaced by the user_model seam"}
    root = Path(tempfile.mkdtemp(prefix="bench-datasets-"))
    with ExitStack() as stack:
        if not args.keep:
            stack.callback(shutil.rmtree, root, True)
        print(f"workspace {root}: {args.rows} rows + {args.datasets - 1} small datasets",
              flush=True)
        ws = build_workspace(root, args.rows, args.datasets)
        layout = pq.ParquetFile(ws["snapshot"]).metadata
        clustered = SnapshotStore(ws["store"]).read_manifest(BIG).get("clustered_by")
        print(f"  refreshed in {ws['refresh_seconds']:.1f} s; snapshot {ws['snapshot']} "
              f"({ws['snapshot'].stat().st_size / 1e6:.1f} MB, {layout.num_row_groups} row "
              f"groups, clustered by {clustered or 'nothing'})", flush=True)
        url = start_agora(ws, stack)
        if "3" in args.only:
            bench_catalog(url, results, args.runs, args.datasets)
        else:
            get(requests.Session(), url + "api/catalog.yaml", ANALYST)
        if "1" in args.only:
            exe = ensure_datasette(args.datasette_venv)
            db = root / "bench.sqlite"
            build_sqlite(db, ws["table"])
            meta["versions"]["datasette"] = subprocess.run(
                [str(exe), "--version"], capture_output=True, text=True).stdout.strip()
            datasette = start_datasette(exe, db, stack)
            bench_export(url, ws, datasette, results, args.runs, args.rows)
        if "2" in args.only:
            bench_filtered(url, ws, results, args.runs * 3, args.rows)
        if "5" in args.only:
            from tests.s3_support import s3_server

            endpoint = stack.enter_context(s3_server())
            s3_ws = s3_workspace(ws, root / "s3", endpoint)
            bench_s3(url, start_agora(s3_ws, stack), results, args.runs * 3, args.rows)
        if "4" in args.only:
            meta["load"] = bench_load(url, results, args.users, args.rounds, args.datasets,
                                      args.load_mix, args.think, args.catalog_format)
    return finish(results, meta, args.json)


if __name__ == "__main__":
    sys.exit(main())
