"""Byte-for-byte reproducible writers: no clock, no random temp names end up in the files.

XLSX and ZIP entries get a fixed timestamp, the DBF header its fixed "last update" date,
SQLite files are built in one transaction then VACUUMed.
"""

from __future__ import annotations

import io
import json
import re
import sqlite3
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path

import geopandas as gpd
import pandas as pd
from openpyxl import Workbook

from .common import FILE_TIMESTAMP

ZIP_TIME = FILE_TIMESTAMP.timetuple()[:6]


def write_bytes(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def write_csv(frame: pd.DataFrame, path: Path, *, sep: str = ",", encoding: str = "utf-8",
              newline: str = "\n", bom: bool = False) -> Path:
    """Every cell must already be a string (the mess is in the strings); '' stays empty."""
    text = frame.to_csv(sep=sep, index=False, lineterminator=newline)
    data = text.encode(encoding)  # strict: a character the encoding lacks is a generator bug
    return write_bytes(path, (b"\xef\xbb\xbf" if bom else b"") + data)


def write_json(document: object, path: Path, indent: int | None = 1) -> Path:
    text = json.dumps(document, ensure_ascii=False, indent=indent)
    return write_bytes(path, (text + "\n").encode("utf-8"))


def _fixed_zip(entries: Iterable[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return buffer.getvalue()


def _pin_xlsx_metadata(raw: bytes) -> bytes:
    stamp = FILE_TIMESTAMP.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    entries = []
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        for name in archive.namelist():
            data = archive.read(name)
            if name == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:)",
                              rb"\g<1>" + stamp + rb"\g<3>", data)
            entries.append((name, data))
    return _fixed_zip(entries)


def write_xlsx(path: Path, sheet: str, rows: Sequence[Sequence[object]],
               widths: dict[str, float] | None = None) -> Path:
    """One sheet, rows written as given (title rows, header, data, footer)."""
    book = Workbook()
    book.properties.creator = "hub.demo_data (synthetic)"
    book.properties.created = FILE_TIMESTAMP
    ws = book.active
    ws.title = sheet
    for row in rows:
        ws.append(list(row))
    for column, width in (widths or {}).items():
        ws.column_dimensions[column].width = width
    buffer = io.BytesIO()
    book.save(buffer)
    return write_bytes(path, _pin_xlsx_metadata(buffer.getvalue()))


def write_geojson(frame: gpd.GeoDataFrame, path: Path, extra: dict | None = None) -> Path:
    document = json.loads(frame.to_json(drop_id=True))
    document = {"type": "FeatureCollection", **(extra or {}), "features": document["features"]}
    return write_json(document, path)


def write_shapefile_zip(frame: gpd.GeoDataFrame, path: Path, layer: str) -> Path:
    """A zipped ESRI Shapefile (.shp .shx .dbf .prj .cpg) with reproducible bytes."""
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / f"{layer}.shp"
        frame.to_file(target, driver="ESRI Shapefile", engine="pyogrio", encoding="UTF-8")
        entries = []
        for part in sorted(Path(tmp).iterdir()):
            data = part.read_bytes()
            if part.suffix == ".dbf":  # bytes 1-3: date of last update (YY since 1900, M, D)
                stamp = bytes([FILE_TIMESTAMP.year - 1900, FILE_TIMESTAMP.month,
                               FILE_TIMESTAMP.day])
                data = data[:1] + stamp + data[4:]
            entries.append((part.name, data))
    return write_bytes(path, _fixed_zip(entries))


def write_sqlite(path: Path, schema: str, table: str, columns: Sequence[str],
                 rows: Iterable[Sequence[object]], notice: str) -> Path:
    """A fresh SQLite file: `schema` DDL, the rows, and a `_notice` table saying it is fake."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.unlink()
    connection = sqlite3.connect(path)
    try:
        connection.executescript(schema)
        connection.execute("CREATE TABLE _notice (synthetic INTEGER NOT NULL, notice TEXT)")
        connection.execute("INSERT INTO _notice VALUES (1, ?)", (notice,))
        marks = ", ".join("?" for _ in columns)
        connection.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)
        connection.commit()
        connection.execute("VACUUM")
    finally:
        connection.close()
    return path
