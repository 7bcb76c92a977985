"""A dataset of an Opendatasoft portal, downloaded whole from the Explore API v2.1 exports.

One request: ``GET {base_url}/api/explore/v2.1/catalog/datasets/{dataset_id}/exports/{format}``
with the optional ODSQL ``select`` and ``where`` and a ``timezone`` passed as query parameters
(exports have no 10,000-record cap, unlike ``/records``). Parquet keeps types; ``geojson`` gives
the geo shapes as geometries; ``csv`` is read with the CSV detection of the csv connector.
Private datasets: `api_key_env` names a variable holding an API key, sent as
``Authorization: Apikey ...``.
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import quote

from pydantic import Field, HttpUrl

from ..interfaces import Connector, Params, SourceData, SourceError, fingerprint_bytes
from ._csv import CsvOptions, read_csv_bytes
from ._formats import read_geojson_bytes, read_parquet_bytes
from ._http import http_get
from ._tidy import require_rows


class OdsParams(Params):
    base_url: HttpUrl = Field(description="portal root, e.g. https://data.example.org")
    dataset_id: str = Field(pattern=r"^[A-Za-z0-9_.@-]+$")
    format: Literal["parquet", "csv", "geojson"] = "parquet"
    select: str | None = Field(None, description="ODSQL select clause")
    where: str | None = Field(None, description="ODSQL where clause")
    timezone: str | None = Field(None, description="e.g. Europe/Paris, for date fields")
    api_key_env: str | None = None
    allow_empty: bool = False


class OpendatasoftConnector(Connector):
    name = "opendatasoft"
    summary = "A dataset of an Opendatasoft portal (Explore API v2.1 export: parquet, csv or geojson)"
    Params = OdsParams

    def fetch(self) -> SourceData:
        p = self.params
        url = export_url(str(p.base_url), p.dataset_id, p.format)
        label = f"opendatasoft {p.dataset_id}"
        query = {k: v for k, v in (("select", p.select), ("where", p.where), ("timezone", p.timezone)) if v}
        data = http_get(url, source=label, timeout=self.context.timeout, budget=self.context.budget,
                        params=query, headers=self._headers())
        frame, found = _parse(data, p.format, label)
        frame = require_rows(frame, label, p.allow_empty)
        details = {"url": url, "params": query, "bytes": len(data), "rows": len(frame), **found}
        return SourceData(frame, fingerprint_bytes(data), details)

    def _headers(self) -> dict[str, str]:
        name = self.params.api_key_env
        if not name:
            return {}
        key = self.context.environ.get(name)
        if not key:
            raise SourceError(f"opendatasoft {self.params.dataset_id}: environment variable "
                              f"{name} is not set")
        return {"Authorization": f"Apikey {key}"}


def export_url(base_url: str, dataset_id: str, export_format: str) -> str:
    root = base_url.rstrip("/")
    return f"{root}/api/explore/v2.1/catalog/datasets/{quote(dataset_id)}/exports/{export_format}"


def _parse(data: bytes, export_format: str, label: str):
    if export_format == "csv":
        return read_csv_bytes(data, CsvOptions(), label)
    if export_format == "geojson":
        frame = read_geojson_bytes(data, label)
        return frame, {"crs": frame.crs.to_string() if frame.crs else None}
    return read_parquet_bytes(data, label), {}
