import geopandas as gpd
import pandas as pd
import pytest
import shapely
from pydantic import ValidationError

from hub.pipeline.interfaces import ProcessingError

from .processor_support import run

BOUNDARIES = gpd.GeoDataFrame(
    {"code_insee": ["69123", "69266"], "nom": ["Lyon", "Villeurbanne"]},
    geometry=[shapely.box(4.77, 45.70, 4.87, 45.81), shapely.box(4.87, 45.74, 4.92, 45.79)],
    crs="EPSG:4326",
).to_crs("EPSG:2154")  # stored in Lambert-93: the join must reproject


def test_points_from_lat_lon_with_decimal_commas_and_invalid_counted():
    frame = pd.DataFrame({"lon": ["4,8357", "4.88", "abc", None, "0", "200"],
                          "lat": ["45,7640", "45.77", "45", None, "0", "45"]})
    result = run("geo_points", frame, lon="lon", lat="lat")
    out = result.out
    assert isinstance(out, gpd.GeoDataFrame) and out.geometry.name == "geometry"
    assert out.crs == "EPSG:4326"
    assert out.geometry[0].equals(shapely.Point(4.8357, 45.764))
    assert out.geometry.isna().tolist() == [False, False, True, True, True, True]
    assert result.quality["lat"] == {"invalid_coordinates": 3,
                                     "invalid_coordinates_examples": ["abc, 45", "0, 0", "200, 45"]}


def test_lambert93_points_are_reprojected_and_out_of_area_rejected():
    frame = pd.DataFrame({"x": [842000.0, 45.76], "y": [6519000.0, 4.83]})
    result = run("geo_points", frame, lon="x", lat="y", crs="EPSG:2154", drop_source=True)
    point = result.out.geometry[0]
    assert point.x == pytest.approx(4.8268, abs=1e-3) and point.y == pytest.approx(45.7558, abs=1e-3)
    assert result.out.geometry[1] is None
    assert list(result.out.columns) == ["geometry"]
    assert result.quality["y"]["invalid_coordinates"] == 1


def test_points_from_wkt():
    frame = pd.DataFrame({"wkt": ["POINT (842000 6519000)", "POINT (1 2", None], "id": [1, 2, 3]})
    result = run("geo_points", frame, wkt="wkt", crs="EPSG:2154")
    assert result.out.geometry[0].x == pytest.approx(4.8268, abs=1e-3)
    assert result.out.geometry.isna().tolist() == [False, True, True]
    assert result.quality["wkt"] == {"invalid_geometry": 1,
                                     "invalid_geometry_examples": ["POINT (1 2"]}


def test_spatial_join_adds_commune_attributes():
    points = gpd.GeoDataFrame({"id": [1, 2, 3, 4]}, crs="EPSG:4326", geometry=[
        shapely.Point(4.83, 45.76), shapely.Point(4.89, 45.77), shapely.Point(2.35, 48.85), None])
    result = run("geo_join", points, datasets={"communes": BOUNDARIES}, dataset="communes",
                 columns=["code_insee", "nom"], prefix="commune_")
    assert result.out["commune_code_insee"].tolist()[:2] == ["69123", "69266"]
    assert result.out["commune_code_insee"][2:].isna().all()
    assert result.quality["geometry"]["unmatched_geometries"] == 1
    assert result.quality["geometry"]["unmatched_geometries_examples"] == ["POINT (2.35 48.85)"]
    inner = run("geo_join", points, datasets={"communes": BOUNDARIES}, dataset="communes",
                columns=["code_insee"], how="inner")
    assert inner.out["id"].tolist() == [1, 2]


def test_border_points_take_the_first_polygon_with_intersects():
    on_border = gpd.GeoDataFrame(geometry=[shapely.Point(4.87, 45.76)], crs="EPSG:4326")
    boundaries = gpd.GeoDataFrame({"code_insee": ["69123", "69266"]}, crs="EPSG:4326",
                                  geometry=[shapely.box(4.77, 45.7, 4.87, 45.81),
                                            shapely.box(4.87, 45.74, 4.92, 45.79)])
    result = run("geo_join", on_border, datasets={"communes": boundaries}, dataset="communes",
                 columns=["code_insee"], predicate="intersects")
    assert result.out["code_insee"].tolist() == ["69123"]
    assert result.notes["multiple_matches"] == 1


def test_geo_join_needs_geometries_on_both_sides():
    plain = pd.DataFrame({"x": [1]})
    with pytest.raises(ProcessingError, match="geo_points first"):
        run("geo_join", plain, datasets={"communes": BOUNDARIES}, dataset="communes", columns=["nom"])
    points = gpd.GeoDataFrame(geometry=[shapely.Point(4.83, 45.76)], crs="EPSG:4326")
    with pytest.raises(ProcessingError, match="'communes' has no geometry"):
        run("geo_join", points, datasets={"communes": plain}, dataset="communes", columns=["x"])
    with pytest.raises(ProcessingError, match=r"'surface'.*available: code_insee, nom"):
        run("geo_join", points, datasets={"communes": BOUNDARIES}, dataset="communes",
            columns=["surface"])


def test_reproject_and_rename_geometry():
    frame = gpd.GeoDataFrame({"id": [1]}, geometry=gpd.GeoSeries([shapely.Point(842000, 6519000)]))
    frame = frame.rename_geometry("geom")
    with pytest.raises(ProcessingError, match="assume_crs"):
        run("geo_reproject", frame)
    out = run("geo_reproject", frame, assume_crs="EPSG:2154").out
    assert out.crs == "EPSG:4326" and out.geometry.name == "geometry"
    assert out.geometry[0].x == pytest.approx(4.8268, abs=1e-3)


def test_params_validation():
    frame = pd.DataFrame({"lon": [1.0], "lat": [1.0]})
    with pytest.raises(ValidationError):
        run("geo_points", frame, lon="lon")
    with pytest.raises(ValidationError):
        run("geo_points", frame, lon="lon", lat="lat", wkt="w")
    with pytest.raises(ValidationError):
        run("geo_points", frame, lon="lon", lat="lat", crs="EPSG:999999")
    with pytest.raises(ValidationError):
        run("geo_join", frame, dataset="communes", columns=[])
    with pytest.raises(ProcessingError, match=r"'longitude'.*available: lon, lat"):
        run("geo_points", frame, lon="longitude", lat="lat")
