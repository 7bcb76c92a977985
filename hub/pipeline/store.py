"""The snapshot store: immutable, versioned Parquet snapshots with an atomic `current` pointer.

Layout (every directory mode 700: the store is hub-side only)::

    <root>/<dataset>/
        versions/<version>/data.parquet   GeoParquet when the frame is a GeoDataFrame
        versions/<version>/manifest.json  schema, rows, quality, source, processors, timings
        CURRENT                           the current version's name (replaced atomically)
        status.json                       last attempt, last success, last error, failures
        .staging/                         versions being written (never read)
        .lock                             held while a refresh of this dataset runs

A version is written under .staging, fsynced, renamed into versions/ and only then named in
CURRENT (written to a temporary file and os.replace()d). A reader that follows CURRENT
therefore only ever sees complete versions. Pruning never removes the current version.

data.parquet is written in row groups of :data:`ROW_GROUP_ROWS` rows. A snapshot larger than
one row group is *clustered* by the columns its access row rules compare (``cluster_by``, given
by the refresh): its rows are sorted, stably, by those columns, so each row group holds a narrow
range of their values and a query under a row rule (``commune_code IN (...)``) reads only the
row groups whose min/max statistics can match (1M rows, 100 communes: ~3 ms of CPU per query
instead of ~15 ms). The rows are the same; only their order in the file changes, and the
manifest says so (``clustered_by``). Smaller snapshots keep their order.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from .status import StatusFile
from .store_files import atomic_write_text, fsync_path, private_dir, utc_now

DATA_FILE, MANIFEST_FILE, CURRENT_FILE = "data.parquet", "manifest.json", "CURRENT"
ROW_GROUP_ROWS = 32_768  # the unit a reader skips by statistics (pyarrow's default: 1M rows)
# A column chunk whose dictionary outgrows this is written plainly. pyarrow's 1 MiB default
# let a row group of 32,768 identifiers build a dictionary as large as the column itself; at
# 64 KiB, the 1M-row benchmark snapshot is written in 0.28 s instead of 0.36 s and is 8 %
# smaller. Only the encoding changes: the values read back are the same.
DICTIONARY_PAGE_BYTES = 64 << 10
log = logging.getLogger("agora.store")


class DatasetBusy(Exception):
    """Another refresh of this dataset holds its lock."""


def is_geo(frame: pd.DataFrame) -> bool:
    return frame.__class__.__name__ == "GeoDataFrame"


def write_parquet(frame: pd.DataFrame, path: Path) -> None:
    """Parquet, or GeoParquet for a GeoDataFrame (geopandas writes the `geo` metadata)."""
    frame.to_parquet(path, index=False, row_group_size=ROW_GROUP_ROWS,
                     dictionary_pagesize_limit=DICTIONARY_PAGE_BYTES)


def cluster(frame: pd.DataFrame, columns: Sequence[str]) -> tuple[pd.DataFrame, list[str]]:
    """`frame` sorted (stably, missing values last) by those of `columns` it has, and the
    columns used; unchanged (and []) when it fits in one row group or cannot be sorted."""
    columns = [c for c in dict.fromkeys(columns) if c in frame.columns]
    if not columns or len(frame) <= ROW_GROUP_ROWS:
        return frame, []
    try:
        return frame.sort_values(columns, kind="stable", ignore_index=True), columns
    except (TypeError, ValueError) as exc:  # e.g. mixed types: only an optimisation is lost
        log.warning("not clustering by %s: %s", ", ".join(columns), exc)
        return frame, []


def read_parquet(path: Path) -> pd.DataFrame:
    """A snapshot file as a DataFrame, or a GeoDataFrame when it is GeoParquet."""
    metadata = pq.read_schema(path).metadata or {}
    if b"geo" in metadata:
        import geopandas

        return geopandas.read_parquet(path)
    return pd.read_parquet(path)


def file_schema(path: Path) -> list[dict[str, str]]:
    """[{name, type}] from the written file; geometry columns are typed "geometry"."""
    schema = pq.read_schema(path)
    geo = json.loads((schema.metadata or {}).get(b"geo", b"{}"))
    geometry = set(geo.get("columns", {}))
    return [{"name": f.name, "type": "geometry" if f.name in geometry else str(f.type)}
            for f in schema]


def new_version_name(existing: set[str]) -> str:
    """A sortable, unique name: UTC time to the microsecond."""
    name = utc_now().strftime("%Y%m%dT%H%M%S%fZ")
    suffix = 1
    while name in existing:
        name, suffix = f"{name.split('-')[0]}-{suffix}", suffix + 1
    return name


class SnapshotStore:
    """Versioned snapshots of every dataset under `root`; keeps `retain` versions each."""

    def __init__(self, root: Path, retain: int = 5):
        self.root = Path(root)
        self.retain = retain

    def dataset_dir(self, dataset: str) -> Path:
        return self.root / dataset

    def ensure_dataset_dir(self, dataset: str) -> Path:
        private_dir(self.root)
        return private_dir(self.dataset_dir(dataset))

    def datasets(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir()
                      if p.is_dir() and not p.name.startswith("."))

    def versions(self, dataset: str) -> list[str]:
        """Complete versions, oldest first."""
        folder = self.dataset_dir(dataset) / "versions"
        if not folder.is_dir():
            return []
        return sorted(p.name for p in folder.iterdir() if p.is_dir())

    def version_dir(self, dataset: str, version: str) -> Path:
        return self.dataset_dir(dataset) / "versions" / version

    def current(self, dataset: str) -> str | None:
        """The current version's name, or None before the first successful refresh."""
        try:
            text = (self.dataset_dir(dataset) / CURRENT_FILE).read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        return text.strip() or None

    def current_path(self, dataset: str) -> Path | None:
        """The current data.parquet (what the datasets service reads), or None."""
        version = self.current(dataset)
        return self.version_dir(dataset, version) / DATA_FILE if version else None

    def read_manifest(self, dataset: str, version: str | None = None) -> dict[str, Any] | None:
        """The manifest of `version` (default: current), or None when there is none."""
        version = version or self.current(dataset)
        if version is None:
            return None
        path = self.version_dir(dataset, version) / MANIFEST_FILE
        return json.loads(path.read_text(encoding="utf-8"))

    def read_current(self, dataset: str, attempts: int = 3) -> pd.DataFrame:
        """The current snapshot as a frame; retries if a prune races the read."""
        for _ in range(attempts):
            path = self.current_path(dataset)
            if path is None:
                raise FileNotFoundError(f"dataset {dataset!r} has no snapshot yet; "
                                        f"run `agora refresh {dataset}`")
            try:
                return read_parquet(path)
            except FileNotFoundError:
                continue
        raise FileNotFoundError(f"the current snapshot of {dataset!r} kept moving; retry")

    def status(self, dataset: str) -> StatusFile:
        return StatusFile(self.dataset_dir(dataset) / "status.json")

    @contextmanager
    def lock(self, dataset: str) -> Iterator[None]:
        """Hold this dataset's refresh lock (across threads and processes) or raise DatasetBusy."""
        with open(self.ensure_dataset_dir(dataset) / ".lock", "a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise DatasetBusy(f"a refresh of {dataset!r} is already running") from None
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def write_version(self, dataset: str, frame: pd.DataFrame, manifest: dict[str, Any],
                      retain: int | None = None, cluster_by: Sequence[str] = ()) -> str:
        """Write a complete version, make it current, prune; return its name.

        Call while holding :meth:`lock`. `manifest` gets dataset, version, created_at,
        schema, row_count, geo and clustered_by added. `cluster_by`: the columns row rules
        compare (see the module docstring).
        """
        version = new_version_name(set(self.versions(dataset)))
        frame, clustered_by = cluster(frame, cluster_by)
        staged = self._stage(dataset, version, frame, {**manifest, "clustered_by": clustered_by})
        final = self.version_dir(dataset, version)
        private_dir(final.parent)
        os.rename(staged, final)
        fsync_path(final.parent)
        atomic_write_text(self.dataset_dir(dataset) / CURRENT_FILE, version + "\n")
        self.prune(dataset, retain)
        return version

    def _stage(self, dataset: str, version: str, frame: pd.DataFrame,
               manifest: dict[str, Any]) -> Path:
        staging = private_dir(self.dataset_dir(dataset) / ".staging")
        for leftover in staging.iterdir():  # from a crashed refresh; we hold the lock
            shutil.rmtree(leftover, ignore_errors=True)
        folder = private_dir(staging / version)
        write_parquet(frame, folder / DATA_FILE)
        fsync_path(folder / DATA_FILE)
        full = {"dataset": dataset, "version": version,
                "created_at": utc_now().isoformat(timespec="seconds"),
                "schema": file_schema(folder / DATA_FILE), "row_count": len(frame),
                "geo": is_geo(frame), **manifest}
        text = json.dumps(full, indent=2, ensure_ascii=False, default=str)
        (folder / MANIFEST_FILE).write_text(text, encoding="utf-8")
        fsync_path(folder / MANIFEST_FILE)
        fsync_path(folder)
        return folder

    def prune(self, dataset: str, retain: int | None = None) -> list[str]:
        """Delete all but the newest `retain` versions, never the current one."""
        keep_n = max(1, retain or self.retain)
        versions, current = self.versions(dataset), self.current(dataset)
        doomed = [v for v in versions[:-keep_n] if v != current]
        for version in doomed:
            shutil.rmtree(self.version_dir(dataset, version), ignore_errors=True)
        return doomed
