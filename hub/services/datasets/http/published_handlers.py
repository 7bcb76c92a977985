"""Handlers of the published descriptions: the caller's Intake catalog, DCAT-AP, harvest
lists, OpenAPI.

Mounted by app.py (``published_routes``). Each lists datasets from the caller's registry view
(``self.registry.view(self.caller)``), so a description never names a dataset, a column or a
row count the caller may not see; the catalog, DCAT and harvest requests are audited like
reads. The rendered catalogs are cached by the view's key (catalog.CatalogCache): a warm
catalog request costs a look-up, not a walk over every dataset.
How the catalog describes itself is the application setting ``publishing`` (the settings'
section, hub.config.settings.PublishingSettings); a bare ``publisher`` setting (tests) sets
just its publisher. Each dataset's own recipe ``publisher`` wins over the catalog's.
"""

from __future__ import annotations

import asyncio
import functools
import json

from hub.config.settings import PublishingSettings

from ..published.catalog import MEDIA_TYPES, READERS, CatalogCache
from ..published.dcat import dcat_catalog
from ..published.harvest import harvest_csv, harvest_json
from ..published.openapi import openapi_document
from .base import VARY, ApiError, DatasetsHandler, api
from .paths import CATALOG_JSON, CATALOG_YAML, DCAT_JSONLD, HARVEST_CSV, HARVEST_JSON, OPENAPI_JSON

CATALOGS = CatalogCache()  # rendered catalogs, keyed by the caller's view key
RENDERING: dict = {}  # catalog key -> (loop, future) of the rendering in progress


def accepts_gzip(header: str) -> bool:
    """Whether an Accept-Encoding header accepts gzip (``gzip``, or ``*``, without q=0)."""
    for part in header.lower().split(","):
        coding, *params = (p.strip() for p in part.split(";"))
        if coding in ("gzip", "*"):
            weights = [p[2:] for p in params if p.startswith("q=")]
            try:
                return not weights or float(weights[0]) > 0
            except ValueError:
                return False
    return False


class CatalogHandler(DatasetsHandler):
    """`GET api/catalog.yaml[?reader=stock|widgets]`: the caller's Intake v2 catalog (URLs and
    metadata, no token), with Intake's own readers or Agora's notebook reader."""

    audit_action = "catalog"
    catalog_format = "yaml"

    @api
    async def get(self):
        kind = (self.catalog_format, self.reader_kind())
        view = self.registry.view(self.caller)
        self.audit_fields["rows"] = len(view.readable)
        gzipped = accepts_gzip(self.request.headers.get("Accept-Encoding", ""))
        body = CATALOGS.cached(view, self.service_url, kind, gzipped)
        if body is None:
            body = (await self.render(view, kind))[gzipped]
        self.set_header("Content-Type", MEDIA_TYPES[self.catalog_format])
        self.set_header("Vary", f"{VARY}, Accept-Encoding")
        if gzipped:
            self.set_header("Content-Encoding", "gzip")
        self.finish(body)

    def reader_kind(self) -> str:
        """`?reader=` (the only parameter: a misspelt one would silently give the default)."""
        unknown = sorted(set(self.request.query_arguments) - {"reader"})
        if unknown:
            raise ApiError(400, {"error": f"unknown parameter {unknown[0][:20]!r}; this "
                                          "catalog takes only `reader`"})
        reader = self.get_query_argument("reader", READERS[0])
        if reader not in READERS:
            raise ApiError(400, {"error": f"unknown reader {reader[:20]!r}; use one of "
                                          f"{', '.join(READERS)}"})
        return reader

    async def render(self, view, kind: tuple[str, str]) -> tuple[bytes, bytes]:
        """(plain, gzipped), rendered off the loop (YAML of 1,000 datasets: ~0.3 s), once per
        key: requests that miss while that rendering runs (100 users arriving together) wait
        for it. An incomplete view (no key) is rendered for this request alone."""
        render = functools.partial(CATALOGS.render, view, self.service_url, kind)
        if view.key is None:
            return await self.run(render)
        key = (view.key, self.service_url, kind)
        loop = asyncio.get_running_loop()
        running = RENDERING.get(key)
        if running is None or running[0] is not loop:
            future = asyncio.ensure_future(self.run(render))
            running = RENDERING[key] = (loop, future)
            future.add_done_callback(
                lambda _, mine=running: RENDERING.pop(key) if RENDERING.get(key) is mine else None)
        return await asyncio.shield(running[1])


class CatalogJsonHandler(CatalogHandler):
    """`GET api/catalog.json`: the same catalog as JSON (widgets.catalog() reads
    ``?reader=widgets``)."""

    catalog_format = "json"


def publishing(settings: dict) -> PublishingSettings:
    """The application's ``publishing`` setting, else the defaults (with ``publisher``)."""
    if settings.get("publishing") is not None:
        return settings["publishing"]
    publisher = settings.get("publisher")
    return PublishingSettings(publisher=publisher) if publisher else PublishingSettings()


class DcatHandler(DatasetsHandler):
    """`GET api/dcat.jsonld`: DCAT-AP JSON-LD of the datasets the caller may read."""

    audit_action = "dcat"

    @api
    async def get(self):
        datasets = self.registry.visible(self.caller)
        self.audit_fields["rows"] = len(datasets)
        body = dcat_catalog(datasets, self.service_url, publishing(self.settings))
        self.set_header("Content-Type", "application/ld+json; charset=utf-8")
        self.finish(json.dumps(body, ensure_ascii=False))


class HarvestCsvHandler(DatasetsHandler):
    """`GET api/harvest.csv`: one row per dataset the caller may read (harvest.py)."""

    audit_action = "harvest"
    media_type = "text/csv; charset=utf-8"
    render = staticmethod(harvest_csv)

    @api
    async def get(self):
        datasets = self.registry.visible(self.caller)
        self.audit_fields["rows"] = len(datasets)
        body = self.render(datasets, self.service_url, publishing(self.settings).publisher)
        self.set_header("Content-Type", self.media_type)
        self.finish(body.encode("utf-8"))


class HarvestJsonHandler(HarvestCsvHandler):
    """`GET api/harvest.json`: the same list as JSON."""

    media_type = "application/json; charset=utf-8"
    render = staticmethod(harvest_json)


class OpenAPIHandler(DatasetsHandler):
    """`GET api/openapi.json`: the OpenAPI 3.1 description, with this service's URL."""

    async def get(self):
        self.write_json(openapi_document(self.service_url))


def routes(prefix: str) -> list:
    """The routes to mount, for app.published_routes(prefix)."""
    return [(prefix + CATALOG_YAML, CatalogHandler), (prefix + CATALOG_JSON, CatalogJsonHandler),
            (prefix + DCAT_JSONLD, DcatHandler), (prefix + HARVEST_CSV, HarvestCsvHandler),
            (prefix + HARVEST_JSON, HarvestJsonHandler), (prefix + OPENAPI_JSON, OpenAPIHandler)]
