"""Bytes -> (Geo)DataFrame for every file format; shared by the file, CKAN and Opendatasoft
connectors. Each reader turns the library's exception into a SourceError naming the source."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..interfaces import SourceError
from ._tidy import stringify_objects


def read_xlsx_bytes(data: bytes, source: str, sheet: str | int = 0, header_row: int = 0,
                    as_strings: bool = False) -> pd.DataFrame:
    try:
        book = pd.ExcelFile(io.BytesIO(data), engine="openpyxl")
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise SourceError(f"{source}: not a readable .xlsx workbook ({_short(exc)})") from None
    names = book.sheet_names
    known = sheet in names if isinstance(sheet, str) else -len(names) <= sheet < len(names)
    if not known:
        raise SourceError(f"{source}: no sheet {sheet!r}; the workbook has {names}")
    frame = pd.read_excel(book, sheet_name=sheet, header=header_row, dtype=str if as_strings else None)
    return stringify_objects(frame)


def read_json_bytes(data: bytes, source: str, records_path: str | None = None,
                    separator: str = ".") -> pd.DataFrame:
    try:
        document = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SourceError(f"{source}: not valid JSON ({exc})") from None
    records = _follow(document, records_path, source)
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        where = f"at {records_path!r}" if records_path else "at the top level"
        raise SourceError(f"{source}: expected a list of objects {where}; set `records_path`")
    return records_frame(records, separator)


def records_frame(records: list[dict], separator: str = ".") -> pd.DataFrame:
    """JSON objects as a frame: nested objects flattened into ``parent<separator>child``
    columns, lists (and mixed-type columns) as JSON text, whole numbers with nulls as
    nullable ``Int64`` rather than float64, and true/false with nulls as ``boolean``."""
    frame = pd.json_normalize(records, sep=separator)
    return stringify_objects(_nullable_booleans(_nullable_integers(frame, records, separator)))


def _nullable_integers(frame: pd.DataFrame, records: list[dict], separator: str) -> pd.DataFrame:
    """Turn back into Int64 the float64 columns that only hold JSON integers and nulls.

    pandas reads ``[1, null]`` as floats; the column is rebuilt from the records' own ints,
    so identifiers beyond 2**53 stay exact. A column with one JSON float (``1.0``) stays float.
    """
    candidates = [name for name in frame.columns
                  if frame[name].dtype == "float64" and frame[name].isna().any()]
    if not candidates:
        return frame
    flat = [dict(_flatten(record, separator)) for record in records]
    fixed = frame.copy(deep=False)
    for name in candidates:
        values = [row.get(name) for row in flat]
        if all(value is None or type(value) is int for value in values):
            try:
                fixed[name] = pd.array(values, dtype="Int64")
            except (OverflowError, TypeError, ValueError):  # beyond int64: keep the floats
                continue
    return fixed


def _nullable_booleans(frame: pd.DataFrame) -> pd.DataFrame:
    """Object columns holding only true, false and nulls as pandas' nullable ``boolean``
    (they would otherwise be written as the text "True")."""
    flags = [name for name in frame.columns if frame[name].dtype == object
             and frame[name].map(lambda v: v is None or v != v or isinstance(v, bool)).all()
             and frame[name].notna().any()]
    if not flags:
        return frame
    return frame.astype({name: "boolean" for name in flags})


def _flatten(record: dict, separator: str, prefix: str = ""):
    """(column, value) pairs as json_normalize names them."""
    for key, value in record.items():
        name = f"{prefix}{separator}{key}" if prefix else str(key)
        if isinstance(value, dict) and value:
            yield from _flatten(value, separator, name)
        else:
            yield name, value


def read_parquet_bytes(data: bytes, source: str) -> pd.DataFrame:
    try:
        table = pq.read_table(pa.BufferReader(data))
    except (pa.ArrowException, OSError) as exc:
        raise SourceError(f"{source}: not a readable Parquet file ({_short(exc)})") from None
    return table.to_pandas()


def read_geojson_bytes(data: bytes, source: str):
    import geopandas as gpd
    from pyogrio.errors import DataSourceError

    if not data.lstrip().startswith(b"{"):
        raise SourceError(f"{source}: not GeoJSON (does not start with a JSON object)")
    try:
        return gpd.read_file(io.BytesIO(data), engine="pyogrio")
    except (DataSourceError, ValueError, RuntimeError) as exc:
        raise SourceError(f"{source}: not readable GeoJSON ({_short(exc)})") from None


def read_geoparquet_bytes(data: bytes, source: str):
    import geopandas as gpd

    try:
        return gpd.read_parquet(pa.BufferReader(data))
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise SourceError(f"{source}: not a readable GeoParquet file ({_short(exc)})") from None


def _follow(document: Any, dotted: str | None, source: str) -> Any:
    for key in (dotted.split(".") if dotted else []):
        if isinstance(document, dict) and key in document:
            document = document[key]
        elif isinstance(document, list) and key.isdigit() and int(key) < len(document):
            document = document[int(key)]
        else:
            raise SourceError(f"{source}: `records_path` {dotted!r}: no {key!r} in the document")
    return document


def _short(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__
