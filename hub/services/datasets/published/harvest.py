"""Lists of the caller's datasets for simple harvesters: `GET api/harvest.csv` and `.json`.

One row per dataset the caller may read (the same :class:`VisibleDataset` list as the Intake
and DCAT catalogs), for tools that read a table rather than RDF. Columns, in order: id, title,
description, theme, keywords, licence, publisher, updated, frequency, rows, geo,
landing_page, then ``download_<format>`` for each export format (empty in the CSV when the
dataset has no such export, e.g. GeoJSON without a geometry). In the CSV, keywords are joined
by "; " and geo is true/false; the JSON has a list and a boolean, and ``downloads`` maps
each format to its URL. The publisher is the recipe's, else ``publishing.publisher``.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from ..http.paths import EXPORT_FORMATS, export_formats, export_url, portal_url
from ..read.visible import VisibleDataset

FIELDS = ("id", "title", "description", "theme", "keywords", "licence", "publisher",
          "updated", "frequency", "rows", "geo", "landing_page")
DOWNLOAD_FIELDS = tuple(f"download_{fmt}" for fmt in EXPORT_FORMATS)
KEYWORD_SEPARATOR = "; "


def harvest_item(d: VisibleDataset, service_url: str, publisher: str) -> dict[str, Any]:
    """One dataset as the JSON list gives it."""
    return {
        "id": d.id, "title": d.title, "description": d.description, "theme": d.theme,
        "keywords": list(d.keywords), "licence": d.licence,
        "publisher": d.publisher or publisher, "updated": d.updated,
        "frequency": d.update_frequency, "rows": d.row_count, "geo": d.is_geo,
        "landing_page": f"{portal_url(service_url)}datasets/{d.id}",
        "downloads": {fmt: export_url(service_url, d.id, fmt) for fmt in export_formats(d.is_geo)},
    }


def harvest_json(datasets: list[VisibleDataset], service_url: str, publisher: str) -> str:
    items = [harvest_item(d, service_url, publisher) for d in datasets]
    return json.dumps({"datasets": items}, ensure_ascii=False)


def csv_row(item: dict[str, Any]) -> dict[str, Any]:
    row = {key: item[key] for key in FIELDS}
    row["keywords"] = KEYWORD_SEPARATOR.join(item["keywords"])
    row["geo"] = "true" if item["geo"] else "false"
    row.update({f"download_{fmt}": url for fmt, url in item["downloads"].items()})
    return row


def harvest_csv(datasets: list[VisibleDataset], service_url: str, publisher: str) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=FIELDS + DOWNLOAD_FIELDS, lineterminator="\r\n")
    writer.writeheader()
    for d in datasets:
        writer.writerow(csv_row(harvest_item(d, service_url, publisher)))
    return out.getvalue()
