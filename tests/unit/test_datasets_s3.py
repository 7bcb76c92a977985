"""The datasets service serving snapshots from an S3-compatible store (moto on loopback).

The same workspace is refreshed into a local folder and into a bucket; the same in-process
service (test_datasets_service.py's) over each answers the same records, aggregates and
exports, under the same policy (an official sees their territories only).
"""

from __future__ import annotations

import io

import geopandas as gpd
import pyarrow.parquet as pq
import pytest

from tests.datasets_support import build_workspace
from tests.s3_support import s3_files, s3_server
from tests.unit.test_datasets_service import get, records, start_service

REQUESTS = [("incidents", "analyst", {}), ("incidents", "elu-rivemont", {}),
            ("incidents", "analyst", {"where": "commune_code:eq:99102", "order_by": "-age"}),
            ("stations", "analyst", {"format": "geojson"})]
EXPORTS = [("incidents", "analyst", "parquet"), ("incidents", "elu-rivemont", "parquet"),
           ("incidents", "analyst", "csv"), ("stations", "analyst", "parquet")]


@pytest.fixture(scope="module")
def services(tmp_path_factory):
    with s3_server() as endpoint:
        local_ws = build_workspace(tmp_path_factory.mktemp("local"))
        root = tmp_path_factory.mktemp("s3")
        s3_ws = build_workspace(root, files=s3_files(endpoint, root / "work"))
        assert s3_ws.store.current_location("incidents").startswith("s3://")
        local, s3 = start_service(local_ws), start_service(s3_ws)
        yield local, s3
        local.stop()
        s3.stop()


@pytest.mark.parametrize(("dataset", "user", "params"), REQUESTS)
def test_records_from_s3_equal_local(services, dataset, user, params):
    local, s3 = (records(s, dataset, user, **params) for s in services)
    assert s3["records"] == local["records"] and s3["records"]


def test_listing_and_aggregates_from_s3_equal_local(services):
    listings = [get(s, "api/datasets", "elu-rivemont").json()["datasets"] for s in services]
    assert [d["id"] for d in listings[0]] == [d["id"] for d in listings[1]]
    path = "api/datasets/incidents/aggregate"
    local, s3 = (get(s, path, "analyst", by="commune_code") for s in services)
    assert local.status_code == s3.status_code == 200, s3.text
    local, s3 = ({k: v for k, v in r.json().items() if k != "version"} for r in (local, s3))
    assert s3 == local and s3["groups"]


@pytest.mark.parametrize(("dataset", "user", "fmt"), EXPORTS)
def test_exports_from_s3_equal_local(services, dataset, user, fmt):
    local, s3 = (get(s, f"api/datasets/{dataset}/export.{fmt}", user) for s in services)
    assert local.status_code == s3.status_code == 200, s3.text
    if fmt == "csv":
        assert s3.content == local.content
        return
    tables = [pq.read_table(io.BytesIO(r.content)) for r in (local, s3)]
    assert tables[1].equals(tables[0]) and tables[0].num_rows
    if dataset == "stations":  # the GeoParquet metadata came through from S3
        assert gpd.read_parquet(io.BytesIO(s3.content)).crs.to_epsg() == 2154
