"""Aggregates computed by the datasets service, as a typed DataFrame (twelve bars, not a
million rows)::

    from widgets import aggregate
    aggregate("air_quality", by="commune_code", measures=["count", "mean:pm10"],
              bucket="measured_at:month")

The service applies your rights first (rows, columns) and may withhold small groups (see
``aggregate``); the token and URL are handled as for every read (widgets/data.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from urllib.parse import quote

from .catalog import DATASETS_PATH, service_for, where_param
from .data import get
from .lineage import record as record_lineage

Items = str | Sequence


def _items(value: Items | None) -> list[str]:
    """A str is one item; otherwise each item is a str or a (name, argument) pair."""
    if value is None:
        return []
    values = [value] if isinstance(value, str) else list(value)
    return [v if isinstance(v, str) else ":".join(str(part) for part in v) for v in values]


def _params(by, measures, where, bucket, order_by, limit) -> list[tuple[str, str | int]]:
    params: list[tuple[str, str | int]] = [("by", ",".join(_items(by)))] if by else []
    params += [("bucket", b) for b in _items(bucket)]
    params += [("measure", m) for m in _items(measures)]
    params += [("where", where_param(c)) for c in ([where] if isinstance(where, str) else where)]
    if order_by:
        params.append(("order_by", ",".join(_items(order_by))))
    return params + ([("limit", limit)] if limit is not None else [])


def typed_column(series, arrow_type: str):
    """A JSON column as its Arrow type says: Int64, float64, boolean, datetimes."""
    import pandas as pd

    t = arrow_type.lower()
    if t.startswith(("int", "uint")):
        return series.astype("Int64")  # nullable: a withheld count is missing, not NaN
    if t.startswith(("float", "double", "halffloat", "decimal")):
        return series.astype("float64")
    if t in ("bool", "boolean"):
        return series.astype("boolean")
    if t.startswith(("date", "timestamp")):
        return pd.to_datetime(series, utc="tz=" in t, format="ISO8601")
    return series


def frame_from_answer(body: dict):
    """The DataFrame of an aggregate answer: typed from its ``schema``, with ``attrs``."""
    import pandas as pd

    frame = pd.DataFrame(body.get("records", []), columns=body.get("columns") or None)
    for field in body.get("schema", []):
        frame[field["name"]] = typed_column(frame[field["name"]], field["type"])
    frame.attrs.update({key: body.get(key) for key in (
        "dataset", "version", "groups", "suppressed_groups", "min_group_size")})
    return frame


def aggregate(dataset: str, by: Items | None = None, measures: Items = ("count",),
              where: Iterable = (), bucket: Items | None = None,
              order_by: Items | None = None, limit: int | None = None,
              url: str | None = None):
    """Groups and measures of one dataset, computed by the service, as a DataFrame.

    `by`: grouping columns (``"commune_code"`` or a list). `bucket`: time buckets of a date
    or timestamp column, ``"<column>:<unit>"`` (or ``(column, unit)``), unit ``day``,
    ``week`` (ISO, from Monday), ``month``, ``quarter`` or ``year``; the column is named
    ``<column>_<unit>`` and holds each bucket's first day. `measures`: ``"count"`` (rows),
    ``"count:<col>"`` (non-empty values), ``"distinct:<col>"``, ``"sum:<col>"``,
    ``"mean:<col>"``, ``"min:<col>"``, ``"max:<col>"``, ``"p50:<col>"`` (any quantile
    ``p0``-``p100``), or ``(function, column)`` pairs; each gives a column ``count``,
    ``sum_<col>``, ``p90_<col>``... `where`: as in :func:`~widgets.catalog.records`.
    `order_by`: output columns, ``-name`` for descending. `limit`: at most this many groups
    (a dataset may have at most 10,000 groups per request).

    Columns are typed: counts are (nullable) integers, buckets and dates datetimes. The
    column ``suppressed`` is True for groups the service withheld (their measures are
    missing): a recipe's ``min_group_size`` withholds groups of fewer rows from callers some
    access rule applies to. ``frame.attrs`` holds ``dataset``, ``version`` (the snapshot, for
    lineage), ``groups``, ``suppressed_groups`` and ``min_group_size``.

    Example (in an Agora workspace)::

        from widgets import aggregate
        monthly = aggregate("air_quality", by="commune_code",
                            measures=["count", "mean:pm10", "p90:pm10"],
                            bucket="measured_at:month", order_by=["measured_at_month"])
        monthly.pivot(index="measured_at_month", columns="commune_code",
                      values="mean_pm10").plot()
    """
    path = f"{DATASETS_PATH}/{quote(dataset, safe='')}/aggregate"
    params = _params(by, measures, where, bucket, order_by, limit)
    frame = frame_from_answer(get(service_for(url) + path, params=params).json())
    record_lineage(frame.attrs.get("dataset") or dataset, frame.attrs.get("version"))
    return frame
