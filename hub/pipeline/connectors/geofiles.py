"""Geographic files read from a path or URL: geojson, geoparquet, shapefile_zip.

Each returns a GeoDataFrame in the source's own CRS; reprojecting is a processor's job.
"""

from __future__ import annotations

from pydantic import Field

from ._formats import read_geojson_bytes, read_geoparquet_bytes
from ._location import FileLocation
from ._shapefile import read_shapefile_zip_bytes
from .files import FileConnector


def with_crs(frame) -> tuple:
    """What `parse` returns for a geographic frame: the frame, and the CRS it came in."""
    crs = frame.crs
    return frame, {"crs": crs.to_string() if crs is not None else None}


class GeoJsonConnector(FileConnector):
    name = "geojson"
    summary = "A GeoJSON FeatureCollection (path or URL); CRS from its `crs` member or WGS 84"

    class Params(FileLocation):
        pass

    def parse(self, data, source):
        return with_crs(read_geojson_bytes(data, source))


class GeoParquetConnector(FileConnector):
    name = "geoparquet"
    summary = "A GeoParquet file (path or URL)"

    class Params(FileLocation):
        pass

    def parse(self, data, source):
        return with_crs(read_geoparquet_bytes(data, source))


class ShapefileZipConnector(FileConnector):
    name = "shapefile_zip"
    summary = "A zipped ESRI Shapefile (path or URL); .prj and .cpg honoured"
    reads_zip = True

    class Params(FileLocation):
        layer: str | None = Field(
            None, description="name of the .shp (without extension) if the zip has several")
        encoding: str | None = Field(None, description="DBF encoding when the zip has no .cpg")

    def parse(self, data, source):
        p = self.params
        return with_crs(read_shapefile_zip_bytes(data, source, p.layer, p.encoding))
