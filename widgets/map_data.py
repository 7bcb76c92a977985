"""Map data preparation: boundaries joined to values, points from coordinates, categories.

Everything here returns WGS 84 frames with the few columns a map draws (``agora_name``,
``agora_value``, ``geometry``), checked with errors that name the column at fault.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from .map_classes import CATEGORY_COLORS

MAX_CATEGORIES = len(CATEGORY_COLORS)
# Parsed once: pyproj takes about 6 ms to build a CRS from "EPSG:4326", which a map did four
# times per render (bench/widgets.py).
WGS84 = pyproj.CRS.from_epsg(4326)


def wgs84(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if frame.crs is not None and not frame.crs.equals(WGS84):
        frame = frame.to_crs(WGS84)
    return frame


def bounds_of(frames) -> list[list[float]]:
    boxes = np.array([f.total_bounds for f in frames if len(f)])
    west, south = boxes[:, 0].min(), boxes[:, 1].min()
    east, north = boxes[:, 2].max(), boxes[:, 3].max()
    return [[float(south), float(west)], [float(north), float(east)]]


def require_column(frame, column: str, what: str) -> None:
    if column not in frame.columns:
        columns = ", ".join(map(str, frame.columns))
        raise KeyError(f"{what} has no column {column!r}; it has: {columns}")


def geojson(frame: gpd.GeoDataFrame, columns: Sequence[str]) -> dict:
    geometry = shapely.transform(frame.geometry.values, lambda xy: np.round(xy, 6))
    slim = gpd.GeoDataFrame(frame[list(columns)].reset_index(drop=True),
                            geometry=list(geometry), crs=WGS84)
    return json.loads(slim.to_json())


def join_values(data, boundaries, key, boundaries_key, value, name) -> gpd.GeoDataFrame:
    """Boundaries with ``agora_name``, ``agora_value`` (NaN where data has none), WGS 84."""
    if boundaries is None:
        if not isinstance(data, gpd.GeoDataFrame):
            raise TypeError("boundaries must be a GeoDataFrame (or data one with polygons)")
        boundaries, data = data, None
    if data is None:
        require_column(boundaries, value, "boundaries")
        frame = boundaries.assign(agora_value=boundaries[value])
    else:
        frame = _merge(data, boundaries, key, boundaries_key, value, name)
    name = name or boundaries_key or key
    label_column = frame[name] if name and name in frame.columns else pd.Series(
        [str(i) for i in frame.index], index=frame.index)
    frame = frame.assign(agora_name=label_column.astype(str),
                         agora_value=_numeric(frame["agora_value"], value))
    return wgs84(gpd.GeoDataFrame(frame[["agora_name", "agora_value", "geometry"]],
                                  geometry="geometry", crs=boundaries.crs))


def _merge(data, boundaries, key, boundaries_key, value, name) -> pd.DataFrame:
    if key is None:
        raise TypeError("key= is needed to join data to boundaries")
    require_column(data, key, "data")
    require_column(data, value, "data")
    require_column(boundaries, boundaries_key, "boundaries")
    keys = data[key].astype("string")
    repeated = keys[keys.duplicated()].unique().tolist()
    if repeated:
        raise ValueError(f"data has several rows for {key} {', '.join(repeated[:5])}: "
                         f"aggregate first, e.g. data.groupby({key!r}, as_index=False)"
                         f"[{value!r}].sum()")
    values = pd.Series(data[value].to_numpy(), index=keys.to_numpy())
    codes = boundaries[boundaries_key].astype("string")
    unmatched = sorted(set(values.index) - set(codes.dropna()))
    if unmatched:
        warnings.warn(f"{len(unmatched)} {key} value(s) of data match no boundary and are "
                      f"not drawn: {', '.join(unmatched[:5])}", stacklevel=4)
    frame = boundaries.assign(agora_value=codes.map(values).to_numpy())
    if name and name not in boundaries.columns and name in data.columns:
        names = pd.Series(data[name].to_numpy(), index=keys.to_numpy())
        frame[name] = codes.map(names).fillna(codes).to_numpy()
    return frame


def _numeric(values: pd.Series, column: str) -> pd.Series:
    try:
        return pd.to_numeric(values, errors="raise").astype(float)
    except (TypeError, ValueError) as error:
        raise TypeError(f"column {column!r} must hold numbers to be mapped: {error}") from None


def point_frame(data, lat, lon) -> gpd.GeoDataFrame:
    """Points from `lat`/`lon` columns, or `data`'s own point geometry; rows without drop."""
    if lat is not None or lon is not None:
        require_column(data, lat, "data")
        require_column(data, lon, "data")
        coords = data[[lat, lon]].apply(pd.to_numeric, errors="coerce")
        keep = coords.notna().all(axis=1).to_numpy()
        frame = pd.DataFrame(data)[keep]
        if isinstance(data, gpd.GeoDataFrame):  # the coordinates given win over its geometry
            frame = frame.drop(columns=data.geometry.name)
        return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(coords[lon][keep],
                                                                   coords[lat][keep]),
                                crs=WGS84)
    if not isinstance(data, gpd.GeoDataFrame):
        raise TypeError("give lat= and lon= columns, or a GeoDataFrame of points")
    frame = wgs84(data)
    frame = frame[frame.geometry.notna() & ~frame.geometry.is_empty]
    if not (frame.geom_type == "Point").all():
        raise TypeError("PointMap draws Point geometries; use representative_point() first")
    return frame


def popup_columns(popup) -> dict[str, str]:
    if popup is None:
        return {}
    if isinstance(popup, str):
        return {popup: ""}
    if isinstance(popup, Mapping):
        return {str(k): str(v) for k, v in popup.items()}
    return {str(c): str(c) for c in popup}


def categories(values: pd.Series) -> list[tuple[object, int]]:
    """(category, count) by decreasing count; beyond 8, the rest as one "other"; missing
    values last, as "no data"."""
    counts = values.value_counts(dropna=False)
    known = [(k, int(n)) for k, n in counts.items() if not pd.isna(k)]
    missing = int(counts[[pd.isna(k) for k in counts.index]].sum())
    if len(known) > MAX_CATEGORIES:
        rest = sum(n for _, n in known[MAX_CATEGORIES - 1:])
        known = known[:MAX_CATEGORIES - 1] + [(OTHER, rest)]
    return known + ([(NO_DATA, missing)] if missing else [])


class Marker:
    """A category that is not a value of the data ("other", "no data")."""

    def __init__(self, key: str):
        self.key = key


OTHER, NO_DATA = Marker("other"), Marker("no_data")


def category_index(value, names) -> int:
    if pd.isna(value):
        return names.index(NO_DATA)
    return names.index(value) if value in names else names.index(OTHER)
