"""Compressed sources (gzip, bzip2, xz, zstd, zip) read by every file connector, on real files."""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import zipfile

import geopandas as gpd
import pandas as pd
import pyarrow as pa
import pytest
from shapely.geometry import Point

from hub.pipeline.interfaces import SourceError
from hub.pipeline.recipe import load_catalog
from hub.pipeline.refresh import RefreshEnv, refresh_many
from hub.pipeline.store import SnapshotStore

from .connector_support import run

CSV = "code;commune\n69123;Lyon\n42218;Saint-Étienne\n".encode()


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


COMPRESS = {
    "gzip": gzip.compress,
    "bzip2": bz2.compress,
    "xz": lzma.compress,
    "zstd": lambda data: pa.compress(data, codec="zstd", asbytes=True),
    "zip": lambda data: zipped({"export/data": data, "__MACOSX/._data": b"junk"}),
}


@pytest.mark.parametrize("kind", COMPRESS)
def test_a_compressed_csv_is_read_like_the_plain_one(tmp_path, kind):
    (tmp_path / "plain.csv").write_bytes(CSV)
    (tmp_path / "packed.csv").write_bytes(COMPRESS[kind](CSV))  # the name says nothing
    plain, packed = run("csv", tmp_path, path="plain.csv"), run("csv", tmp_path, path="packed.csv")
    pd.testing.assert_frame_equal(packed.frame, plain.frame)
    assert packed.frame["commune"].tolist() == ["Lyon", "Saint-Étienne"]
    assert packed.details["compression"] == kind
    assert packed.details["bytes"] == len(COMPRESS[kind](CSV)) or kind == "zip"
    assert packed.fingerprint == plain.fingerprint  # of the content, not of its packing


def test_every_file_connector_reads_gzip(tmp_path):
    frame = pd.DataFrame({"code": ["69123", "42218"], "n": [1, 2]})
    geo = gpd.GeoDataFrame(frame, geometry=[Point(4.8, 45.7), Point(4.4, 45.4)], crs="EPSG:4326")
    workbook, geoparquet = io.BytesIO(), io.BytesIO()
    frame.to_excel(workbook, index=False)
    geo.to_parquet(geoparquet)
    files = {"x.json": json.dumps(frame.to_dict("records")).encode(),
             "x.parquet": frame.to_parquet(), "x.xlsx": workbook.getvalue(),
             "x.geojson": geo.to_json().encode(), "x.geoparquet": geoparquet.getvalue()}
    for name, data in files.items():
        (tmp_path / f"{name}.gz").write_bytes(gzip.compress(data))
    for connector in ("json", "parquet", "xlsx", "geojson", "geoparquet"):
        read = run(connector, tmp_path, path=f"x.{connector}.gz")
        assert read.frame["code"].astype(str).tolist() == ["69123", "42218"], connector
        assert read.details["compression"] == "gzip"
    assert run("geoparquet", tmp_path, path="x.geoparquet.gz").frame.crs == "EPSG:4326"


def test_a_zipped_workbook_is_unpacked_and_a_plain_one_is_not(tmp_path):
    workbook = io.BytesIO()
    pd.DataFrame({"poste": ["Écoles"]}).to_excel(workbook, index=False)
    (tmp_path / "budget.xlsx").write_bytes(workbook.getvalue())
    (tmp_path / "budget.zip").write_bytes(zipped({"budget.xlsx": workbook.getvalue()}))
    assert "compression" not in run("xlsx", tmp_path, path="budget.xlsx").details
    read = run("xlsx", tmp_path, path="budget.zip")
    assert read.frame["poste"].tolist() == ["Écoles"] and read.details["member"] == "budget.xlsx"


def test_a_zip_of_several_files_needs_a_member(tmp_path):
    (tmp_path / "two.zip").write_bytes(zipped({"a.csv": CSV, "docs/b.csv": b"x\n1\n",
                                               "docs/": b"", ".DS_Store": b"junk"}))
    with pytest.raises(SourceError) as raised:
        run("csv", tmp_path, path="two.zip")
    assert str(raised.value) == ("two.zip: the zip archive holds 2 files (a.csv, docs/b.csv); "
                                 "name the one to read with `member:`")
    assert run("csv", tmp_path, path="two.zip", member="docs/b.csv").frame["x"].tolist() == ["1"]
    with pytest.raises(SourceError, match="no file 'c.csv'; it holds a.csv, docs/b.csv"):
        run("csv", tmp_path, path="two.zip", member="c.csv")
    (tmp_path / "plain.csv").write_bytes(CSV)
    with pytest.raises(SourceError, match="remove `member`"):
        run("csv", tmp_path, path="plain.csv", member="a.csv")


@pytest.mark.parametrize("kind", COMPRESS)
def test_a_truncated_archive_is_refused(tmp_path, kind):
    packed = COMPRESS[kind](CSV * 200)
    (tmp_path / "cut.csv").write_bytes(packed[: len(packed) * 2 // 3])
    with pytest.raises(SourceError) as raised:
        run("csv", tmp_path, path="cut.csv")
    assert str(raised.value).startswith(f"cut.csv: the {kind} archive is truncated or corrupt (")
    assert str(raised.value).endswith("it was probably cut while copying — fetch it again")


@pytest.mark.parametrize("kind", ["gzip", "zstd", "zip"])
def test_a_bomb_stops_at_the_size_limit(tmp_path, kind):
    """64 MiB of zeros in a few KiB: reading stops one chunk past the limit."""
    (tmp_path / "bomb.csv").write_bytes(COMPRESS[kind](b"a\n" + bytes(64 << 20)))
    with pytest.raises(SourceError) as raised:
        run("csv", tmp_path, path="bomb.csv", max_bytes=1 << 20)
    assert str(raised.value).startswith("bomb.csv (decompressed): the source goes on past the "
                                        "limit, and a refresh reads at most 1.0 MiB")


def test_a_zipped_shapefile_is_still_read_as_a_zip_and_may_be_gzipped(tmp_path):
    from .test_connectors_files import shapefile_zip

    data = shapefile_zip(tmp_path)
    (tmp_path / "communes.zip").write_bytes(data)
    (tmp_path / "communes.zip.gz").write_bytes(gzip.compress(data))
    assert len(run("shapefile_zip", tmp_path, path="communes.zip").frame) == 2
    assert len(run("shapefile_zip", tmp_path, path="communes.zip.gz").frame) == 2


def test_a_refresh_publishes_a_gzipped_csv_and_never_a_truncated_one(tmp_path):
    for folder in ("catalogs", "sources"):
        (tmp_path / folder).mkdir()
    (tmp_path / "catalogs" / "air.yaml").write_text(
        "title: Air\ndescription: PM10.\nsource:\n  connector: csv\n  path: air.csv.gz\n")
    source = tmp_path / "sources" / "air.csv.gz"
    rows = b"station;pm10\n" + b"".join(b"S%d;%d\n" % (i, i) for i in range(1000))
    source.write_bytes(gzip.compress(rows))
    env = RefreshEnv(SnapshotStore(tmp_path / "store"), tmp_path / "sources", environ={})
    good = refresh_many(load_catalog(tmp_path / "catalogs"), env)[0]
    assert (good.result, good.rows) == ("new", 1000)
    assert env.store.read_manifest("air")["source"]["details"]["compression"] == "gzip"
    source.write_bytes(gzip.compress(rows + b"S1000;7\n")[:-200])  # cut while copying
    failed = refresh_many(load_catalog(tmp_path / "catalogs"), env)[0]
    assert failed.failed and env.store.current("air") == good.version
    assert "air.csv.gz: the gzip archive is truncated or corrupt" in failed.error
