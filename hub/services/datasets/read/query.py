"""Compile one records request plus the caller's policy decision into parameterised DuckDB SQL.

Shape of every query (the inner select applies the policy; the caller's own filters, sort and
paging apply to what the caller may see, so a filter can never probe a hidden or original
value):

    SELECT <requested columns> FROM (
        SELECT <visible columns, transformed by column rules>
        FROM read_parquet(?) WHERE <row rules>
    ) WHERE <caller filters> ORDER BY ... LIMIT ? OFFSET ?

Column names are never taken from the request as SQL: each is checked against the visible
schema and quoted. Every value is a bound parameter.

A sorted request is also sorted by the row's position in the file (DuckDB's
``file_row_number``, never selectable): rows that tie on the requested columns then come in
one fixed order, so pages (``offset``) neither repeat nor skip rows, and records and exports
of the same request give the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hub.policy.bands import band_sql
from hub.policy.evaluate import Decision
from hub.policy.rules import ColumnRule

MAX_LIMIT = 10_000
ROW_NUMBER = "__agora_row"  # the tie-breaker column of sorted queries (not visible)
OPERATORS = {"eq": "=", "ne": "<>", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}
LIST_OPERATORS = {"in"}
UNARY_OPERATORS = {"is_null": "IS NULL", "not_null": "IS NOT NULL"}
ALL_OPERATORS = sorted({*OPERATORS, *LIST_OPERATORS, *UNARY_OPERATORS, "contains"})


class QueryError(ValueError):
    """The request is invalid (unknown column, bad operator, absurd limit): HTTP 400."""


@dataclass(frozen=True)
class Filter:
    column: str
    op: str
    value: object = None


@dataclass(frozen=True)
class RecordsRequest:
    select: tuple[str, ...] = ()
    filters: tuple[Filter, ...] = ()
    order_by: tuple[tuple[str, bool], ...] = ()  # (column, descending)
    limit: int | None = 100
    offset: int = 0


@dataclass
class Compiled:
    sql: str
    params: list = field(default_factory=list)
    columns: list[str] = field(default_factory=list)


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def visible_columns(schema: list[str], decision: Decision) -> list[str]:
    hidden = decision.hidden_columns
    return [c for c in schema if c not in hidden]


def column_expression(name: str, rule: ColumnRule | None, params: list) -> str:
    """SQL for one visible column after its column rule (if any)."""
    col = quote(name)
    if rule is None:
        return col
    if rule.action == "pseudonymise":  # the column's type: whole floats hash as integers
        return f"agora_pseudonym(CAST({col} AS VARCHAR), typeof({col}))"
    if rule.to == "year":
        return f"CAST(year(CAST({col} AS DATE)) AS INTEGER)"
    if rule.to == "month":
        return f"strftime(CAST({col} AS DATE), '%Y-%m')"
    if rule.to == "decade":
        return f"CAST(floor(CAST({col} AS DOUBLE) / 10) * 10 AS INTEGER)"
    return band_sql(col, rule.bands, params)


def policy_select(path_param: str, schema: list[str], decision: Decision,
                  params: list, row_number: bool = False) -> tuple[str, list[str]]:
    """The inner SELECT: visible, transformed columns and row rules, with bound values;
    `row_number` adds the file position as ROW_NUMBER."""
    rules = dict(decision.column_actions)
    columns = visible_columns(schema, decision)
    select = ", ".join(f"{column_expression(c, rules.get(c), params)} AS {quote(c)}"
                       for c in columns) or "NULL AS nothing"
    source = "read_parquet(?)"
    if row_number:
        select += f", file_row_number AS {quote(ROW_NUMBER)}"
        source = "read_parquet(?, file_row_number = true)"
    params.append(path_param)
    where = [row_condition(f.column, f.values, params) for f in decision.row_filters]
    sql = f"SELECT {select} FROM {source}"
    if where:
        sql += " WHERE " + " AND ".join(where)
    return sql, columns


def row_condition(column: str, values: tuple[str, ...], params: list) -> str:
    if not values:
        return "FALSE"
    params.extend(values)
    marks = ", ".join("?" for _ in values)
    return f"CAST({quote(column)} AS VARCHAR) IN ({marks})"


def check_column(name: str, visible: list[str]) -> str:
    if name not in visible:
        raise QueryError(f"unknown column {name!r}")
    return name


def filter_condition(f: Filter, visible: list[str], params: list) -> str:
    col = quote(check_column(f.column, visible))
    if f.op in UNARY_OPERATORS:
        return f"{col} {UNARY_OPERATORS[f.op]}"
    if f.op in OPERATORS:
        params.append(f.value)
        return f"{col} {OPERATORS[f.op]} ?"
    if f.op == "contains":
        params.append(str(f.value))
        return f"contains(CAST({col} AS VARCHAR), ?)"
    if f.op == "in":
        values = list(f.value) if isinstance(f.value, (list, tuple)) else [f.value]
        if not values or len(values) > 1000:
            raise QueryError("`in` takes between 1 and 1000 values")
        params.extend(values)
        return f"{col} IN ({', '.join('?' for _ in values)})"
    raise QueryError(f"unknown operator {f.op!r}; use one of {', '.join(ALL_OPERATORS)}")


def compile_records(path: str, schema: list[str], decision: Decision,
                    request: RecordsRequest, max_limit: int | None = MAX_LIMIT) -> Compiled:
    """The full parameterised query for one records/export request."""
    if not decision.allowed:
        raise PermissionError("policy denies this dataset")
    params: list = []
    tie_break = bool(request.order_by) and not {"file_row_number", ROW_NUMBER} & set(schema)
    inner, visible = policy_select(path, schema, decision, params, tie_break)
    columns = [check_column(c, visible) for c in request.select] or visible
    sql = f"SELECT {', '.join(quote(c) for c in columns)} FROM ({inner}) AS allowed"
    conditions = [filter_condition(f, visible, params) for f in request.filters]
    if conditions:
        sql += " WHERE " + " AND ".join(conditions)
    if request.order_by:
        sql += " ORDER BY " + ", ".join(
            [f"{quote(check_column(c, visible))} {'DESC' if desc else 'ASC'}"
             for c, desc in request.order_by] + ([quote(ROW_NUMBER)] if tie_break else []))
    sql += paging(request, max_limit, params)
    return Compiled(sql, params, columns)


def paging(request: RecordsRequest, max_limit: int | None, params: list) -> str:
    if request.offset < 0 or (request.limit is not None and request.limit < 0):
        raise QueryError("limit and offset must be >= 0")
    if request.limit is None:
        if max_limit is not None:
            raise QueryError("a limit is required")
        return ""
    if max_limit is not None and request.limit > max_limit:
        raise QueryError(f"limit must be <= {max_limit}")
    params.extend([request.limit, request.offset])
    return " LIMIT ? OFFSET ?"
