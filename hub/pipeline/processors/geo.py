"""geo_points and geo_reproject: make geometry, always output in EPSG:4326 (WGS 84).

``geo_points`` builds points from longitude/latitude columns (or x/y in a projected CRS such
as Lambert-93 EPSG:2154, given by ``crs``) or parses a WKT column. Coordinates written with a
decimal comma ("45,76") are read. Invalid coordinates — not numbers, out of range, outside the
CRS's area of use, or (0, 0) with ``reject_zero`` — give a null geometry, counted as
``invalid_coordinates``; unreadable WKT is counted as ``invalid_geometry``. The output is a
GeoDataFrame whose geometry column is named ``geometry``.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pydantic import field_validator, model_validator

from ..interfaces import Params, ProcessContext, ProcessingError, Processor
from ._common import as_text, examples, require_columns
from ._crs import WGS84, check_crs, to_wgs84


class GeoPointsParams(Params):
    lon: str | None = None
    lat: str | None = None
    wkt: str | None = None
    crs: str = WGS84
    reject_zero: bool = True
    drop_source: bool = False

    _crs = field_validator("crs")(classmethod(lambda cls, v: check_crs(v)))

    @model_validator(mode="after")
    def _one_source(self):
        if bool(self.wkt) == bool(self.lon and self.lat) or bool(self.lon) != bool(self.lat):
            raise ValueError("give either `lon` and `lat`, or `wkt`")
        return self


class GeoPoints(Processor):
    """Points from lon/lat (or x/y in ``crs``) columns or a WKT column, reprojected to WGS 84.

        - geo_points: {lon: longitude, lat: latitude}
        - geo_points: {lon: x_l93, lat: y_l93, crs: "EPSG:2154", drop_source: true}
        - geo_points: {wkt: geom_wkt, crs: "EPSG:2154"}
    """

    name = "geo_points"
    summary = "Point geometry from lon/lat or x/y columns or WKT; invalid -> null; EPSG:4326 out"
    Params = GeoPointsParams

    def apply(self, frame: pd.DataFrame, context: ProcessContext) -> gpd.GeoDataFrame:
        p = self.params
        sources = [p.wkt] if p.wkt else [p.lon, p.lat]
        require_columns(frame, sources, self.name)
        geometry = self._from_wkt(frame, context) if p.wkt else self._from_xy(frame, context)
        out = pd.DataFrame(frame).copy()
        if p.drop_source:
            out = out.drop(columns=[c for c in sources if c != "geometry"])
        out = out.drop(columns=["geometry"], errors="ignore")
        return gpd.GeoDataFrame(out, geometry=geometry, crs=WGS84)

    def _from_xy(self, frame: pd.DataFrame, context) -> gpd.GeoSeries:
        p = self.params
        x, y = _coordinate(frame[p.lon]), _coordinate(frame[p.lat])
        lon, lat, ok = to_wgs84(x, y, p.crs)
        if p.reject_zero:
            ok &= ~((x == 0) & (y == 0))
        given = (frame[p.lon].notna() | frame[p.lat].notna()).to_numpy()
        bad = given & ~ok
        if bad.any():
            pairs = as_text(frame[p.lon]) + ", " + as_text(frame[p.lat])
            context.quality.count(p.lat, "invalid_coordinates", int(bad.sum()), examples(pairs[bad]))
        geoms = np.full(len(frame), None, dtype=object)
        geoms[ok] = shapely.points(lon[ok], lat[ok])
        return gpd.GeoSeries(geoms, index=frame.index, crs=WGS84)

    def _from_wkt(self, frame: pd.DataFrame, context) -> gpd.GeoSeries:
        text = as_text(frame[self.params.wkt])
        geoms = shapely.from_wkt(text.to_numpy(dtype=object, na_value=None), on_invalid="ignore")
        bad = text.notna().to_numpy() & pd.isna(geoms)
        if bad.any():
            context.quality.count(self.params.wkt, "invalid_geometry", int(bad.sum()),
                                  examples(text[bad]))
        return gpd.GeoSeries(geoms, index=frame.index, crs=self.params.crs).to_crs(WGS84)


def _coordinate(series: pd.Series) -> np.ndarray:
    """float64 coordinates; text with a decimal comma is read, anything else is NaN."""
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        return series.to_numpy(dtype="float64", na_value=np.nan)
    text = as_text(series).str.strip().str.replace(",", ".", regex=False)
    return pd.to_numeric(text, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)


class GeoReprojectParams(Params):
    to: str = WGS84
    assume_crs: str | None = None

    _crs = field_validator("to", "assume_crs")(
        classmethod(lambda cls, v: v if v is None else check_crs(v)))


class GeoReproject(Processor):
    """Reproject a GeoDataFrame (default to EPSG:4326); ``assume_crs`` for files without one.

        - geo_reproject: {assume_crs: "EPSG:2154"}
    """

    name = "geo_reproject"
    summary = "Reproject geometry to EPSG:4326 (or `to`), naming the geometry column `geometry`"
    Params = GeoReprojectParams

    def apply(self, frame: pd.DataFrame, context: ProcessContext) -> gpd.GeoDataFrame:
        if not isinstance(frame, gpd.GeoDataFrame):
            raise ProcessingError(f"{self.name}: the data has no geometry (use geo_points first)")
        out = frame.copy()
        if out.crs is None:
            if self.params.assume_crs is None:
                raise ProcessingError(f"{self.name}: the data has no CRS; set `assume_crs`")
            out = out.set_crs(self.params.assume_crs)
        if out.geometry.name != "geometry":
            out = out.rename_geometry("geometry")
        return out.to_crs(self.params.to)
