"""Export writers: a compiled query -> an iterator of byte chunks, memory bounded.

Each writer runs in a worker thread with its own DuckDB connection and reads the result in
record batches; the handler streams the chunks (stream.py). Formats:

- parquet: ``COPY (query) TO`` a private temporary file (DuckDB writes in parallel and keeps
  GeoParquet metadata), then the file in 1 MiB chunks; the file is deleted in every case;
- csv: batch by batch (geometries as WKT);
- xlsx: openpyxl write_only into a temporary file, at most :data:`XLSX_MAX_ROWS` rows
  (more is a :class:`~.query.QueryError` before any byte is sent), then streamed;
- geojson: a FeatureCollection written feature by feature, geometries in WGS 84.

`stats["rows"]` holds the rows written once the iterator is exhausted (for the audit log).
"""

from __future__ import annotations

import io
import json
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import suppress
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from . import geo
from .engine import connect
from .query import Compiled, QueryError
from .records import jsonable

BATCH_ROWS = 50_000
CHUNK_BYTES = 1 << 20
XLSX_MAX_ROWS = 1_048_575  # Excel's 1,048,576 rows, one of them the header
XLSX_MAX_CELL = 32_767
ILLEGAL_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _temp_file(suffix: str) -> Path:
    descriptor, name = tempfile.mkstemp(prefix="agora-export-", suffix=suffix)
    os.close(descriptor)  # mkstemp: mode 600, only this process's user can read it
    return Path(name)


def _file_chunks(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            yield chunk


def _batches(con, compiled: Compiled) -> Iterator[pa.RecordBatch]:
    reader = con.sql(compiled.sql, params=compiled.params).to_arrow_reader(BATCH_ROWS)
    yield from reader


def _wkt_columns(batch: pa.RecordBatch, geometry_columns: set[str]) -> pa.RecordBatch:
    if not geometry_columns & set(batch.schema.names):
        return batch
    arrays = [pa.array(geo.wkt_strings(batch.column(i)), pa.string())
              if name in geometry_columns else batch.column(i)
              for i, name in enumerate(batch.schema.names)]
    return pa.RecordBatch.from_arrays(arrays, names=batch.schema.names)


def parquet_chunks(compiled: Compiled, key: bytes, stats: dict, **_) -> Iterator[bytes]:
    path = _temp_file(".parquet")
    try:
        con = connect(key)
        try:
            target = str(path).replace("'", "''")  # our own mkstemp name, never the caller's
            written = con.execute(f"COPY ({compiled.sql}) TO '{target}' "
                                  "(FORMAT parquet, COMPRESSION zstd)", compiled.params)
            stats["rows"] = written.fetchall()[0][0]
        finally:
            con.close()
        yield from _file_chunks(path)
    finally:
        with suppress(FileNotFoundError):
            path.unlink()


def csv_chunks(compiled: Compiled, key: bytes, stats: dict,
               geometry_columns: set[str] = frozenset(), **_) -> Iterator[bytes]:
    con = connect(key)
    try:
        stats["rows"], header = 0, True
        for batch in _batches(con, compiled):
            buffer = io.BytesIO()
            pacsv.write_csv(_wkt_columns(batch, geometry_columns), buffer,
                            pacsv.WriteOptions(include_header=header))
            header = False
            stats["rows"] += batch.num_rows
            yield buffer.getvalue()
        if header:  # no rows at all: still write the header line
            yield (",".join(json.dumps(c) for c in compiled.columns) + "\n").encode()
    finally:
        con.close()


def _cell(value):
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)  # Excel has no time zones; values stay as stored
    if isinstance(value, str):
        return ILLEGAL_XLSX.sub("", value)[:XLSX_MAX_CELL]
    if isinstance(value, (bytes, list, dict)):
        return json.dumps(jsonable(value), ensure_ascii=False)[:XLSX_MAX_CELL]
    return value


def xlsx_chunks(compiled: Compiled, key: bytes, stats: dict,
                geometry_columns: set[str] = frozenset(), **_) -> Iterator[bytes]:
    from openpyxl import Workbook

    path = _temp_file(".xlsx")
    con = connect(key)
    try:
        counted = con.execute(f"SELECT count(*) FROM ({compiled.sql}) AS counted",
                              compiled.params).fetchall()[0][0]
        if counted > XLSX_MAX_ROWS:
            raise QueryError(f"{counted} rows do not fit in an Excel sheet (at most "
                             f"{XLSX_MAX_ROWS}); add filters or a limit, or export csv/parquet")
        book = Workbook(write_only=True)
        sheet = book.create_sheet("data")
        sheet.append(list(compiled.columns))
        stats["rows"] = 0
        for batch in _batches(con, compiled):
            for row in _wkt_columns(batch, geometry_columns).to_pylist():
                sheet.append([_cell(v) for v in row.values()])
            stats["rows"] += batch.num_rows
        book.save(path)
        yield from _file_chunks(path)
    finally:
        con.close()
        with suppress(FileNotFoundError):
            path.unlink()


def geojson_chunks(compiled: Compiled, key: bytes, stats: dict, geometry: str = "",
                   snapshot_path: str = "", **_) -> Iterator[bytes]:
    transformer = geo.to_wgs84(snapshot_path, geometry)
    con = connect(key)
    try:
        yield b'{"type": "FeatureCollection", "features": ['
        stats["rows"], separator = 0, b""
        for batch in _batches(con, compiled):
            shapes = geo.geojson_strings(batch.column(geometry), transformer)
            others = batch.drop_columns([geometry]).to_pylist()
            parts = []
            for shape, properties in zip(shapes, others):
                parts.append(b'{"type": "Feature", "geometry": ' + (shape or "null").encode()
                             + b', "properties": '
                             + json.dumps(jsonable(properties), ensure_ascii=False).encode()
                             + b"}")
            if parts:
                yield separator + b",\n".join(parts)
                separator = b",\n"
            stats["rows"] += batch.num_rows
        yield b"]}\n"
    finally:
        con.close()


WRITERS = {"parquet": parquet_chunks, "csv": csv_chunks, "xlsx": xlsx_chunks,
           "geojson": geojson_chunks}
