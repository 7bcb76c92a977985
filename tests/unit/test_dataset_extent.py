"""extent.py: a snapshot's date range from its Parquet footer, and its oldest version kept."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from hub.pipeline.store import SnapshotStore
from hub.services.datasets.read.extent import first_created, time_extent


def test_date_and_timestamp_columns_give_their_first_and_last_day(tmp_path):
    frame = pd.DataFrame({
        "at": pd.date_range("2024-03-01 23:30", periods=3, freq="D", tz="UTC"),
        "day": [dt.date(2023, 1, 5), dt.date(2022, 12, 31), None],
        "value": [1.0, 2.0, 3.0]})
    frame.to_parquet(tmp_path / "data.parquet", index=False, row_group_size=2)
    assert time_extent(tmp_path / "data.parquet") == {
        "at": ("2024-03-01", "2024-03-03"), "day": ("2022-12-31", "2023-01-05")}


def test_a_column_without_statistics_has_an_unknown_range(tmp_path):
    table = pa.table({"at": pa.array([dt.date(2024, 1, 1)], pa.date32())})
    pq.write_table(table, tmp_path / "data.parquet", write_statistics=False)
    assert time_extent(tmp_path / "data.parquet") == {"at": None}


def test_an_unreadable_file_has_no_extent(tmp_path):
    (tmp_path / "data.parquet").write_bytes(b"not parquet")
    assert time_extent(tmp_path / "data.parquet") is None  # unknown, not "no date column"


def test_first_created_is_the_oldest_version_kept(tmp_path):
    store = SnapshotStore(tmp_path)
    assert first_created(store, "nothing") is None
    for version, at in (("20250101T000000Z", "2025-01-01T00:00:00+00:00"),
                        ("20260101T000000Z", "2026-01-01T00:00:00+00:00")):
        folder = store.version_dir("air", version)
        folder.mkdir(parents=True)
        (folder / "manifest.json").write_text(f'{{"created_at": "{at}"}}')
    assert first_created(store, "air") == "2025-01-01T00:00:00+00:00"
