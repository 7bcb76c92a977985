"""Maps of a dataset (``.of``): the service computes and filters, the map follows its panel,
and readers see the recipe's titles and units."""

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, box

import widgets as w

from .widgets_fakes import (  # noqa: F401
    default_mode_and_locale,  # noqa: F401 (autouse)
    fake_source,
)

COMMUNES = gpd.GeoDataFrame(
    {"commune_code": ["69123", "69124", "69125"], "commune_name": ["Lyon", "Bron", "Caluire"]},
    geometry=[box(4.80, 45.70, 4.85, 45.75), box(4.85, 45.70, 4.90, 45.75),
              box(4.80, 45.75, 4.85, 45.80)], crs="EPSG:4326")


@pytest.fixture
def geo_source(fake_source):  # noqa: F811
    sensors = gpd.GeoDataFrame(
        fake_source.frame.assign(kind=["urbain", "urbain", "trafic", "trafic", "urbain"]),
        geometry=[Point(4.82, 45.72), Point(4.83, 45.73), Point(4.87, 45.72),
                  Point(4.88, 45.71), Point(4.82, 45.77)], crs="EPSG:4326")
    fake_source.frames = {"communes": COMMUNES, "air_quality": sensors}
    fake_source.metadata = {**fake_source.metadata, "columns": [
        *[{**c, "title": {"fr": "Particules PM10", "en": "PM10 particles"}, "unit": "µg/m³"}
          if c["name"] == "pm10" else c for c in fake_source.metadata["columns"]],
        {"name": "kind", "type": "string", "rule": None,
         "title": {"fr": "Type de site", "en": "Site type"}}]}
    return fake_source


def test_choropleth_of_a_dataset_asks_the_service_per_key_and_reads_the_boundaries(geo_source):
    m = w.ChoroplethMap.of("air_quality", boundaries="communes", key="commune_code",
                           measure="max:pm10", name="commune_name", noun="communes")
    text = m.alt_text()
    assert geo_source.called("aggregate")[-1]["by"] == ["commune_code"]
    assert geo_source.called("aggregate")[-1]["measures"] == ["max:pm10"]
    assert [c for c in geo_source.calls if c[0] == "read"][0][1] == "communes"
    assert text.startswith("Carte de 3 communes\u00a0: maximum de particules PM10, de 12")
    assert "61,5 µg/m³" in text and "Lyon" in text  # Lyon's highest reading, with its unit
    assert m.title == "maximum de particules PM10"


def test_a_map_follows_its_filter_panel(geo_source):
    panel = w.FilterPanel(geo_source.metadata["columns"],
                          options={"commune_code": ["69123", "69124", "69125"]})
    m = w.ChoroplethMap.of("air_quality", boundaries="communes", key="commune_code",
                           measure="count", name="commune_name", filters=panel)
    assert "de 1 à 2" in m.alt_text()
    panel.set("commune_code", ["69124"])
    assert "Carte de 3 zones" in m.alt_text() and "2 sans données" in m.alt_text()
    assert geo_source.called("aggregate")[-1]["where"] == [("commune_code", "in", ["69124"])]
    points = w.PointMap.of("air_quality", popup=["pm10"], filters=panel)
    assert points.alt_text().startswith("Carte de 2 points")
    panel.set("commune_code", ["69125"])
    assert points.alt_text().startswith("Carte de 1 point.")  # singular


def test_point_map_of_reads_only_the_columns_it_shows_and_titles_them(geo_source):
    m = w.PointMap.of("air_quality", popup=["commune_code", "pm10"], color_by="kind",
                      locale="en")
    assert m.alt_text() == "Map of 5 points, by Site type: urbain (3), trafic (2)."
    read = geo_source.called("read")[-1]
    assert read["select"] == ["commune_code", "pm10", "kind", "geometry"]
    assert m.popup == {"commune_code": "commune_code", "pm10": "PM10 particles"}
    page = m.html()
    assert "PM10 particles: 61.5" in page and "Site type" in page


def test_a_dataset_without_geometry_says_what_to_do(fake_source):  # noqa: F811
    fake_source.metadata = {**fake_source.metadata, "columns": [
        c for c in fake_source.metadata["columns"] if c["type"] != "geometry"]}
    with pytest.raises(TypeError, match="has no geometry.*lat= and lon="):
        w.PointMap.of("air_quality").alt_text()


def test_the_scale_bar_is_metric_only(geo_source):
    page = w.PointMap.of("air_quality").html()
    assert "L.control.scale({imperial: false})" in page
    assert "L.control.scale()" not in page


def test_maps_are_importable_from_the_package_lazily():
    from widgets import maps

    assert w.PointMap is maps.PointMap and "ChoroplethMap" in w.__all__
    with pytest.raises(AttributeError):
        w.NoSuchWidget  # noqa: B018


def test_read_sends_filters_and_columns_to_the_parquet_export(monkeypatch):
    import importlib

    catalog = importlib.import_module("widgets.catalog")
    asked = {}

    class Response:
        content = b""
        headers = {"Agora-Snapshot-Version": "20261202T010000Z"}

    def get(url, params=None):
        asked.update(url=url, params=params)
        return Response()

    monkeypatch.setattr(catalog, "get", get)
    monkeypatch.setattr("widgets.data.frame_from_parquet", lambda body: pd.DataFrame())
    catalog.read("air_quality", where=[("pm10", "gt", 50)], select=["pm10"], limit=10,
                 url="http://127.0.0.1:1/services/datasets/")
    assert asked["url"].endswith("/api/datasets/air_quality/export.parquet")
    assert asked["params"] == [("where", "pm10:gt:50"), ("select", "pm10"), ("limit", 10)]
    from widgets.lineage import forget, used

    assert used()["air_quality"] == ["20261202T010000Z"]
    forget()
