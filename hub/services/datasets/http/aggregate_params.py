"""Query-string parameters -> a validated :class:`~.aggregate.AggregateRequest`.

    by=a,b                 grouping columns (a column list, like records' select)
    bucket=col:unit        repeatable; unit day, week (ISO, from Monday), month, quarter, year
    measure=fn[:col]       repeatable; count, count:c, distinct:c, sum:c, mean:c, min:c,
                           max:c, p<0-100>:c (quantile); default: count
    where=col:op:value     repeatable, exactly as records (params.parse_where)
    order_by=-count,a      sort on output columns; a leading '-' sorts descending
    limit=20               groups returned, at most MAX_GROUPS (default: all of them)

Nothing here becomes SQL: aggregate.compile_aggregate checks every column against the
visible schema.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ..read.aggregate import (
    COUNTS,
    DEFAULT_MEASURES,
    MAX_GROUPS,
    NUMERIC,
    UNITS,
    AggregateRequest,
    Bucket,
    Measure,
)
from ..read.query import QueryError
from .params import MAX_FILTERS, names, parse_int, parse_where

PARAMS = ("by", "bucket", "measure", "where", "order_by", "limit")
MAX_BY, MAX_BUCKETS, MAX_MEASURES = 10, 3, 30
QUANTILE = re.compile(r"^p(100|[1-9]?[0-9])$")
FUNCTIONS = "count, distinct, sum, mean, min, max, p0 to p100"


def parse_measure(text: str) -> Measure:
    function, _, column = text.strip().partition(":")
    if function not in COUNTS and function not in NUMERIC and not QUANTILE.match(function):
        raise QueryError(f"measure={text[:60]}: unknown measure {function[:20]!r}; use one of "
                         f"{FUNCTIONS}, e.g. measure=count or measure=sum:<column>")
    if not column and function != "count":
        raise QueryError(f"measure={text[:60]}: {function} needs a column: "
                         f"measure={function}:<column>")
    return Measure(function, column or None)


def parse_bucket(text: str) -> Bucket:
    column, _, unit = text.strip().rpartition(":")
    if not column or unit not in UNITS:
        raise QueryError(f"bucket={text[:60]}: write bucket=<date column>:<unit>, unit one of "
                         f"{', '.join(UNITS)}")
    return Bucket(column, unit)


def many(args: Mapping[str, list[str]], name: str, most: int) -> list[str]:
    values = args.get(name) or []
    if len(values) > most:
        raise QueryError(f"at most {most} {name} parameters")
    return values


def parse_limit(text: str | None) -> int | None:
    limit = parse_int("limit", text, None)
    if limit is not None and limit > MAX_GROUPS:
        raise QueryError(f"limit must be <= {MAX_GROUPS}")
    return limit


def parse_aggregate(args: Mapping[str, list[str]], types: Mapping[str, str]) -> AggregateRequest:
    """An AggregateRequest from decoded query arguments ({name: [values]})."""
    by = names(",".join(args.get("by") or []))
    if len(by) > MAX_BY:
        raise QueryError(f"by: at most {MAX_BY} columns")
    measures = [parse_measure(m) for m in many(args, "measure", MAX_MEASURES)]
    order = args.get("order_by") or []
    return AggregateRequest(
        by=by, buckets=tuple(parse_bucket(b) for b in many(args, "bucket", MAX_BUCKETS)),
        measures=tuple(measures) or DEFAULT_MEASURES,
        filters=tuple(parse_where(w, types) for w in many(args, "where", MAX_FILTERS)),
        order_by=tuple((n.removeprefix("-"), n.startswith("-"))
                       for n in names(order[-1] if order else None)),
        limit=parse_limit((args.get("limit") or [None])[-1]))
