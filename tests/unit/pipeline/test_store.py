"""The snapshot store: complete versions only, atomic `current`, retention, status, privacy."""

import json
import stat
import threading
from datetime import UTC, datetime

import geopandas
import pandas as pd
import pytest
from shapely.geometry import Point

from hub.pipeline import store as store_module
from hub.pipeline.store import DatasetBusy, SnapshotStore


def frame(batch: int, rows: int | None = None) -> pd.DataFrame:
    rows = rows if rows is not None else 1000 * (batch + 1)
    return pd.DataFrame({"batch": [batch] * rows, "n": range(rows)})


def test_a_version_becomes_current_with_its_manifest(tmp_path):
    store = SnapshotStore(tmp_path / "store")
    assert store.current("air") is None and store.current_path("air") is None
    with store.lock("air"):
        version = store.write_version("air", frame(0, 3), {"recipe_hash": "h"})
    assert store.current("air") == version and store.versions("air") == [version]
    manifest = store.read_manifest("air")
    assert manifest["dataset"] == "air" and manifest["version"] == version
    assert manifest["row_count"] == 3 and manifest["recipe_hash"] == "h"
    assert manifest["schema"] == [{"name": "batch", "type": "int64"},
                                  {"name": "n", "type": "int64"}]
    created = datetime.fromisoformat(manifest["created_at"])
    assert created.tzinfo is not None and abs(datetime.now(UTC) - created).total_seconds() < 60
    assert store.read_current("air")["n"].tolist() == [0, 1, 2]
    assert not list((store.dataset_dir("air") / ".staging").iterdir())


def test_store_folders_are_private(tmp_path):
    store = SnapshotStore(tmp_path / "store")
    with store.lock("air"):
        version = store.write_version("air", frame(0, 1), {})
    for folder in (store.root, store.dataset_dir("air"), store.version_dir("air", version),
                   store.dataset_dir("air") / "versions"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder


def test_retention_keeps_n_versions_and_never_the_current_one(tmp_path):
    store = SnapshotStore(tmp_path / "store", retain=2)
    written = [store.write_version("air", frame(i, 1), {}) for i in range(4)]
    assert store.versions("air") == written[-2:]
    # An older version made current by hand (a rollback) survives pruning.
    (store.dataset_dir("air") / "CURRENT").write_text(written[2] + "\n")
    newer = [store.write_version("air", frame(9, 1), {}) for _ in range(2)]
    store.prune("air", retain=1)
    assert store.current("air") == newer[-1]
    assert store.versions("air") == [newer[-1]]
    assert store.prune("air", retain=1) == []


def readers_see_only_whole_versions(store, readers: int, publications: int) -> None:
    """`readers` threads read `current` while `publications` versions of growing size are
    published: none sees a partial version, and they really read across the switches."""
    store.write_version("air", frame(0), {})
    done, seen, errors = threading.Event(), set(), []

    def reader():
        while not done.is_set():
            try:
                data = store.read_current("air")
                batch = int(data["batch"].iloc[0])
                assert len(data) == 1000 * (batch + 1) and data["batch"].nunique() == 1
                seen.add(batch)
            except Exception as exc:  # any torn read, missing file or bad parquet fails
                errors.append(repr(exc))

    threads = [threading.Thread(target=reader) for _ in range(readers)]
    for thread in threads:
        thread.start()
    for batch in range(1, publications + 1):
        store.write_version("air", frame(batch), {})
    done.set()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(seen) > 1  # the readers really read while versions were switched


def test_a_reader_never_sees_a_partial_version(tmp_path):
    readers_see_only_whole_versions(SnapshotStore(tmp_path / "store", retain=2), 2, 14)


def test_a_crash_while_writing_keeps_current_and_is_cleaned_later(tmp_path, monkeypatch):
    store = SnapshotStore(tmp_path / "store")
    good = store.write_version("air", frame(0, 5), {})
    real_write = store_module.write_parquet

    def half_write(data, path):
        path.write_bytes(b"PAR1 half a file")
        raise OSError("disk full")

    monkeypatch.setattr(store_module, "write_parquet", half_write)
    with pytest.raises(OSError, match="disk full"):
        store.write_version("air", frame(1, 5), {})
    assert store.current("air") == good and store.versions("air") == [good]
    assert len(list((store.dataset_dir("air") / ".staging").iterdir())) == 1
    monkeypatch.setattr(store_module, "write_parquet", real_write)
    store.write_version("air", frame(2, 5), {})
    assert not list((store.dataset_dir("air") / ".staging").iterdir())


def test_geodataframes_are_stored_as_geoparquet(tmp_path):
    store = SnapshotStore(tmp_path / "store")
    points = geopandas.GeoDataFrame({"name": ["a", "b"]},
                                    geometry=[Point(4.8, 45.7), Point(4.9, 45.8)],
                                    crs="EPSG:4326")
    store.write_version("stations", points, {})
    manifest = store.read_manifest("stations")
    assert manifest["geo"] is True
    assert {"name": "geometry", "type": "geometry"} in manifest["schema"]
    back = store.read_current("stations")
    assert isinstance(back, geopandas.GeoDataFrame) and back.crs.to_epsg() == 4326
    assert back.geometry.iloc[0].equals(Point(4.8, 45.7))


def test_one_refresh_per_dataset_at_a_time(tmp_path):
    store = SnapshotStore(tmp_path / "store")
    with store.lock("air"):
        with pytest.raises(DatasetBusy, match="already running"):
            with store.lock("air"):
                pass
        with store.lock("water"):
            pass
    with store.lock("air"):
        pass


def test_status_file_records_attempts_successes_and_failures(tmp_path):
    status = SnapshotStore(tmp_path / "store").status("air")
    assert status.read() == {} and status.last_attempt() is None
    at = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)
    status.record_attempt(at)
    status.record_failure(at, "source: truncated", 1.5)
    status.record_failure(at, "source: truncated again", 1.5)
    data = status.read()
    assert data["last_result"] == "failed" and data["consecutive_failures"] == 2
    assert data["last_error"] == {"at": "2026-01-05T06:00:00+00:00",
                                  "message": "source: truncated again"}
    assert status.last_attempt() == at
    status.record_success(at, "new", "v1", 2.0)
    data = json.loads(open(status.location).read())
    assert data["consecutive_failures"] == 0 and data["last_success"]["version"] == "v1"
    assert data["last_error"]["message"] == "source: truncated again"  # kept for history


def test_nullable_integers_are_written_and_read_back(tmp_path):
    store = SnapshotStore(tmp_path / "store")
    data = pd.DataFrame({"population": pd.array([None, 239, 2**53 + 1], dtype="Int64")})
    with store.lock("communes"):
        store.write_version("communes", data, {})
    assert store.read_manifest("communes")["schema"] == [{"name": "population", "type": "int64"}]
    back = store.read_current("communes")["population"]
    assert back.dtype == "Int64" and back.tolist() == [pd.NA, 239, 2**53 + 1]
