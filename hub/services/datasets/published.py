"""Handlers of the published descriptions: the caller's Intake catalog, DCAT-AP, OpenAPI.

Mounted by app.py (``published_routes``). Each lists datasets with
``self.registry.visible(self.caller)``, so a description never names a dataset, a column or a
row count the caller may not see; the catalog and DCAT requests are audited like reads.
The DCAT publisher is the application setting ``publisher`` (default "Agora"); each dataset's
own recipe ``publisher`` wins over it.
"""

from __future__ import annotations

import json

from .base import DatasetsHandler, api
from .catalog import CatalogCache
from .dcat import dcat_catalog
from .openapi import openapi_document
from .paths import CATALOG_YAML, DCAT_JSONLD, OPENAPI_JSON

DEFAULT_PUBLISHER = "Agora"
CATALOGS = CatalogCache()  # rendered catalog.yaml texts, keyed by their whole content


class CatalogHandler(DatasetsHandler):
    """`GET api/catalog.yaml`: the caller's Intake v2 catalog (URLs and metadata, no token)."""

    audit_action = "catalog"

    @api
    async def get(self):
        datasets = self.registry.visible(self.caller)
        self.audit_fields["rows"] = len(datasets)
        self.set_header("Content-Type", "application/yaml; charset=utf-8")
        self.finish(CATALOGS.yaml(datasets, self.service_url))


class DcatHandler(DatasetsHandler):
    """`GET api/dcat.jsonld`: DCAT-AP JSON-LD of the datasets the caller may read."""

    audit_action = "dcat"

    @api
    async def get(self):
        datasets = self.registry.visible(self.caller)
        self.audit_fields["rows"] = len(datasets)
        publisher = self.settings.get("publisher") or DEFAULT_PUBLISHER
        body = dcat_catalog(datasets, self.service_url, publisher)
        self.set_header("Content-Type", "application/ld+json; charset=utf-8")
        self.finish(json.dumps(body, ensure_ascii=False))


class OpenAPIHandler(DatasetsHandler):
    """`GET api/openapi.json`: the OpenAPI 3.1 description, with this service's URL."""

    async def get(self):
        self.write_json(openapi_document(self.service_url))


def routes(prefix: str) -> list:
    """The routes to mount, for app.published_routes(prefix)."""
    return [(prefix + CATALOG_YAML, CatalogHandler), (prefix + DCAT_JSONLD, DcatHandler),
            (prefix + OPENAPI_JSON, OpenAPIHandler)]
