"""Features of an OGC WFS 2.0 service as a GeoDataFrame, paged with count/startIndex.

``GET {base_url}?service=WFS&version=2.0.0&request=GetFeature&typeNames=...&outputFormat=
application/json&count=N&startIndex=K[&srsName=...]`` until a page has fewer than ``count``
features or ``numberMatched`` features have arrived. The CRS is the response's ``crs`` member
(GeoServer sends one), else `srs_name`, else WGS 84 (the GeoJSON default). Prefer the
``EPSG:4326`` spelling over the ``urn:`` one, which makes some servers swap axes to lat/lon.
Servers report errors as an OWS ExceptionReport (XML), often with HTTP 200: its text is reported.
"""

from __future__ import annotations

import re

import pandas as pd
from pydantic import Field, HttpUrl

from ..interfaces import Connector, Params, SourceData, SourceError, fingerprint_bytes
from ._http import decode_json, http_get
from ._tidy import require_rows, stringify_objects

MAX_PAGES = 10_000


class WfsParams(Params):
    base_url: HttpUrl = Field(description="the WFS endpoint, e.g. https://geo.example.org/geoserver/wfs")
    type_names: str = Field(description="feature type, e.g. admin:communes")
    srs_name: str | None = Field(None, description="output CRS, e.g. EPSG:2154")
    page_size: int = Field(1000, gt=0, description="features per request (`count`)")
    allow_empty: bool = False


class WfsConnector(Connector):
    name = "wfs"
    summary = "Features of a WFS 2.0 service (GeoJSON output, paged with count/startIndex)"
    Params = WfsParams

    def fetch(self) -> SourceData:
        p = self.params
        label = f"wfs {p.type_names}"
        pages, features, crs = self._pages(label)
        frame = to_frame(features, crs or p.srs_name or "EPSG:4326")
        frame = require_rows(frame, label, p.allow_empty)
        details = {"url": str(p.base_url), "pages": len(pages), "bytes": sum(map(len, pages)),
                   "rows": len(frame), "crs": frame.crs.to_string() if frame.crs else None}
        return SourceData(frame, fingerprint_bytes(*pages), details)

    def _pages(self, label: str):
        pages, features, crs = [], [], None
        while len(pages) < MAX_PAGES:
            raw = http_get(str(self.params.base_url), source=label, timeout=self.context.timeout,
                           budget=self.context.budget, params=self._query(start=len(features)))
            if pages and raw == pages[-1]:
                raise SourceError(f"{label}: the server repeats the same page; it ignores startIndex")
            page = parse_page(raw, label)
            pages.append(raw)
            features.extend(page["features"])
            crs = crs or _crs_name(page)
            if _last_page(page, len(features), self.params.page_size):
                return pages, features, crs
        raise SourceError(f"{label}: more than {MAX_PAGES} pages; raise `page_size`")

    def _query(self, start: int) -> dict:
        query = {"service": "WFS", "version": "2.0.0", "request": "GetFeature",
                 "typeNames": self.params.type_names, "outputFormat": "application/json",
                 "count": self.params.page_size, "startIndex": start}
        return {**query, "srsName": self.params.srs_name} if self.params.srs_name else query


def parse_page(raw: bytes, label: str) -> dict:
    if raw.lstrip().startswith(b"<"):
        raise SourceError(f"{label}: the server answered with an error: {_exception_text(raw)}")
    page = decode_json(raw, source=label, what="the GetFeature answer")
    if not isinstance(page, dict) or not isinstance(page.get("features"), list):
        raise SourceError(f"{label}: the answer is not a GeoJSON FeatureCollection")
    return page


def to_frame(features: list[dict], crs: str):
    import geopandas as gpd

    if not features:
        return gpd.GeoDataFrame({"geometry": gpd.GeoSeries([], crs=crs)}, crs=crs)
    frame = stringify_objects(gpd.GeoDataFrame.from_features(features, crs=crs))
    ids = [feature.get("id") for feature in features]
    if any(i is not None for i in ids) and "id" not in frame.columns:
        frame.insert(0, "id", pd.Series(ids, dtype="str"))
    return frame


def _last_page(page: dict, received: int, page_size: int) -> bool:
    """With a numberMatched, page until it is reached: a server may cap `count` below ours."""
    returned = len(page["features"])
    matched = page.get("numberMatched")
    if isinstance(matched, int):
        return received >= matched or returned == 0
    return returned < page_size


def _crs_name(page: dict) -> str | None:
    crs = page.get("crs")
    if isinstance(crs, dict):
        return (crs.get("properties") or {}).get("name")
    return None


def _exception_text(raw: bytes) -> str:
    text = raw.decode("utf-8", errors="replace")
    found = re.search(r"<(?:\w+:)?ExceptionText>(.*?)</(?:\w+:)?ExceptionText>", text, re.S)
    return (found.group(1).strip() if found else text.strip())[:300]
