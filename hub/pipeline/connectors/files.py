"""Tabular files read from a path or URL: csv, xlsx, json, parquet."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Literal

from pydantic import Field

from ..interfaces import Connector, SourceData, fingerprint_bytes
from ._csv import CsvOptions, read_csv_bytes
from ._formats import read_json_bytes, read_parquet_bytes, read_xlsx_bytes
from ._location import FileLocation, read_location
from ._tidy import require_rows


class FileConnector(Connector):
    """Read the bytes, parse them with `parse`, fingerprint the bytes.

    The fingerprint is computed in a second thread while the bytes are parsed (hashlib
    releases the GIL): on a 120 MB file that hides SHA-256's 0.07 s. Compressed sources are
    inflated first (``reads_zip``: a connector that reads zip archives itself).
    """

    reads_zip = False

    def fetch(self) -> SourceData:
        data, details = read_location(self.params, self.context, unzip=not self.reads_zip)
        with ThreadPoolExecutor(1, thread_name_prefix="agora-fingerprint") as pool:
            fingerprint = pool.submit(fingerprint_bytes, data)
            frame, found = self.parse(data, self.params.label())
        frame = require_rows(frame, self.params.label(), self.params.allow_empty)
        return SourceData(frame, fingerprint.result(), {**details, **found, "rows": len(frame)})

    def parse(self, data: bytes, source: str):
        raise NotImplementedError


class CsvConnector(FileConnector):
    name = "csv"
    summary = "A CSV file (path or URL); encoding and delimiter detected, columns read as text"

    class Params(FileLocation, CsvOptions):
        pass

    def parse(self, data, source):
        return read_csv_bytes(data, self.params, source)


class XlsxConnector(FileConnector):
    name = "xlsx"
    summary = "One sheet of an Excel .xlsx workbook (path or URL)"

    class Params(FileLocation):
        sheet: str | int = Field(0, description="sheet name, or 0-based index")
        header_row: int = Field(0, ge=0, description="0-based row holding the column names")
        dtype: Literal["infer", "string"] = "infer"

    def parse(self, data, source):
        p = self.params
        frame = read_xlsx_bytes(data, source, p.sheet, p.header_row, p.dtype == "string")
        return frame, {"sheet": p.sheet}


class JsonConnector(FileConnector):
    name = "json"
    summary = "A JSON list of records (or one under `records_path`), nested objects flattened"

    class Params(FileLocation):
        records_path: str | None = Field(None, description="dotted path to the list, e.g. data.items")
        separator: str = Field(".", min_length=1, description="between a nested object's "
                               "name and its keys' names (`_`: adresse_ville)")

    def parse(self, data, source):
        p = self.params
        return read_json_bytes(data, source, p.records_path, p.separator), {}


class ParquetConnector(FileConnector):
    name = "parquet"
    summary = "An Apache Parquet file (path or URL)"

    class Params(FileLocation):
        pass

    def parse(self, data, source):
        return read_parquet_bytes(data, source), {}
