"""Facts about a snapshot that its manifest does not hold: its time extent and first publication.

:func:`time_extent` reads the minimum and maximum of each date or timestamp column from the
Parquet footer's statistics (no data is read); a column without statistics maps to None, and
an unreadable file gives None (unknown, unlike {}: no date column).
:func:`first_created` is the ``created_at`` of the oldest version the store still keeps: the
dataset was published no later than that (older versions may have been pruned). Both feed
DCAT-AP's ``dct:temporal`` and ``dct:issued`` (visible.py, published/dcat.py).
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from hub.pipeline.store import SnapshotStore
from hub.pipeline.store_fs import open_input

log = logging.getLogger("agora.datasets.registry")
Extent = dict[str, tuple[str, str] | None]  # column -> (first, last) ISO dates, None: unknown


def _temporal(field: pa.Field) -> bool:
    return pa.types.is_timestamp(field.type) or pa.types.is_date(field.type)


def _iso_date(value) -> str:
    return (value.date() if isinstance(value, dt.datetime) else value).isoformat()


def _column_range(metadata: pq.FileMetaData, index: int) -> tuple[str, str] | None:
    lows, highs = [], []
    for group in range(metadata.num_row_groups):
        stats = metadata.row_group(group).column(index).statistics
        if stats is not None and not stats.has_min_max and stats.num_values == 0:
            continue  # only nulls in this row group
        if stats is None or not stats.has_min_max:
            return None  # a row group without statistics: the range is unknown
        lows.append(stats.min)
        highs.append(stats.max)
    return (_iso_date(min(lows)), _iso_date(max(highs))) if lows else None


def time_extent(path: Path | str) -> Extent | None:
    """Each date/timestamp column's (first, last) date (None: no statistics) at `path` (a
    local path or an s3:// location); None when the file cannot be read."""
    try:
        with open_input(path) as source:
            parquet = pq.ParquetFile(source)
            metadata, schema = parquet.metadata, parquet.schema_arrow
    except (OSError, pa.ArrowException) as exc:
        log.warning("no time extent for %s: %s", path, exc)
        return None
    leaves = metadata.schema
    index = {leaves.column(i).path: i for i in range(len(leaves))}
    return {field.name: _column_range(metadata, index[field.name])
            for field in schema if _temporal(field) and field.name in index}


def first_created(store: SnapshotStore, dataset: str) -> str | None:
    """``created_at`` of the oldest version kept of `dataset`, or None."""
    versions = store.versions(dataset)
    manifest = store.read_manifest(dataset, versions[0]) if versions else None
    return (manifest or {}).get("created_at")
