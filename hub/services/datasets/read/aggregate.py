"""Compile one aggregate request plus the caller's policy decision into parameterised DuckDB SQL.

The inner select is the records path's own (query.policy_select: row rules, hidden columns
gone, column rules applied), so groups and measures only ever see what the caller may see:

    SELECT <by columns>, CAST(date_trunc(?, <column>) AS DATE) AS "<column>_<unit>",
           count(*) AS "count", sum("amount") AS "sum_amount", ...,
           count(*) AS "__agora_size"
    FROM (<query.policy_select>) AS allowed
    WHERE <caller filters>
    GROUP BY 1, 2 ORDER BY 1, 2 LIMIT ?

Column names are checked against the visible schema and quoted; units, quantile fractions and
every other value are bound parameters. Pseudonymised columns may only be counted (grouping
by one would give group sizes per person); geometries only counted. ``__agora_size`` (rows
per group) drives suppression (aggregate_result.py) and is never returned.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from hub.policy.evaluate import Decision

from .query import Compiled, Filter, QueryError, check_column, filter_condition, policy_select, quote

MAX_GROUPS = 10_000  # groups computed per answer (the limit only trims what is returned)
SIZE = "__agora_size"
SUPPRESSED = "suppressed"
UNITS = ("day", "week", "month", "quarter", "year")  # week: ISO, starting on Monday
COUNTS = {"count": "count({})", "distinct": "count(DISTINCT {})"}
NUMERIC = {"sum": "sum({})", "mean": "avg({})", "min": "min({})", "max": "max({})"}
ORDERED = {"min", "max"}  # also on dates and times
WORDS = {"number": "a number", "date": "a date", "timestamp": "a timestamp",
         "timestamptz": "a timestamp", "geometry": "a geometry", "bool": "true/false",
         "text": "text"}


@dataclass(frozen=True)
class Measure:
    function: str  # count, distinct, sum, mean, min, max, or p<0-100> (a quantile)
    column: str | None = None

    @property
    def name(self) -> str:
        return self.function if self.column is None else f"{self.function}_{self.column}"

    @property
    def text(self) -> str:
        return self.function if self.column is None else f"{self.function}:{self.column}"


@dataclass(frozen=True)
class Bucket:
    column: str
    unit: str

    @property
    def name(self) -> str:
        return f"{self.column}_{self.unit}"


DEFAULT_MEASURES = (Measure("count"),)


@dataclass(frozen=True)
class AggregateRequest:
    by: tuple[str, ...] = ()
    buckets: tuple[Bucket, ...] = ()
    measures: tuple[Measure, ...] = DEFAULT_MEASURES
    filters: tuple[Filter, ...] = ()
    order_by: tuple[tuple[str, bool], ...] = ()  # (output column, descending)
    limit: int | None = None

    @property
    def keys(self) -> list[str]:
        return [*self.by, *(b.name for b in self.buckets)]

    @property
    def output(self) -> list[str]:
        return [*self.keys, *(m.name for m in self.measures), SUPPRESSED]


def kind_of(arrow_type: str) -> str:
    """number, date, timestamp, timestamptz, geometry, bool or text."""
    t = arrow_type.lower()
    if t.startswith(("int", "uint", "float", "double", "halffloat", "decimal")):
        return "number"
    if t.startswith("date"):
        return "date"
    if t.startswith("timestamp"):
        return "timestamptz" if "tz=" in t else "timestamp"
    return t if t in ("geometry", "bool") else "text"


@dataclass(frozen=True)
class Columns:
    """The caller's visible columns: names in order, their types after column rules, and
    which are pseudonymised."""

    visible: list[str]
    types: Mapping[str, str]
    pseudonymised: frozenset[str]

    def kind(self, name: str) -> str:
        return kind_of(self.types.get(check_column(name, self.visible), "string"))


def columns_for(visible: list[str], types: Mapping[str, str], decision: Decision) -> Columns:
    pseudonymised = frozenset(c for c, rule in decision.column_actions
                              if rule.action == "pseudonymise")
    return Columns(visible, types, pseudonymised)


def group_expression(name: str, columns: Columns) -> str:
    what = columns.kind(name)
    if name in columns.pseudonymised:
        raise QueryError(f"by={name}: column {name!r} is pseudonymised and cannot be grouped "
                         f"by (it would show group sizes per person); count it instead, "
                         f"e.g. measure=distinct:{name}")
    if what == "geometry":
        raise QueryError(f"by={name}: column {name!r} is a geometry and cannot be grouped by")
    return quote(name)


def bucket_expression(bucket: Bucket, columns: Columns, params: list) -> str:
    what = columns.kind(bucket.column)
    if what not in ("date", "timestamp", "timestamptz"):
        raise QueryError(f"bucket={bucket.column}:{bucket.unit}: column {bucket.column!r} is "
                         f"{WORDS[what]}, not a date or a timestamp (as you see it); group by it "
                         "with by= instead")
    column = quote(bucket.column)
    params.append(bucket.unit)
    if what == "timestamptz":  # buckets of UTC days, whatever the session's time zone
        params.append("UTC")
        column = f"timezone(?, {column})"
    return f"CAST(date_trunc(?, {column}) AS DATE)"


def measure_expression(measure: Measure, columns: Columns, params: list) -> str:
    if measure.column is None:
        return "count(*)"
    column, what = quote(measure.column), columns.kind(measure.column)
    if measure.function in COUNTS:
        if what == "geometry" and measure.function == "distinct":
            raise QueryError(f"measure={measure.text}: column {measure.column!r} is a "
                             f"geometry: only count:{measure.column} applies to it")
        return COUNTS[measure.function].format(column)
    check_measurable(measure, what, columns)
    if measure.function == "sum" and columns.types[measure.column].startswith(("int", "uint")):
        return f"CAST(sum({column}) AS BIGINT)"  # an integer in JSON, not DuckDB's HUGEINT
    if measure.function in NUMERIC:
        return NUMERIC[measure.function].format(column)
    params.append(int(measure.function[1:]) / 100)
    return f"quantile_cont({column}, ?)"


def check_measurable(measure: Measure, what: str, columns: Columns) -> None:
    """Numeric measures need a number (min and max: also a date or a time), never a pseudonym."""
    name = measure.column
    if name in columns.pseudonymised:
        raise QueryError(f"measure={measure.text}: column {name!r} is pseudonymised: only "
                         f"count:{name} and distinct:{name} apply to it")
    ordered = measure.function in ORDERED and what in ("date", "timestamp", "timestamptz")
    if what != "number" and not ordered:
        needs = "a number, a date or a time" if measure.function in ORDERED else "a number"
        raise QueryError(f"measure={measure.text}: column {name!r} is {WORDS[what]}, and "
                         f"{measure.function} needs {needs}; use count:{name} or "
                         f"distinct:{name}, or a numeric column")


def check_output(request: AggregateRequest) -> None:
    names = request.output
    twice = sorted({n for n in names if names.count(n) > 1} | ({SIZE} & set(names)))
    if twice:
        raise QueryError(f"output column {twice[0]!r} would appear twice (or is reserved): "
                         "drop one of the by, bucket or measure parameters that make it")
    for name, _ in request.order_by:
        if name not in names:
            raise QueryError(f"order_by={name}: not a column of this aggregate; use one of "
                             f"{', '.join(names)}")


def measure_type(measure: Measure, types: Mapping[str, str]) -> str:
    """The Arrow type name of a measure's column in the answer."""
    if measure.column is None or measure.function in COUNTS:
        return "int64"
    if measure.function in ORDERED:
        return types[measure.column]
    if measure.function == "sum" and types[measure.column].startswith(("int", "uint")):
        return "int64"
    return "double"


def output_types(request: AggregateRequest, types: Mapping[str, str]) -> list[str]:
    """The Arrow type name of each output column (the answer's `schema`): keys keep the
    visible type, buckets are dates, then the measures, then `suppressed`."""
    return ([types[c] for c in request.by] + ["date32[day]"] * len(request.buckets)
            + [measure_type(m, types) for m in request.measures] + ["bool"])


def compile_aggregate(path: str, schema: list[str], decision: Decision,
                      request: AggregateRequest, types: Mapping[str, str]) -> Compiled:
    """The parameterised query for one aggregate request (columns: keys, measures, SIZE)."""
    if not decision.allowed:
        raise PermissionError("policy denies this dataset")
    inner_params: list = []
    inner, visible = policy_select(path, schema, decision, inner_params)
    columns = columns_for(visible, types, decision)
    params: list = []
    select = [f"{group_expression(c, columns)} AS {quote(c)}" for c in request.by]
    select += [f"{bucket_expression(b, columns, params)} AS {quote(b.name)}"
               for b in request.buckets]
    select += [f"{measure_expression(m, columns, params)} AS {quote(m.name)}"
               for m in request.measures]
    check_output(request)
    sql = f"SELECT {', '.join(select)}, count(*) AS {quote(SIZE)} FROM ({inner}) AS allowed"
    params += inner_params
    conditions = [filter_condition(f, visible, params) for f in request.filters]
    if conditions:
        sql += " WHERE " + " AND ".join(conditions)
    if request.keys:
        ordinals = ", ".join(str(i + 1) for i in range(len(request.keys)))
        sql += f" GROUP BY {ordinals} ORDER BY {ordinals}"
    params.append(MAX_GROUPS + 1)
    return Compiled(sql + " LIMIT ?", params, [*request.keys,
                                               *(m.name for m in request.measures), SIZE])
