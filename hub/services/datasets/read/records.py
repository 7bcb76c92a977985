"""Arrow results -> JSON-ready records (dates as ISO text, geometries as GeoJSON objects)."""

from __future__ import annotations

import base64
import math
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pyarrow as pa

from . import geo


def jsonable(value):
    """A JSON-safe version of one value from Arrow's to_pylist (recursively)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return str(value)


def to_records(table: pa.Table, geometry_columns: set[str], snapshot_path: str) -> list[dict]:
    """Rows as dicts; geometry columns become GeoJSON geometry objects in WGS 84."""
    shapes = {name: geo.geojson_objects(table.column(name), geo.to_wgs84(snapshot_path, name))
              for name in geometry_columns if name in table.column_names}
    rows = table.drop_columns(list(shapes)).to_pylist() if shapes else table.to_pylist()
    names = table.column_names  # a new list on each access: read once, not once per row
    if not shapes:
        return [{name: jsonable(row[name]) for name in names} for row in rows]
    return [{name: shapes[name][index] if name in shapes else jsonable(row[name])
             for name in names} for index, row in enumerate(rows)]
