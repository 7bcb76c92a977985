"""Where widgets built from a dataset get their data: the one place they call the service.

:func:`aggregate`, :func:`records` and :func:`describe` call ``widgets.aggregate``,
``widgets.records`` and ``widgets.describe`` (filters go to the service, under the caller's
rights); tests replace these three functions to feed widgets without a service. A
:class:`Query` remembers what a view asked for, so that a filter change can ask again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

SUPPRESSED = "suppressed"  # aggregate's column: group hidden by small-count suppression


def _package():
    import widgets

    return widgets


def aggregate(dataset: str, **query):
    """``widgets.aggregate(dataset, **query)``: a DataFrame of groups and measures; the
    views' ``order=`` is the function's ``order_by=``."""
    if "order" in query:
        query["order_by"] = query.pop("order")
    return _package().aggregate(dataset, **query)


def records(dataset: str, **query):
    """``widgets.records(dataset, **query)``: a DataFrame of rows."""
    return _package().records(dataset, **query)


def describe(dataset: str) -> dict[str, Any]:
    """``widgets.describe(dataset)``: the dataset's metadata as the caller sees it."""
    return _package().describe(dataset)


def measure_column(measure: str) -> str:
    """The output column of an aggregate measure: ``"mean:pm10"`` -> ``"mean_pm10"``."""
    return measure.replace(":", "_")


def bucket_column(bucket: str) -> str:
    """The output column of a bucket: ``"measured_at:month"`` -> ``"measured_at_month"``."""
    return bucket.replace(":", "_")


def export_url(dataset: str, fmt: str, where=(), select=(), order_by=(),
               service: str | None = None) -> str:
    """The service's export URL for these rows (no token: the browser sends its own login).

    >>> export_url("air", "csv", where=[("pm10", "gt", 50)], service="http://h/")
    'http://h/api/datasets/air/export.csv?where=pm10%3Agt%3A50'
    """
    from .catalog import DATASETS_PATH, where_param
    from .data import service_url

    params = [("where", where_param(c)) for c in where]
    params += [(name, ",".join(v)) for name, v in (("select", select), ("order_by", order_by))
               if v]
    query = f"?{urlencode(params)}" if params else ""
    path = f"{DATASETS_PATH}/{quote(dataset, safe='')}/export.{fmt}"
    return f"{service or service_url()}{path}{query}"


@dataclass
class Query:
    """A dataset request a view re-runs when its filters change.

    `where`: the view's own conditions; `filters`: a FilterPanel (or anything with ``.where``)
    whose conditions are added at each run; `params`: the rest of the aggregate or records
    arguments (None values are left out).
    """

    dataset: str
    where: tuple = ()
    filters: Any = None
    params: dict[str, Any] = field(default_factory=dict)

    def conditions(self) -> list:
        return [*self.where, *(self.filters.where if self.filters is not None else ())]

    def _arguments(self, extra: dict[str, Any]) -> dict[str, Any]:
        given = {**self.params, **extra}
        return {k: v for k, v in given.items() if v is not None} | {"where": self.conditions()}

    def aggregate(self, **extra):
        return aggregate(self.dataset, **self._arguments(extra))

    def records(self, **extra):
        return records(self.dataset, **self._arguments(extra))
