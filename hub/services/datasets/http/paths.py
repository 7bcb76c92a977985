"""The datasets service's URL paths, relative to its base URL (`.../services/datasets/`).

One place for them: the handlers route on them, and the OpenAPI document, the Intake catalog,
the DCAT-AP catalog, the harvest lists and the notebook client (widgets/catalog.py) build links
from them. :func:`portal_url` is the portal beside the service (its pages for people).
"""

from __future__ import annotations

from urllib.parse import quote

DATASETS = "api/datasets"
CATALOG_YAML = "api/catalog.yaml"
CATALOG_JSON = "api/catalog.json"
DCAT_JSONLD = "api/dcat.jsonld"
HARVEST_CSV = "api/harvest.csv"
HARVEST_JSON = "api/harvest.json"
OPENAPI_JSON = "api/openapi.json"
AUDIT = "api/audit"

# format -> (media type, EU file-type code); geojson only for datasets with a geometry.
EXPORT_FORMATS = {
    "parquet": ("application/vnd.apache.parquet", "PARQUET"),
    "csv": ("text/csv", "CSV"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "XLSX"),
    "geojson": ("application/geo+json", "GEOJSON"),
}


def base(url: str) -> str:
    return url if url.endswith("/") else url + "/"


def dataset_url(service_url: str, dataset_id: str) -> str:
    """The dataset's metadata (`GET api/datasets/{id}`): its page in the API."""
    return f"{base(service_url)}{DATASETS}/{quote(dataset_id, safe='')}"


def export_url(service_url: str, dataset_id: str, fmt: str) -> str:
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; use one of {', '.join(EXPORT_FORMATS)}")
    return f"{dataset_url(service_url, dataset_id)}/export.{fmt}"


def portal_url(service_url: str) -> str:
    """The portal's base URL beside the service: `<base>services/portal/`."""
    return base(service_url).rstrip("/").rsplit("/", 1)[0] + "/portal/"


def export_formats(is_geo: bool) -> list[str]:
    return [f for f in EXPORT_FORMATS if is_geo or f != "geojson"]
