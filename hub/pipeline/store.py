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
On an S3-compatible store (store_fs.py) the layout is the same under ``s3://bucket/prefix``;
a version is staged locally, uploaded data first and manifest last, then named in CURRENT.

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
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from .status import StatusFile
from .store_files import fsync_path, private_dir, utc_now
from .store_fs import DATA_FILE, MANIFEST_FILE, LocalFiles, S3Files, resolve, s3_files_for

CURRENT_FILE = "CURRENT"
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


def read_parquet(location: Path | str) -> pd.DataFrame:
    """A snapshot file (a path or an ``s3://`` location) as a DataFrame, or a GeoDataFrame
    when it is GeoParquet."""
    filesystem, path = resolve(location)
    metadata = pq.read_schema(path, filesystem=filesystem).metadata or {}
    if b"geo" in metadata:
        import geopandas

        return geopandas.read_parquet(path, filesystem=filesystem)
    return pd.read_parquet(path, filesystem=filesystem)


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
    """Versioned snapshots of every dataset under `root` (a folder, or a
    :class:`~hub.pipeline.store_fs.S3Files`); keeps `retain` versions each."""

    def __init__(self, root: Path | S3Files | LocalFiles, retain: int = 5):
        self.files = root if isinstance(root, (S3Files, LocalFiles)) else LocalFiles(root)
        self.root = self.files.root
        self.retain = retain

    @property
    def is_local(self) -> bool:
        return isinstance(self.files, LocalFiles)

    def dataset_dir(self, dataset: str) -> Path:
        """The dataset's folder (a local store only)."""
        return self.files.path(dataset)

    def version_dir(self, dataset: str, version: str) -> Path:
        """A version's folder (a local store only)."""
        return self.files.path(f"{dataset}/versions/{version}")

    def datasets(self) -> list[str]:
        return [name for name in self.files.folders("") if not name.startswith(".")]

    def versions(self, dataset: str) -> list[str]:
        """Complete versions, oldest first."""
        return self.files.versions(dataset)

    def data_location(self, dataset: str, version: str) -> str:
        """Where a version's data.parquet is: a local path or an ``s3://`` URL."""
        return self.files.location(f"{dataset}/versions/{version}/{DATA_FILE}")

    def current(self, dataset: str) -> str | None:
        """The current version's name, or None before the first successful refresh."""
        text = self.files.read_text(f"{dataset}/{CURRENT_FILE}")
        return (text or "").strip() or None

    def current_stamp(self, dataset: str) -> tuple | None:
        """A value that changes whenever CURRENT is rewritten (None: unknown, read it)."""
        return self.files.stamp(f"{dataset}/{CURRENT_FILE}")

    def current_location(self, dataset: str) -> str | None:
        """The current data.parquet's location (what the datasets service reads), or None."""
        version = self.current(dataset)
        return self.data_location(dataset, version) if version else None

    def current_path(self, dataset: str) -> Path | None:
        """The current data.parquet of a local store, or None."""
        version = self.current(dataset)
        return self.version_dir(dataset, version) / DATA_FILE if version else None

    def read_manifest(self, dataset: str, version: str | None = None) -> dict[str, Any] | None:
        """The manifest of `version` (default: current), or None when there is none."""
        version = version or self.current(dataset)
        if version is None:
            return None
        key = f"{dataset}/versions/{version}/{MANIFEST_FILE}"
        text = self.files.read_text(key)
        if text is None:
            raise FileNotFoundError(self.files.location(key))
        return json.loads(text)

    def read_version(self, dataset: str, version: str) -> pd.DataFrame:
        return read_parquet(self.data_location(dataset, version))

    def read_current(self, dataset: str, attempts: int = 3) -> pd.DataFrame:
        """The current snapshot as a frame; retries if a prune races the read."""
        for _ in range(attempts):
            location = self.current_location(dataset)
            if location is None:
                raise FileNotFoundError(f"dataset {dataset!r} has no snapshot yet; "
                                        f"run `agora refresh {dataset}`")
            try:
                return read_parquet(location)
            except FileNotFoundError:
                continue
        raise FileNotFoundError(f"the current snapshot of {dataset!r} kept moving; retry")

    def status(self, dataset: str) -> StatusFile:
        return StatusFile(self.files, f"{dataset}/status.json")

    @contextmanager
    def lock(self, dataset: str) -> Iterator[None]:
        """Hold this dataset's refresh lock (across threads and processes of this machine)
        or raise DatasetBusy."""
        with open(self.files.work_dir(dataset) / ".lock", "a") as handle:
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
        self._remove_incomplete(dataset)
        version = new_version_name(set(self.files.folders(f"{dataset}/versions")))
        frame, clustered_by = cluster(frame, cluster_by)
        staged = self._stage(dataset, version, frame, {**manifest, "clustered_by": clustered_by})
        self.files.publish(staged, f"{dataset}/versions/{version}")
        self.files.write_text(f"{dataset}/{CURRENT_FILE}", version + "\n")
        self.prune(dataset, retain)
        return version

    def _remove_incomplete(self, dataset: str) -> None:
        """Versions a crashed writer left without a manifest (object stores; we hold the lock)."""
        complete = set(self.versions(dataset))
        for version in self.files.folders(f"{dataset}/versions"):
            if version not in complete:
                self.files.remove(f"{dataset}/versions/{version}")

    def _stage(self, dataset: str, version: str, frame: pd.DataFrame,
               manifest: dict[str, Any]) -> Path:
        staging = private_dir(self.files.work_dir(dataset) / ".staging")
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
            self.files.remove(f"{dataset}/versions/{version}")
        return doomed


def open_store(settings, environ: Mapping[str, str] | None = None,
               retain: int | None = None) -> SnapshotStore:
    """The store the settings name: data.store_url (S3) if set, else the local store_dir."""
    data, environ = settings.data, os.environ if environ is None else environ
    retain = retain or data.retain_versions
    if not data.store_url:
        return SnapshotStore(settings.store_dir, retain)
    return SnapshotStore(s3_files_for(data.store_url, settings.store_dir, data, environ), retain)
