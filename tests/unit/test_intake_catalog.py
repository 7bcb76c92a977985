"""The per-user Intake v2 catalog: right entries, slim metadata, the same catalog as JSON and
YAML, and a token read only at read time — with Intake's stock readers (partners) and with
Agora's notebook reader (``?reader=widgets``)."""

from __future__ import annotations

import json

import geopandas
import intake
import pandas as pd
import pytest
import yaml

from hub.services.datasets.published.catalog import (
    READER,
    STOCK_GEO,
    STOCK_TABLE,
    intake_catalog_json,
    intake_catalog_yaml,
)
from widgets.data import AgoraError, AgoraParquetReader

from .fake_datasets_service import AIR, STATIONS, fake_datasets

SERVICE = "http://127.0.0.1:9/agora/services/datasets/"


@pytest.fixture
def service(monkeypatch, fake_service):
    """The fake service, named by the workspace's AGORA_DATASETS_URL."""
    monkeypatch.setenv("AGORA_DATASETS_URL", fake_service.url)
    return fake_service


def load(tmp_path, service_url=SERVICE, reader="widgets"):
    path = tmp_path / "catalog.yaml"
    path.write_text(intake_catalog_yaml(fake_datasets(), service_url, reader), encoding="utf-8")
    return intake.from_yaml_file(str(path))


def stock(tmp_path, service_url=SERVICE):
    return load(tmp_path, service_url, reader="stock")


@pytest.mark.parametrize("reader", ["stock", "widgets"])
def test_catalog_lists_exactly_the_given_datasets(tmp_path, reader):
    cat = load(tmp_path, reader=reader)
    assert set(cat.entries) == {"air_quality", "ev_stations"}
    assert sorted(cat) == ["air_quality", "ev_stations"]  # aliases: list(), len(), completion
    assert len(cat) == 2


def test_an_empty_list_gives_a_valid_empty_catalog(tmp_path):
    path = tmp_path / "empty.yaml"
    path.write_text(intake_catalog_yaml([], SERVICE))
    assert intake.from_yaml_file(str(path)).entries == {}


def test_entries_read_the_parquet_export_with_our_reader(tmp_path):
    cat = load(tmp_path)
    air, stations = cat.entries["air_quality"], cat.entries["ev_stations"]
    assert air.reader == READER == AgoraParquetReader.qname()
    assert air.kwargs == {"url": SERVICE + "api/datasets/air_quality/export.parquet"}
    assert air.output_instance == "pandas:DataFrame"
    assert stations.output_instance == "geopandas:GeoDataFrame"


@pytest.mark.parametrize("reader", ["stock", "widgets"])
def test_entry_metadata_is_what_a_user_needs_to_browse(tmp_path, reader):
    meta = load(tmp_path, reader=reader)["air_quality"].metadata
    assert meta == {
        "title": "Air quality", "description": "Hourly PM10 readings.", "theme": "ENVI",
        "licence": "etalab-2.0", "updated": "2026-11-28T13:10:55+00:00", "rows": 3,
        "geo": False, "synthetic": True, "page": SERVICE + "api/datasets/air_quality"}
    assert load(tmp_path)["ev_stations"].metadata["geo"] is True


def test_the_columns_are_not_in_the_catalog_but_at_the_page(tmp_path):
    """The schema (names, types, rules) is served by api/datasets/{id} (`page`) only: a
    catalog of 1,000 datasets stays small enough to open in a few milliseconds."""
    text = intake_catalog_yaml(fake_datasets(), SERVICE, "stock")
    assert "columns" not in text and "sensor_id" not in text and "pseudonymised" not in text
    assert all("columns" not in entry.metadata for entry in load(tmp_path).entries.values())


@pytest.mark.parametrize("reader", ["stock", "widgets"])
def test_json_and_yaml_are_the_same_catalog(tmp_path, reader):
    text = intake_catalog_json(fake_datasets(), SERVICE, reader)
    assert json.loads(text) == yaml.safe_load(
        intake_catalog_yaml(fake_datasets(), SERVICE, reader))
    path = tmp_path / "catalog.json"  # JSON is YAML: Intake's YAML reader takes it too
    path.write_text(text, encoding="utf-8")
    assert sorted(intake.from_yaml_file(str(path))) == ["air_quality", "ev_stations"]


def test_yaml_is_plain_and_holds_no_secret():
    text = intake_catalog_yaml(fake_datasets(), SERVICE, "widgets")
    data = yaml.safe_load(text)
    assert data["version"] == 2 and data["data"] == {} and data["user_parameters"] == {}
    assert "Authorization" not in text and "token" not in text.lower()
    assert "!!python" not in text


def test_the_token_is_taken_from_the_environment_at_read_time(tmp_path, monkeypatch,
                                                              service):
    monkeypatch.delenv("AGORA_TOKEN", raising=False)
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "stale-token-at-load-time")
    reader = load(tmp_path, service.url)["air_quality"]

    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", service.token)
    frame = reader.read()
    pd.testing.assert_frame_equal(frame, AIR)
    assert service.requests[-1].authorization == f"token {service.token}"

    service.token = "rotated-token-9876543210"
    with pytest.raises(AgoraError) as refused:
        reader.read()
    assert refused.value.status == 403
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "rotated-token-9876543210")
    assert len(reader.read()) == 3


def test_agora_token_wins_over_the_workspace_token(tmp_path, monkeypatch, service):
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "the-workspace-owner-token")
    monkeypatch.setenv("AGORA_TOKEN", service.token)  # e.g. a report for a recipient
    assert len(load(tmp_path, service.url)["air_quality"].read()) == 3
    assert service.requests[-1].authorization == f"token {service.token}"


def test_without_a_token_reading_fails_clearly_and_sends_nothing(tmp_path, monkeypatch,
                                                                 service):
    monkeypatch.delenv("AGORA_TOKEN", raising=False)
    monkeypatch.delenv("JUPYTERHUB_API_TOKEN", raising=False)
    with pytest.raises(AgoraError, match="no token"):
        load(tmp_path, service.url)["air_quality"].read()
    assert service.requests == []


def test_a_refused_read_does_not_echo_the_token(tmp_path, monkeypatch, service):
    monkeypatch.delenv("AGORA_TOKEN", raising=False)
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "secret-but-wrong-token")
    with pytest.raises(AgoraError) as refused:
        load(tmp_path, service.url)["air_quality"].read()
    assert "secret-but-wrong-token" not in str(refused.value)
    assert "invalid, expired or insufficient token" in str(refused.value)


def test_a_geo_dataset_yields_a_geodataframe(tmp_path, monkeypatch, service):
    monkeypatch.setenv("AGORA_TOKEN", service.token)
    frame = load(tmp_path, service.url)["ev_stations"].read()
    assert isinstance(frame, geopandas.GeoDataFrame)
    assert frame.crs.to_epsg() == 4326
    assert list(frame["station_id"]) == ["E1", "E2"]


def test_read_can_keep_some_columns(tmp_path, monkeypatch, service):
    monkeypatch.setenv("AGORA_TOKEN", service.token)
    frame = load(tmp_path, service.url)["air_quality"].read(columns=["pm10"])
    assert list(frame.columns) == ["pm10"]


def test_the_token_goes_only_to_the_datasets_service(tmp_path, monkeypatch, service):
    """A catalog file is data anyone can write: an entry pointing elsewhere gets no token."""
    monkeypatch.setenv("AGORA_TOKEN", service.token)
    monkeypatch.setenv("AGORA_DATASETS_URL", "http://127.0.0.1:9/another/services/datasets/")
    with pytest.raises(AgoraError, match="refusing to send your token to http://127.0.0.1:"):
        load(tmp_path, service.url)["air_quality"].read()
    monkeypatch.delenv("AGORA_DATASETS_URL")
    with pytest.raises(AgoraError, match="refusing"):
        load(tmp_path, service.url)["air_quality"].read()
    assert service.requests == []


def test_a_service_trusted_explicitly_may_be_read(tmp_path, monkeypatch, service):
    from widgets.data import trust

    monkeypatch.setenv("AGORA_TOKEN", service.token)
    monkeypatch.delenv("AGORA_DATASETS_URL")
    trust(service.url)
    assert len(load(tmp_path, service.url)["air_quality"].read()) == 3


# Stock readers: what a partner's plain `pip install intake pandas pyarrow` reads.

def test_stock_entries_use_intakes_own_readers_on_the_parquet_export(tmp_path):
    cat = stock(tmp_path)
    air, stations = cat.entries["air_quality"], cat.entries["ev_stations"]
    assert (air.reader, stations.reader) == (STOCK_TABLE, STOCK_GEO)
    assert air.kwargs == {"args": ["{data(air_quality.parquet)}"]}
    data = cat.data["air_quality.parquet"]
    assert data.datatype == "intake.readers.datatypes:Parquet"
    assert data.kwargs["url"] == SERVICE + "api/datasets/air_quality/export.parquet"
    assert data.kwargs["storage_options"] == {"Authorization": "token {env(AGORA_TOKEN)}"}
    geo = cat.data["ev_stations.parquet"].kwargs
    assert geo["url"] == "simplecache::" + SERVICE + "api/datasets/ev_stations/export.parquet"
    assert geo["storage_options"]["http"] == {
        "headers": {"Authorization": "token {env(AGORA_TOKEN)}"}}


def test_the_stock_catalog_holds_a_template_never_a_token(monkeypatch):
    monkeypatch.setenv("AGORA_TOKEN", "a-real-token-0123456789")
    text = intake_catalog_yaml(fake_datasets(), SERVICE, "stock")
    assert "a-real-token" not in text and "!!python" not in text
    assert text.count("{env(AGORA_TOKEN)}") == 2


def test_a_stock_entry_takes_the_token_of_the_moment_it_is_picked(tmp_path, monkeypatch,
                                                                   service):
    """Intake fills the template when an entry is taken from the catalog (``cat[id]``): the
    catalog object itself keeps the template, so a new token needs no new catalog."""
    monkeypatch.setenv("AGORA_TOKEN", "stale-token-at-load-time")
    cat = stock(tmp_path, service.url)
    monkeypatch.setenv("AGORA_TOKEN", service.token)
    pd.testing.assert_frame_equal(cat["air_quality"].read(), AIR)
    assert service.requests[-1].authorization == f"token {service.token}"

    monkeypatch.setenv("AGORA_TOKEN", "not-the-right-token")
    with pytest.raises(Exception, match="403"):
        cat["air_quality"].read()
    assert service.requests[-1].authorization == "token not-the-right-token"
    assert "not-the-right-token" not in json.dumps(cat.to_dict())


def test_a_stock_geo_entry_yields_a_fresh_geodataframe_each_read(tmp_path, monkeypatch,
                                                                 service):
    monkeypatch.setenv("AGORA_TOKEN", service.token)
    entry = stock(tmp_path, service.url)["ev_stations"]
    frame = entry.read()
    assert isinstance(frame, geopandas.GeoDataFrame) and frame.crs.to_epsg() == 4326
    assert list(frame["station_id"]) == list(STATIONS["station_id"])
    exports = [r for r in service.requests if r.path.endswith("export.parquet")]
    assert exports and all(r.authorization == f"token {service.token}" for r in exports)
    entry.read()  # downloaded again, not served from a cache of the first read
    assert len([r for r in service.requests if r.path.endswith("export.parquet")]) > len(exports)
