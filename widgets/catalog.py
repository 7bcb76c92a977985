"""One line to your data in a notebook::

    from widgets import catalog, describe
    cat = catalog()                      # an Intake catalog of the datasets you may read
    list(cat)                            # their ids
    df = cat["air_quality"].read()       # a DataFrame (a GeoDataFrame for geo datasets)
    df = cat.air_quality.read()          # the same, when the id is not a Catalog method name
    cat["air_quality"].metadata          # title, description, theme, licence, updated, rows, geo
    describe("air_quality")["columns"]   # the full metadata, with the columns as you see them

Every read goes through the datasets service with your token, read from the environment at
that moment (see widgets/data.py): you only ever get what your rights allow, and the catalog
object holds no token, so ``cat.to_yaml_file(...)`` is safe.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

from intake.readers.entry import Catalog

from .data import get, service_url, trust
from .lineage import record as record_lineage

# The JSON form of the catalog: json.loads takes ~10 ms where a YAML parser takes ~0.3-0.7 s
# on 1,000 datasets. hub/services/datasets/http/paths.py has the same paths (checked by a test).
CATALOG_PATH = "api/catalog.json"
CATALOG_QUERY = "?reader=widgets"  # entries read by widgets.data.AgoraParquetReader
DATASETS_PATH = "api/datasets"
LISTING_COLUMNS = ["id", "title", "rows", "updated", "licence", "geo"]


def service_for(url: str | None) -> str:
    """The service's base URL: `url` (trusted from now on in this process), else the
    environment's."""
    return trust(url) if url else service_url()


def catalog(url: str | None = None) -> Catalog:
    """The Intake v2 catalog of every dataset you may read.

    `url`: the datasets service (default: ``$AGORA_DATASETS_URL``, set in Agora workspaces);
    the token is sent only to that service.
    Entries are keyed by dataset id: ``cat["air_quality"].read()``; ``cat.air_quality``
    works too unless the id clashes with a Catalog attribute (``data``, ``entries``, ...).
    ``cat[id].metadata`` holds the title, description, theme, licence, ``updated``, ``rows``,
    ``geo`` and ``page``; the columns are in :func:`describe` (kept out of the catalog so that
    it opens fast with hundreds of datasets).
    """
    text = get(service_for(url) + CATALOG_PATH + CATALOG_QUERY).content
    return Catalog.from_dict(json.loads(text))


def describe(dataset: str, url: str | None = None) -> dict[str, Any]:
    """One dataset's full metadata, as you may see it (``GET api/datasets/{id}``).

    Holds what the catalog entry has, plus ``columns`` (each ``{name, type, rule}``: hidden
    columns are absent, ``rule`` says "pseudonymised" or "generalised to ..."), ``keywords``,
    ``publisher``, ``contact``, ``update_frequency``, ``quality``, ``versions`` and
    ``lineage``. Example: ``[c["name"] for c in describe("air_quality")["columns"]]``.
    """
    return get(f"{service_for(url)}{DATASETS_PATH}/{quote(dataset, safe='')}").json()


def listing(url: str | None = None) -> list[dict[str, Any]]:
    """The service's listing (``GET api/datasets``): one dict per dataset you may read, with
    id, title, description, theme, keywords, licence, updated, rows, geo and a quality summary.
    """
    body = get(service_for(url) + DATASETS_PATH).json()
    return list(body.get("datasets", []) if isinstance(body, Mapping) else body)


def datasets(url: str | None = None):
    """A DataFrame listing the datasets you may read: id, title, rows, updated, licence, geo."""
    import pandas as pd

    frame = pd.DataFrame(listing(url), columns=None).reindex(columns=LISTING_COLUMNS)
    frame["updated"] = pd.to_datetime(frame["updated"], utc=True, errors="coerce")
    return frame


def where_param(condition) -> str:
    """One ``where=`` value from ``"column:op:value"`` or ``(column, op[, value])``."""
    if isinstance(condition, str):
        return condition
    column, op, *value = condition
    if not value:
        return f"{column}:{op}"
    value = value[0]
    if isinstance(value, (list, tuple, set)):
        value = "|".join(str(v) for v in value)
    return f"{column}:{op}:{value}"


def read(dataset: str, where: Iterable = (), select: Sequence[str] = (),
         order_by: Sequence[str] = (), limit: int | None = None, url: str | None = None):
    """Every matching row of one dataset, with no 10,000-row cap: a DataFrame, or a
    GeoDataFrame for a dataset with a geometry (the service's Parquet export).

    Same `where`, `select` and `order_by` as :func:`records`; `limit`: at most that many.
    Example: ``read("ev_charging_stations", where=[("status", "eq", "En service")])``.
    """
    from .data import frame_from_parquet

    params: list[tuple[str, str | int]] = [("where", where_param(c)) for c in where]
    params += [(name, ",".join(v)) for name, v in (("select", select), ("order_by", order_by))
               if v]
    if limit is not None:
        params.append(("limit", limit))
    path = f"{DATASETS_PATH}/{quote(dataset, safe='')}/export.parquet"
    response = get(service_for(url) + path, params=params)
    frame = frame_from_parquet(response.content)
    frame.attrs.update(dataset=dataset, version=response.headers.get("Agora-Snapshot-Version"))
    record_lineage(dataset, frame.attrs["version"])
    return frame


def typed(frame, schema):
    """`frame` with the types of the answer's `schema` (dates as datetimes, nullable
    integers); geometries stay GeoJSON objects."""
    from .aggregates import typed_column

    for field in schema:
        if field["name"] in frame.columns and field["type"] != "geometry":
            frame[field["name"]] = typed_column(frame[field["name"]], field["type"])
    return frame


def records(dataset: str, where: Iterable = (), select: Sequence[str] = (),
            order_by: Sequence[str] = (), limit: int = 1000, offset: int = 0,
            url: str | None = None):
    """Rows of one dataset, filtered by the service, as a DataFrame.

    `where`: conditions, each ``"column:op:value"`` or a tuple ``(column, op, value)``; ops
    eq, ne, lt, le, gt, ge, in (a list, or values separated by ``|``), contains, is_null,
    not_null. `order_by`: column names, ``-column`` for descending. `limit` <= 10000.
    Example: ``records("air_quality", where=[("pm10", "gt", 50)], order_by=["-pm10"])``.
    """
    import pandas as pd

    params: list[tuple[str, str | int]] = [("where", where_param(c)) for c in where]
    if select:
        params.append(("select", ",".join(select)))
    if order_by:
        params.append(("order_by", ",".join(order_by)))
    params += [("limit", limit), ("offset", offset)]
    path = f"{DATASETS_PATH}/{quote(dataset, safe='')}/records"
    body = get(service_for(url) + path, params=params).json()
    frame = pd.DataFrame(body.get("records", []), columns=body.get("columns") or None)
    frame.attrs.update(dataset=dataset, version=body.get("version"))
    record_lineage(dataset, body.get("version"))
    return typed(frame, body.get("schema", []))
