"""The file system DuckDB reads S3 snapshots through (DuckDB over it: test_datasets_s3.py)."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq
import pytest

from hub.pipeline.store_s3_reader import SnapshotFiles


def test_a_files_info_is_asked_for_once_and_a_missing_file_again(tmp_path):
    files = SnapshotFiles(pafs.LocalFileSystem())
    path = tmp_path / "data.parquet"
    pq.write_table(pa.table({"x": [1, 2, 3]}), path)
    size = files.info(str(path))["size"]
    path.write_bytes(b"")  # snapshot files never change: the first answer is kept
    assert files.info(str(path))["size"] == size
    missing = tmp_path / "later.parquet"
    with pytest.raises(FileNotFoundError):
        files.info(str(missing))
    missing.write_bytes(b"x")
    assert files.info(str(missing))["size"] == 1


def test_it_opens_files_for_reading_only(tmp_path):
    path = tmp_path / "data.parquet"
    pq.write_table(pa.table({"x": [1, 2, 3]}), path)
    files = SnapshotFiles(pafs.LocalFileSystem())
    with files.open(str(path), "rb") as source:
        assert pq.read_table(source).column("x").to_pylist() == [1, 2, 3]
    with pytest.raises(ValueError, match="read-only"):
        files.open(str(path), "wb")
