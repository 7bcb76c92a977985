"""A resource of a CKAN portal: the file it points to, or its DataStore table paged through.

1. ``GET {base_url}/api/3/action/package_show?id={package}``, pick one resource by
   ``resource_id``, ``resource_name`` or ``resource_format`` (exactly one must match).
2. Either download ``resource.url`` and parse it by its format (csv, xlsx, json, geojson,
   parquet, zip/shp; `read_as` overrides), or with ``datastore: true`` page through
   ``datastore_search`` (``limit``/``offset``, sorted by ``_id`` so pages are stable) until
   ``total`` records or a short page.
CKAN answers ``{"success": false, "error": {...}}`` on failure: its message is reported.
An API token (`api_key_env`) is sent as ``Authorization`` to the portal's own host only.
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import urljoin

import pandas as pd
from pydantic import Field, HttpUrl, model_validator

from ..interfaces import Connector, Params, SourceData, SourceError, fingerprint_bytes
from ._csv import CsvOptions, read_csv_bytes
from ._formats import read_geojson_bytes, read_json_bytes, read_parquet_bytes, read_xlsx_bytes
from ._http import http_get, http_get_json, same_host
from ._shapefile import read_shapefile_zip_bytes
from ._tidy import require_rows, stringify_objects

Format = Literal["csv", "xlsx", "json", "geojson", "parquet", "shapefile_zip"]
FORMAT_ALIASES = {"csv": "csv", "xlsx": "xlsx", "xls": "xlsx", "json": "json", "geojson": "geojson",
                  "parquet": "parquet", "shp": "shapefile_zip", "zip": "shapefile_zip"}


class CkanParams(Params):
    base_url: HttpUrl = Field(description="portal root, e.g. https://ckan.example.org")
    package: str = Field(description="dataset (package) id or name")
    resource_id: str | None = None
    resource_name: str | None = None
    resource_format: str | None = Field(None, description="e.g. CSV (case-insensitive)")
    datastore: bool = False
    page_size: int = Field(1000, gt=0, le=32000)
    read_as: Format | None = Field(None, description="parser for the download; default: the resource format")
    csv: CsvOptions = CsvOptions()
    api_key_env: str | None = None
    allow_empty: bool = False

    @model_validator(mode="after")
    def _some_selector(self):
        if not (self.resource_id or self.resource_name or self.resource_format):
            raise ValueError("choose the resource with `resource_id`, `resource_name` or `resource_format`")
        return self


class CkanConnector(Connector):
    name = "ckan"
    summary = "A CKAN resource: its file downloaded, or its DataStore table paged through"
    Params = CkanParams

    def fetch(self) -> SourceData:
        p = self.params
        package, _ = self._action("package_show", {"id": p.package})
        resource = pick_resource(package.get("resources", []), p, self.label)
        if p.datastore:
            frame, pages, details = self._datastore(resource)
        else:
            frame, pages, details = self._download(resource)
        frame = require_rows(frame, self.label, p.allow_empty)
        details = {**details, "resource_id": resource.get("id"), "rows": len(frame)}
        return SourceData(frame, fingerprint_bytes(*pages), details)

    @property
    def label(self) -> str:
        return f"ckan {self.params.package}"

    def _action(self, action: str, params: dict) -> tuple[dict, bytes]:
        url = f"{str(self.params.base_url).rstrip('/')}/api/3/action/{action}"
        document, raw = http_get_json(url, source=self.label, timeout=self.context.timeout,
                                      budget=self.context.budget, params=params,
                                      headers=self._headers(url))
        if not isinstance(document, dict) or document.get("success") is not True:
            error = document.get("error") if isinstance(document, dict) else None
            message = (error.get("message") or error.get("__type")) if isinstance(error, dict) else error
            raise SourceError(f"{self.label}: {action} failed: {message or 'unexpected answer'}")
        return document.get("result") or {}, raw

    def _datastore(self, resource: dict):
        if resource.get("datastore_active") is False:
            raise SourceError(f"{self.label}: resource {resource.get('id')} has no DataStore table; "
                              "set `datastore: false`")
        size, offset, pages, records, fields = self.params.page_size, 0, [], [], []
        while True:
            query = {"resource_id": resource["id"], "limit": size, "offset": offset, "sort": "_id"}
            result, raw = self._action("datastore_search", query)
            pages.append(raw)
            batch = result.get("records") or []
            records.extend(batch)
            fields = fields or [f["id"] for f in result.get("fields", []) if f.get("id") != "_id"]
            offset += len(batch)
            if _last_page(len(batch), size, offset, result.get("total")):
                break
        frame = stringify_objects(pd.DataFrame.from_records(records, columns=fields))
        summary = {"url": str(self.params.base_url), "pages": len(pages),
                   "bytes": sum(map(len, pages))}
        return frame, pages, summary

    def _download(self, resource: dict):
        url = urljoin(str(self.params.base_url), resource.get("url") or "")
        if not resource.get("url"):
            raise SourceError(f"{self.label}: resource {resource.get('id')} has no URL")
        data = http_get(url, source=self.label, timeout=self.context.timeout,
                        budget=self.context.budget, headers=self._headers(url))
        if not data or data.isspace():
            raise SourceError(f"{self.label}: the resource file at {url} is empty")
        kind = self.params.read_as or _format_of(resource, self.label)
        frame, found = parse_download(data, kind, self.params.csv, self.label)
        return frame, [data], {"url": url, "bytes": len(data), "format": kind, **found}

    def _headers(self, url: str) -> dict[str, str]:
        name = self.params.api_key_env
        if not name or not same_host(url, str(self.params.base_url)):
            return {}
        token = self.context.environ.get(name)
        if not token:
            raise SourceError(f"{self.label}: environment variable {name} is not set")
        return {"Authorization": token}


def _last_page(returned: int, size: int, received: int, total) -> bool:
    """With a total, page until it is reached: the portal may cap `limit` (rows_max)."""
    if isinstance(total, int):
        return received >= total or returned == 0
    return returned < size


def pick_resource(resources: list[dict], p: CkanParams, label: str) -> dict:
    matches = [r for r in resources if _matches(r, p)]
    if len(matches) == 1:
        return matches[0]
    listed = [f"{r.get('name')!r} ({r.get('format')}, id {r.get('id')})" for r in resources]
    problem = "no resource matches" if not matches else f"{len(matches)} resources match"
    raise SourceError(f"{label}: {problem} the selector; resources: {', '.join(listed) or 'none'}")


def _matches(resource: dict, p: CkanParams) -> bool:
    return ((p.resource_id is None or resource.get("id") == p.resource_id)
            and (p.resource_name is None or resource.get("name") == p.resource_name)
            and (p.resource_format is None
                 or str(resource.get("format", "")).lower() == p.resource_format.lower()))


def _format_of(resource: dict, label: str) -> str:
    declared = str(resource.get("format") or "").lower().lstrip(".")
    if declared not in FORMAT_ALIASES:
        raise SourceError(f"{label}: resource format {declared or 'unknown'!r} is not supported; "
                          "set `read_as`")
    return FORMAT_ALIASES[declared]


def parse_download(data: bytes, kind: str, csv_options: CsvOptions, label: str):
    if kind == "csv":
        return read_csv_bytes(data, csv_options, label)
    readers = {"xlsx": read_xlsx_bytes, "json": read_json_bytes, "geojson": read_geojson_bytes,
               "parquet": read_parquet_bytes, "shapefile_zip": read_shapefile_zip_bytes}
    return readers[kind](data, label), {}
