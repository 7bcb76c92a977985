"""Benchmark: first render of a KPI board + a choropleth map over 100k rows, against the same
view hand-built with pandas + folium reading the files directly, same run.

    /opt/agora/venv/bin/python bench/widgets.py [--rows 100000] [--runs 15] [--cold-runs 5]

Data: ``bench_points``, ``--rows`` reports (id, commune_code, latitude/longitude inside the
commune, reported_at over two years, amount), spread over the 30 communes of the demo
territory by population, and ``communes`` (the demo boundaries, recipe catalogs/communes.yaml),
both refreshed by the real pipeline and served by the real datasets application in its own
process (bench/datasets_serve.py: registry, policy, DuckDB engine, audit log; only the hub's
token check is replaced). The reader is ``analyst`` (no row rule: every row).

The view, on both sides: three KPI cards (reports; mean amount; amount of the last month with
the previous month and a sparkline of every month) and a choropleth of the mean amount per
commune (quantile classes, viridis, tooltips).

- **agora**: ``KPIBoard`` of three ``KPICard.of`` and a ``ChoroplethMap.of`` (the service's
  mean per commune_code over the ``communes`` boundaries, read from the service), every number
  asked of the service under the reader's rights; rendered as Voilà receives it: the
  interactive mimebundle of both views and the JSON state of every ipywidget they made (the
  map is Leaflet inlined in an ``<iframe srcdoc>``).
- **anchor**: ``pd.read_parquet`` of the points snapshot and ``gpd.read_parquet`` of the
  boundaries snapshot (the files the service reads), the same numbers with pandas, KPI cards
  as an f-string, a ``folium.Map`` with a ``GeoJson`` layer styled by the same classes,
  rendered with ``get_root().render()`` (folium's default: Leaflet from a CDN, not inlined).

"First render" is the work of a dashboard's cells once the kernel has started: from the cell's
start to the payload ready to send (the HTML / widget-state JSON), imports already done (warm
process, both sides), data read anew each time (no cache on either side: a new reader, a
changed snapshot). The runs alternate, the order flips each run, medians compared.
Target: agora / anchor <= 1.5x. The same in a fresh process, imports included, is printed for
information (``--cold-runs``): that is what Voilà's kernel pays once per page.

The other widget target of issue #13, ``aggregate`` over 1M rows under a row rule <= 1.5x
DuckDB's GROUP BY on the file, is bench/aggregate.py. Exit status 1 if the target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

# bench.datasets_api and hub.pipeline are imported where used: the fresh processes of the cold
# measurement (--side) import only what their side needs.

TARGET = 1.5
POINTS = "bench_points"
READER = "analyst"  # no row rule: every row
RECIPE = """title: Bench points
description: Benchmark reports ({rows} rows), generated.
theme: GOVE
keywords: [bench, test]
publisher: Bench
licence: etalab-2.0
contact: {{name: Bench, email: bench@example.org}}
update_frequency: daily
source: {{connector: parquet, path: points.parquet}}
access:
  groups: [analysts, officials]
  rows:
    - {{column: commune_code, in_attribute: territories, applies_to_groups: [officials]}}
"""


# --- data -----------------------------------------------------------------------------------

def make_points(rows: int, territory, seed: int = 42) -> pa.Table:
    """Reports placed inside their commune (more in the populous ones), over two years."""
    from hub.demo_data.territory import to_lonlat

    rng = np.random.default_rng(seed)
    picks = rng.choice(len(territory.communes), size=rows, p=territory.population_weights())
    codes, xy = np.empty(rows, dtype=object), np.empty((rows, 2))
    for i, commune in enumerate(territory.communes):
        where = np.flatnonzero(picks == i)
        codes[where] = commune.code
        if len(where):
            xy[where] = territory.random_points(rng, commune, len(where))
    lon, lat = to_lonlat(xy)
    start = np.datetime64("2024-01-01T00:00:00", "us")
    return pa.table({
        "id": pa.array(np.arange(rows, dtype=np.int64)),
        "commune_code": pa.array(codes.tolist(), pa.string()),
        "latitude": pa.array(np.round(lat, 6)), "longitude": pa.array(np.round(lon, 6)),
        "reported_at": pa.array(start + rng.integers(0, 2 * 365 * 86400, rows)
                                .astype("timedelta64[s]"), pa.timestamp("us", tz="UTC")),
        "amount": pa.array(rng.gamma(2.0, 150.0, rows).round(2)),
    })


def build_workspace(root: Path, rows: int) -> dict:
    from hub.demo_data import boundaries
    from hub.demo_data.territory import build_territory
    from hub.pipeline.recipe import load_catalog
    from hub.pipeline.refresh import RefreshEnv, refresh_many
    from hub.pipeline.store import SnapshotStore

    catalog, sources, store, data = (root / n for n in ("catalog", "sources", "store", "data"))
    for folder in (catalog, sources, data):
        folder.mkdir(parents=True, exist_ok=True)
    territory = build_territory(42)
    boundaries.write(sources, territory, 42, None)
    pq.write_table(make_points(rows, territory), sources / "points.parquet")
    (catalog / f"{POINTS}.yaml").write_text(RECIPE.format(rows=rows))
    shutil.copy(REPO / "catalogs" / "communes.yaml", catalog / "communes.yaml")
    results = refresh_many(load_catalog(catalog), RefreshEnv(SnapshotStore(store), sources, {}))
    failed = [(r.dataset, r.error) for r in results if r.failed]
    if failed:
        raise SystemExit(f"refresh failed: {failed}")
    snapshots = SnapshotStore(store)
    return {"catalog": catalog, "store": store, "data": data,
            "points": snapshots.current_path(POINTS),
            "communes": snapshots.current_path("communes")}


# --- the two sides (also run in a fresh process: python bench/widgets.py --side ...) ----------

def widget_tree(widget) -> list:
    """`widget` and every widget it holds (children, layout, style), each once."""
    from ipywidgets import Widget

    seen, todo = {}, [widget]
    while todo:
        w = todo.pop()
        if w.model_id in seen:
            continue
        seen[w.model_id] = w
        for name in w.keys:
            value = getattr(w, name)
            for item in value if isinstance(value, (list, tuple)) else [value]:
                if isinstance(item, Widget):
                    todo.append(item)
    return list(seen.values())


def sent_to_the_browser(*views) -> str:
    """What Voilà sends for `views`: each mimebundle, and the state of each widget (JSON)."""
    from ipywidgets.widgets.widget import _remove_buffers

    bundles = [view._repr_mimebundle_() for view in views]
    states = [_remove_buffers(w.get_state())[0] for v in views for w in widget_tree(v.widget())]
    return json.dumps({"bundles": bundles, "states": states})


def agora_view() -> str:
    from widgets import ChoroplethMap, KPIBoard, KPICard

    board = KPIBoard([
        KPICard.of(POINTS, measure="count", label="Signalements"),
        KPICard.of(POINTS, measure="mean:amount", label="Montant moyen", unit="€", decimals=1),
        KPICard.of(POINTS, measure="sum:amount", bucket="reported_at:month",
                   label="Montant du mois", unit="€", decimals=0),
    ], title="Signalements")
    amounts = ChoroplethMap.of(POINTS, boundaries="communes", key="commune_code",
                               measure="mean:amount", name="commune_name",
                               label="Montant moyen (€)", noun="communes")
    return sent_to_the_browser(board, amounts)


def anchor_cards(count: int, mean: float, monthly) -> str:
    last, previous = monthly.iloc[-1], monthly.iloc[-2]
    points = " ".join(f"{i * 10},{40 - 40 * v / monthly.max():.1f}"
                      for i, v in enumerate(monthly))
    return (f'<div style="display:flex;gap:1rem">'
            f"<div><div>Signalements</div><div>{count:,}</div></div>"
            f"<div><div>Montant moyen</div><div>{mean:,.1f} €</div></div>"
            f"<div><div>Montant du mois</div><div>{last:,.0f} €</div>"
            f"<div>{(last - previous) / previous:+.1%}</div>"
            f'<svg width="240" height="40"><polyline points="{points}" fill="none" '
            f'stroke="#0072b2"/></svg></div></div>')


def anchor_view(points: Path, communes: Path) -> str:
    import folium
    import geopandas as gpd
    import matplotlib
    import pandas as pd

    frame = pd.read_parquet(points, columns=["commune_code", "reported_at", "amount"])
    month = frame["reported_at"].dt.tz_convert("UTC").dt.tz_localize(None).dt.to_period("M")
    monthly = frame.groupby(month)["amount"].sum()
    cards = anchor_cards(len(frame), frame["amount"].mean(), monthly)
    areas = gpd.read_parquet(communes).merge(
        frame.groupby("commune_code")["amount"].mean().rename("mean_amount").reset_index(),
        on="commune_code", how="left")
    values = areas["mean_amount"]
    edges = np.quantile(values.dropna(), np.linspace(0, 1, 6))
    cmap = matplotlib.colormaps["viridis"].resampled(5)
    colours = {i: matplotlib.colors.to_hex(cmap(4 - i)) for i in range(5)}
    areas["fill"] = [colours[min(4, int(np.searchsorted(edges, v, side="right")) - 1)]
                     if pd.notna(v) else "#cfcfcf" for v in values]
    areas["text"] = [f"{v:,.1f} €" if pd.notna(v) else "pas de données" for v in values]
    west, south, east, north = areas.total_bounds
    m = folium.Map(location=[(south + north) / 2, (west + east) / 2], zoom_start=10, tiles=None)
    folium.GeoJson(areas[["commune_name", "text", "fill", "geometry"]].to_json(),
                   style_function=lambda f: {"fillColor": f["properties"]["fill"],
                                             "fillOpacity": 0.9, "weight": 1,
                                             "color": "#ffffff"},
                   tooltip=folium.GeoJsonTooltip(["commune_name", "text"])).add_to(m)
    m.fit_bounds([[south, west], [north, east]])
    return cards + m.get_root().render()


def run_side(side: str, ws: dict) -> int:
    """Body of the fresh process: import, render once, print the payload's size."""
    html = agora_view() if side == "agora" else anchor_view(ws["points"], ws["communes"])
    print(len(html))
    return 0


def cold(side: str, ws: dict, url: str, runs: int) -> list[float]:
    """Seconds from a fresh `python` to its payload, imports included."""
    env = {**os.environ, "AGORA_DATASETS_URL": url, "AGORA_TOKEN": f"bench-{READER}"}
    paths = json.dumps({k: str(ws[k]) for k in ("points", "communes")})
    command = [sys.executable, __file__, "--side", side, "--paths", paths]
    times = []
    for _ in range(runs + 1):  # the first fills the page cache, not timed
        started = time.perf_counter()
        subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL, cwd=REPO)
        times.append(time.perf_counter() - started)
    return times[1:]


# --- main -----------------------------------------------------------------------------------

def check_same(ws: dict) -> None:
    """Both sides show the same count (the first KPI) and map the same communes."""
    import pandas as pd

    from widgets import aggregate

    count = int(aggregate(POINTS, measures=["count"])["count"].iloc[0])
    assert count == len(pd.read_parquet(ws["points"], columns=["id"])), count
    payload = json.loads(agora_view())
    assert f"{count:,}".replace(",", "\u202f") in json.dumps(payload, ensure_ascii=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=15, help="timed runs per side (warm)")
    parser.add_argument("--cold-runs", type=int, default=5, help="fresh processes per side")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--side", choices=["agora", "anchor"], help=argparse.SUPPRESS)
    parser.add_argument("--paths", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.side:
        return run_side(args.side, {k: Path(v) for k, v in json.loads(args.paths).items()})
    from bench import datasets_api
    from bench.datasets_api import Results, interleaved, start_agora

    meta = {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "cores": os.cpu_count(), "load_average_start": os.getloadavg(),
            "rows": args.rows, "runs": args.runs, "versions": datasets_api.versions()}
    results = Results()
    root = Path(tempfile.mkdtemp(prefix="bench-widgets-"))
    with ExitStack() as stack:
        stack.callback(shutil.rmtree, root, True)
        ws = build_workspace(root, args.rows)
        url = start_agora(ws, stack)
        os.environ.update(AGORA_DATASETS_URL=url, AGORA_TOKEN=f"bench-{READER}")
        print(f"workspace {root}: {args.rows} rows, service {url}", flush=True)
        check_same(ws)
        agora, anchor = interleaved(agora_view, lambda: anchor_view(ws["points"], ws["communes"]),
                                    args.runs)
        results.slowdown(f"first render, KPI board (3 cards) + choropleth, {args.rows} rows, "
                         "warm process", statistics.median(agora), statistics.median(anchor),
                         "pandas + folium", TARGET)
        if args.cold_runs:
            agora_cold = cold("agora", ws, url, args.cold_runs)
            anchor_cold = cold("anchor", ws, url, args.cold_runs)
            results.info("the same in a fresh process, imports included",
                         statistics.median(agora_cold), statistics.median(anchor_cold),
                         "pandas + folium",
                         statistics.median(agora_cold) / statistics.median(anchor_cold))
    return datasets_api.finish(results, meta, args.json)


if __name__ == "__main__":
    sys.exit(main())
