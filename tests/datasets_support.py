"""A tiny real workspace for the datasets service tests: recipes, sources, refreshed snapshots.

Snapshots are made by the real pipeline (hub.pipeline.refresh) from Parquet/GeoParquet sources,
so the manifests, schemas and GeoParquet metadata are exactly what production writes.

- ``incidents`` (30 rows, communes 99101/99102/99103): analysts and officials; officials see
  their territories only; ``nir`` hidden, ``name`` pseudonymised and ``age`` banded except for
  analysts; aggregates withhold groups of fewer than 5 rows (nobody has raw access).
- ``stations`` (6 points in Lambert-93): analysts and partners.
- ``secret_hr``: group ``hr`` only (nobody in the demo).
- ``ghost_rules``: analysts, but its column rule names a column the snapshot lacks: not served.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from hub.pipeline.recipe import load_catalog
from hub.pipeline.refresh import RefreshEnv, refresh_many
from hub.pipeline.store import SnapshotStore
from hub.pipeline.store_fs import S3Files

KEY = "test-pseudonym-key-0123456789abcdef"
COMMUNES = ["99101", "99102", "99103"]

HEADER = """title: {title}
description: Test data for the datasets service.
theme: GOVE
keywords: [test]
publisher: Tests
licence: etalab-2.0
contact: {{name: Test team, email: test@example.org}}
update_frequency: daily
"""
SPATIAL = "spatial: Val-de-Lière (test communes 99101-99103)\n"

RECIPES = {
    "incidents": HEADER.format(title="Incidents") + SPATIAL + """
source: {connector: parquet, path: incidents.parquet}
processors:
  - rename: {columns: {Commune: commune_code}}
access:
  groups: [analysts, officials]
  rows:
    - {column: commune_code, in_attribute: territories, applies_to_groups: [officials]}
  columns:
    nir: {action: hide}
    name: {action: pseudonymise, exempt_groups: [analysts]}
    age: {action: generalise, to: band, bands: [0, 30, 40], exempt_groups: [analysts]}
  min_group_size: 5
""",
    "stations": HEADER.format(title="Stations") + SPATIAL + """
source: {connector: geoparquet, path: stations.parquet}
access:
  groups: [analysts, partners]
""",
    "secret_hr": HEADER.format(title="Salaries") + """
source: {connector: parquet, path: salaries.parquet}
access:
  groups: [hr]
""",
    "ghost_rules": HEADER.format(title="Ghost rules") + """
source: {connector: parquet, path: salaries.parquet}
access:
  groups: [analysts]
  columns:
    ghost: {action: hide}
""",
}


def incidents_frame(rows: int = 30) -> pd.DataFrame:
    return pd.DataFrame({
        "Commune": [COMMUNES[i % 3] for i in range(rows)],
        "name": [f"person{i}" for i in range(rows)],
        "age": [20 + i for i in range(rows)],
        "amount": [round(i * 1.5, 2) for i in range(rows)],
        "reported_at": pd.date_range("2024-01-01", periods=rows, freq="D"),
        "label": [f'Rue "{i}", côté {"é" * (i % 2)}' for i in range(rows)],
        "nir": [f"NIR{i:04d}" for i in range(rows)],
    })


def stations_frame() -> gpd.GeoDataFrame:
    points = [shapely.Point(650000 + 1000 * i, 6860000 + 500 * i) for i in range(6)]
    return gpd.GeoDataFrame({"commune_code": [COMMUNES[i % 3] for i in range(6)],
                             "station": [f"S{i}" for i in range(6)]},
                            geometry=points, crs="EPSG:2154")


@dataclass
class Workspace:
    root: Path
    catalog_dir: Path
    sources_dir: Path
    store_dir: Path
    data_dir: Path
    files: S3Files | None = None  # the store on S3 instead of store_dir

    @property
    def store(self) -> SnapshotStore:
        return SnapshotStore(self.files or self.store_dir)


def build_workspace(root: Path, recipes: dict[str, str] = RECIPES,
                    files: S3Files | None = None) -> Workspace:
    """Write the recipes (default: RECIPES; a test may add others on the same sources) and
    the sources under `root`, and refresh every dataset for real (into `files` if given)."""
    ws = Workspace(root, root / "catalog", root / "sources", root / "store", root / "data",
                   files)
    for folder in (ws.catalog_dir, ws.sources_dir, ws.data_dir):
        folder.mkdir(parents=True, exist_ok=True)
    for name, text in recipes.items():
        (ws.catalog_dir / f"{name}.yaml").write_text(text)
    incidents_frame().to_parquet(ws.sources_dir / "incidents.parquet", index=False)
    stations_frame().to_parquet(ws.sources_dir / "stations.parquet", index=False)
    pd.DataFrame({"employee": ["a", "b"], "salary": [1, 2]}).to_parquet(
        ws.sources_dir / "salaries.parquet", index=False)
    env = RefreshEnv(ws.store, ws.sources_dir, {"AGORA_PSEUDONYM_KEY": KEY})
    results = refresh_many(load_catalog(ws.catalog_dir), env)
    failed = [(r.dataset, r.error) for r in results if r.failed]
    assert not failed, failed
    return ws


@contextmanager
def agora_on_workspace(root: Path, **options) -> Iterator:
    """A real `agora up` serving :func:`build_workspace`'s catalog and store (made in
    root/ws; no demo data) with the test pseudonym key; the workspace is ``extra["ws"]``.
    `options` go to tests.support.running_agora (e.g. ``stop_within``)."""
    from tests.support import running_agora

    ws = build_workspace(root / "ws")
    overrides = {"data": {"catalog_dir": str(ws.catalog_dir), "store_dir": str(ws.store_dir),
                          "sources_dir": str(ws.sources_dir), "demo_data": False}}
    env = {**os.environ, "AGORA_PSEUDONYM_KEY": KEY}
    with running_agora(root / "hub", overrides, env, **options) as running:
        running.extra["ws"] = ws
        yield running
