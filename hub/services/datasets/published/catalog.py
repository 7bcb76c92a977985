"""The caller's Intake v2 catalog: exactly the datasets they may read, in two spellings.

``GET api/catalog.yaml`` (for ``intake.from_yaml_file``) and ``GET api/catalog.json`` hold the
same catalog (a JSON text is also YAML). Two kinds of entries, by ``?reader=``:

- ``stock`` (the default), for partners: Intake's own readers, so that ``pip install intake
  pandas pyarrow`` reads a table (``pandas.read_parquet`` sends the header through urllib) and
  ``geopandas aiohttp`` added reads a geo dataset (``geopandas.read_parquet`` through fsspec's
  ``simplecache::``, a fresh download per read). The header is the template
  ``token {env(AGORA_TOKEN)}``, which Intake fills from the environment when an entry is
  taken (``cat["id"]``); the catalog object keeps the template.
- ``widgets``, for Agora's notebooks (``widgets.catalog()``): ``widgets.data:AgoraParquetReader``,
  which also takes JupyterHub's token, sends it only to this service and records lineage.

Either way the catalog holds URLs and metadata, never a token, and every read goes through the
service under the reader's own rights (a catalog that merely lists entries grants nothing).
Entries are slim (about 0.5 KB each): title, description, theme, licence, freshness, rows, geo
flag and ``page``, the URL of the dataset's full metadata with its columns (kept out of the
catalog: with them, 1,000 datasets made 1 MB that took 0.7 s to parse).

Format notes (Intake 2.0.9, checked): a v2 catalog needs ``version: 2`` and the keys
``entries``, ``data``, ``aliases``, ``user_parameters`` and ``metadata``; every entry needs
``reader``, ``kwargs``, ``output_instance``, ``metadata`` and ``user_parameters``; a stock
entry's ``kwargs`` point at its ``data`` description (``{data(<id>)}``). Entries are keyed by
dataset id, and each id is also an alias so that ``list(cat)`` and tab completion show them.
"""

from __future__ import annotations

import gzip
import json
import threading
from collections import OrderedDict
from typing import Any
from urllib.parse import urlsplit

import yaml

from ..http.paths import dataset_url, export_url
from ..read.registry import View
from ..read.visible import VisibleDataset

READER = "widgets.data:AgoraParquetReader"
DATAFRAME, GEODATAFRAME = "pandas:DataFrame", "geopandas:GeoDataFrame"
READERS = ("stock", "widgets")  # the kinds of entries (?reader=), the default first
TOKEN_HEADER = "token {env(AGORA_TOKEN)}"  # an Intake template, filled when the data is read
STOCK_TABLE, STOCK_GEO = "intake.readers.readers:PandasParquet", "intake.readers.readers:GeoPandasTabular"
PARQUET = "intake.readers.datatypes:Parquet"


def entry_metadata(dataset: VisibleDataset, service_url: str) -> dict[str, Any]:
    """What a notebook user sees in ``cat[id].metadata`` (the columns are at ``page``)."""
    return {
        "title": dataset.title,
        "description": dataset.description,
        "theme": dataset.theme,
        "licence": dataset.licence,
        "updated": dataset.updated,
        "rows": dataset.row_count,
        "geo": dataset.is_geo,
        "synthetic": dataset.synthetic,
        "page": dataset_url(service_url, dataset.id),
    }


def widgets_entry(dataset: VisibleDataset, service_url: str) -> dict[str, Any]:
    return {
        "reader": READER,
        "kwargs": {"url": export_url(service_url, dataset.id, "parquet")},
        "output_instance": GEODATAFRAME if dataset.is_geo else DATAFRAME,
        "metadata": entry_metadata(dataset, service_url),
        "user_parameters": {},
    }


def stock_data(dataset: VisibleDataset, service_url: str) -> dict[str, Any]:
    """The Parquet export as Intake data: pandas takes the headers themselves, fsspec (geo)
    takes them per protocol under a ``simplecache::`` URL that downloads it whole each read."""
    url = export_url(service_url, dataset.id, "parquet")
    if dataset.is_geo:
        scheme = urlsplit(url).scheme
        url, options = f"simplecache::{url}", {
            "simplecache": {"skip_instance_cache": True},
            scheme: {"headers": {"Authorization": TOKEN_HEADER}}}
    else:
        options = {"Authorization": TOKEN_HEADER}
    return {"datatype": PARQUET, "kwargs": {"url": url, "storage_options": options},
            "metadata": {}, "user_parameters": {}}


def data_key(dataset: VisibleDataset) -> str:
    """The key of a stock entry's data: not the entry's own id, which Intake would resolve to
    the entry itself."""
    return f"{dataset.id}.parquet"


def stock_entry(dataset: VisibleDataset, service_url: str) -> dict[str, Any]:
    return {
        "reader": STOCK_GEO if dataset.is_geo else STOCK_TABLE,
        "kwargs": {"args": [f"{{data({data_key(dataset)})}}"]},
        "output_instance": GEODATAFRAME if dataset.is_geo else DATAFRAME,
        "metadata": entry_metadata(dataset, service_url),
        "user_parameters": {},
    }


def intake_catalog_dict(datasets: list[VisibleDataset], service_url: str,
                        reader: str = READERS[0]) -> dict[str, Any]:
    """The catalog as a plain mapping (what ``intake.entry.Catalog.to_dict()`` produces)."""
    stock = reader == "stock"
    entry = stock_entry if stock else widgets_entry
    entries = {d.id: entry(d, service_url) for d in datasets}
    return {
        "version": 2,
        "metadata": {
            "title": "Agora datasets",
            "description": "The datasets you may read. Every read goes through the Agora "
                           "datasets service, under the rights of whoever reads.",
            "service": service_url,
        },
        "user_parameters": {},
        "data": {data_key(d): stock_data(d, service_url) for d in datasets} if stock else {},
        "entries": entries,
        "aliases": {name: name for name in entries},
    }


# libyaml's emitter when PyYAML has it: the same YAML (safe types only) about 3x faster than
# the pure-Python SafeDumper.
DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
CACHED_CATALOGS = 32  # rendered catalogs kept (each ~0.55 KB per dataset, ~0.02 KB gzipped)
GZIP_LEVEL = 1  # 1,000 datasets: 540 kB -> 20 kB in under 1 ms (level 6: 18 kB, 10 ms)
MEDIA_TYPES = {"json": "application/json; charset=utf-8",
               "yaml": "application/yaml; charset=utf-8"}


def intake_catalog_yaml(datasets: list[VisibleDataset], service_url: str,
                        reader: str = READERS[0]) -> str:
    """The Intake v2 catalog of `datasets` (already filtered for the caller) as YAML text."""
    return yaml.dump(intake_catalog_dict(datasets, service_url, reader), Dumper=DUMPER,
                     sort_keys=False, allow_unicode=True)


def intake_catalog_json(datasets: list[VisibleDataset], service_url: str,
                        reader: str = READERS[0]) -> str:
    """The same catalog as JSON text (also valid YAML)."""
    return json.dumps(intake_catalog_dict(datasets, service_url, reader), ensure_ascii=False)


RENDERERS = {"json": intake_catalog_json, "yaml": intake_catalog_yaml}


class CatalogCache:
    """Rendered catalogs (UTF-8 bytes, and gzipped) by the caller's view key, URL and format.

    The view key (registry.DatasetRegistry.view_key) holds the registry generation, which
    changes with any recipe or current snapshot, and everything the policy reads of a caller
    (groups, attributes, and the name where a recipe lists names). Equal keys therefore mean
    equal datasets seen equally: callers with the same rights (e.g. all analysts) share one
    rendering, and no caller ever gets a catalog rendered for different rights. A hit costs a
    dictionary look-up; the caller's visible list is only built, and rendered, on a miss.
    The gzipped form (1,000 datasets: ~20 kB instead of ~540 kB) is made once per rendering."""

    def __init__(self, size: int = CACHED_CATALOGS):
        self.size = size
        self._texts: OrderedDict[tuple, tuple[bytes, bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def cached(self, view: View, service_url: str, kind: tuple[str, str],
               gzipped: bool = False) -> bytes | None:
        """The rendering for this view and `kind` (format, reader), or None when it must be
        rendered first."""
        with self._lock:
            found = self._texts.get((view.key, service_url, kind))
            if found is None:
                return None
            self._texts.move_to_end((view.key, service_url, kind))
            return found[gzipped]

    def render(self, view: View, service_url: str, kind: tuple[str, str]) -> tuple[bytes, bytes]:
        """Render the view's visible datasets, plain and gzipped; keep them unless the view
        has no key (incomplete, see registry.View)."""
        fmt, reader = kind
        text = RENDERERS[fmt](view.visible, service_url, reader).encode("utf-8")
        pair = (text, gzip.compress(text, compresslevel=GZIP_LEVEL, mtime=0))
        if view.key is not None:
            with self._lock:
                self._texts[(view.key, service_url, kind)] = pair
                while len(self._texts) > self.size:
                    self._texts.popitem(last=False)
        return pair
