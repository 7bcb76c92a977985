"""The same snapshot store on a local folder and on an S3-compatible server (moto, loopback).

Write, read, current, manifests, status, prune and rollback behave alike; a version cut off
between its objects (or its writer killed) is never current, never listed, and cleaned by the
next write; readers following CURRENT never see a partial version.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from datetime import UTC, datetime

import pyarrow.fs as pafs
import pytest

from hub.pipeline import store_fs
from hub.pipeline.store import SnapshotStore
from tests.s3_support import s3_files, s3_server

from .test_store import frame, readers_see_only_whole_versions


@pytest.fixture(scope="module")
def endpoint():
    with s3_server() as url:
        yield url


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path):
    if request.param == "local":
        return SnapshotStore(tmp_path / "store", retain=2)
    endpoint = request.getfixturevalue("endpoint")
    return SnapshotStore(s3_files(endpoint, tmp_path / "work"), retain=2)


def test_write_read_current_and_manifest(store):
    assert store.current("air") is None and store.versions("air") == []
    with store.lock("air"):
        version = store.write_version("air", frame(0, 3), {"recipe_hash": "h"})
    assert store.current("air") == version and store.versions("air") == [version]
    assert store.datasets() == ["air"]
    manifest = store.read_manifest("air")
    assert manifest["version"] == version and manifest["row_count"] == 3
    assert manifest["recipe_hash"] == "h"
    assert store.read_current("air")["n"].tolist() == [0, 1, 2]
    assert store.current_location("air").endswith(f"air/versions/{version}/data.parquet")


def test_locations_are_s3_urls_on_s3(store):
    store.write_version("air", frame(0, 1), {})
    location = store.current_location("air")
    assert location.startswith("s3://" if isinstance(store.files, store_fs.S3Files) else "/")
    with store_fs.open_input(location) as handle:
        assert handle.read(4) == b"PAR1"


def test_prune_keeps_retain_versions_and_a_rolled_back_current(store):
    written = [store.write_version("air", frame(i, 1), {}) for i in range(4)]
    assert store.versions("air") == written[-2:]
    store.files.write_text("air/CURRENT", written[2] + "\n")  # a rollback by hand
    assert store.prune("air", retain=1) == [] and store.versions("air") == written[-2:]
    assert store.read_current("air")["batch"].tolist() == [2]
    store.files.write_text("air/CURRENT", written[3] + "\n")
    assert store.prune("air", retain=1) == [written[2]]
    assert store.versions("air") == [written[3]]


def test_status_records_attempts_and_failures(store):
    status = store.status("air")
    assert status.read() == {}
    at = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)
    status.record_attempt(at)
    status.record_failure(at, "source: truncated", 1.5)
    assert status.read()["consecutive_failures"] == 1 and status.last_attempt() == at
    status.record_success(at, "new", "v1", 2.0)
    assert store.status("air").read()["last_success"]["version"] == "v1"


def cut_between_objects(monkeypatch):
    """Uploads (S3) or renames (local) fail after the data file: a writer stopping there."""
    real_copy = pafs.copy_files

    def copy_data_only(source, destination, **options):
        if destination.endswith(store_fs.MANIFEST_FILE):
            raise OSError("connection reset")
        real_copy(source, destination, **options)

    monkeypatch.setattr(store_fs.pafs, "copy_files", copy_data_only)
    monkeypatch.setattr(store_fs.Path, "rename", lambda *_: (_ for _ in ()).throw(
        OSError("connection reset")))


def test_a_version_cut_between_objects_is_never_current_and_is_cleaned(store, monkeypatch):
    good = store.write_version("air", frame(0, 5), {})
    with monkeypatch.context() as patch:
        cut_between_objects(patch)
        with pytest.raises(OSError, match="connection reset"):
            store.write_version("air", frame(1, 5), {})
    assert store.current("air") == good and store.versions("air") == [good]
    assert store.read_current("air")["batch"].tolist() == [0] * 5
    newer = store.write_version("air", frame(2, 5), {})
    assert store.versions("air") == [good, newer]
    assert store.files.folders("air/versions") == [good, newer]  # the cut one is gone


def _write_then_hang(store: SnapshotStore) -> None:
    """In a child process: upload one version's data, then wait to be killed."""
    real_copy = pafs.copy_files

    def copy_then_hang(source, destination, **options):
        if destination.endswith(store_fs.MANIFEST_FILE):
            os.kill(os.getpid(), signal.SIGSTOP)
        real_copy(source, destination, **options)

    store_fs.pafs.copy_files = copy_then_hang
    store.write_version("air", frame(7, 5), {})


def test_a_killed_writer_leaves_the_current_version_served(endpoint, tmp_path):
    store = SnapshotStore(s3_files(endpoint, tmp_path / "work"))
    good = store.write_version("air", frame(0, 5), {})
    writer = multiprocessing.get_context("spawn").Process(target=_write_then_hang, args=(store,))
    writer.start()
    os.waitpid(writer.pid, os.WUNTRACED)  # stopped between the data and the manifest
    os.kill(writer.pid, signal.SIGKILL)
    writer.join(10)
    assert len(store.files.folders("air/versions")) == 2  # its data object is there
    assert store.current("air") == good and store.versions("air") == [good]
    store.write_version("air", frame(1, 5), {})
    assert len(store.files.folders("air/versions")) == 2 == len(store.versions("air"))


def test_a_reader_never_sees_a_partial_version(store):
    readers_see_only_whole_versions(store, 1, 7)


def test_settings_choose_the_store(endpoint, tmp_path):
    from hub.config.loading import load_settings
    from hub.config.problems import ConfigProblems
    from hub.pipeline.store import open_store
    from tests.s3_support import KEYS, new_bucket

    environ = {"AGORA_HUB__DATA_DIR": str(tmp_path)}
    assert open_store(load_settings(environ=environ)).root == tmp_path / "store"
    bucket = new_bucket(endpoint)
    environ |= {"AGORA_DATA__STORE_URL": f"s3://{bucket}/agora",
                "AGORA_DATA__S3_ENDPOINT": endpoint, "AGORA_DATA__S3_REGION": "us-east-1",
                "AWS_ACCESS_KEY_ID": KEYS["access_key"],
                "AWS_SECRET_ACCESS_KEY": KEYS["secret_key"]}
    store = open_store(load_settings(environ=environ), environ)
    store.write_version("air", frame(0, 2), {})
    assert store.current_location("air").startswith(f"s3://{bucket}/agora/air/versions/")
    with pytest.raises(ConfigProblems, match="store_url"):
        load_settings(environ={**environ, "AGORA_DATA__STORE_URL": "/srv/store"})
