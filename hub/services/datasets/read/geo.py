"""Geometries leaving the service: WKB from DuckDB -> GeoJSON (WGS 84) or WKT, in batches.

DuckDB 2 reads a GeoParquet geometry as GEOMETRY and hands it to Arrow as WKB. GeoJSON
(RFC 7946) is always longitude/latitude WGS 84, so geometries in another CRS (e.g. Lambert-93)
are reprojected with pyproj; the snapshot's CRS comes from its GeoParquet ``geo`` metadata.
"""

from __future__ import annotations

import json
from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import shapely

from hub.pipeline.store_fs import resolve

WGS84_CODES = {("EPSG", "4326"), ("OGC", "CRS84")}


@lru_cache(maxsize=256)
def geo_metadata(path: str) -> dict:
    """The GeoParquet `geo` metadata of a snapshot file ({} when not GeoParquet)."""
    filesystem, where = resolve(path)
    metadata = pq.read_schema(where, filesystem=filesystem).metadata or {}
    return json.loads(metadata.get(b"geo", b"{}"))


def column_crs(path: str, column: str):
    """The column's CRS as PROJJSON/string, or None (GeoParquet's default: OGC:CRS84)."""
    return (geo_metadata(path).get("columns", {}).get(column) or {}).get("crs")


@lru_cache(maxsize=64)
def _transformer(crs_json: str):
    import pyproj

    source = pyproj.CRS.from_user_input(json.loads(crs_json))
    authority = source.to_authority()
    if authority and tuple(authority) in WGS84_CODES:
        return None
    return pyproj.Transformer.from_crs(source, "OGC:CRS84", always_xy=True)


def to_wgs84(path: str, column: str):
    """A transformer to WGS 84 for `column` of snapshot `path`, or None if already WGS 84."""
    crs = column_crs(path, column)
    return None if crs is None else _transformer(json.dumps(crs, sort_keys=True))


def geometries(values: pa.Array | pa.ChunkedArray, transformer=None) -> np.ndarray:
    """Shapely geometries from a WKB array (None stays None), reprojected if asked."""
    wkb = np.asarray(values.to_pylist(), dtype=object)
    shapes = shapely.from_wkb(wkb)
    if transformer is not None:
        shapes = shapely.transform(shapes, lambda xy: np.column_stack(
            transformer.transform(xy[:, 0], xy[:, 1])))
    return shapes


def geojson_strings(values, transformer=None) -> list[str | None]:
    """GeoJSON geometry objects as JSON text (None for a missing geometry)."""
    shapes = geometries(values, transformer)
    texts = shapely.to_geojson(shapes)
    return [None if s is None else t for s, t in zip(shapes, texts)]


def geojson_objects(values, transformer=None) -> list[dict | None]:
    return [None if t is None else json.loads(t) for t in geojson_strings(values, transformer)]


def wkt_strings(values) -> list[str | None]:
    shapes = geometries(values)
    return [None if s is None else t for s, t in zip(shapes, shapely.to_wkt(shapes))]
