"""Query-string parameters -> a validated :class:`~.query.RecordsRequest`.

    select=a,b            columns, in order (default: every visible column)
    order_by=-a,b         sort; a leading '-' sorts descending
    limit=100 offset=0    paging (records: default 100, at most 10000; exports: no default)
    where=col:op:value    repeatable; ops eq ne lt le gt ge contains in is_null not_null;
                          `in` takes values separated by '|'

Values are converted to the column's type as the caller sees it (an integer column compares
with integers), so a bad value is a readable 400, not a database error. Column names are
checked against the visible schema later, by query.compile_records; nothing here becomes SQL.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime

from ..read.query import (
    ALL_OPERATORS,
    LIST_OPERATORS,
    MAX_LIMIT,
    UNARY_OPERATORS,
    Filter,
    QueryError,
    RecordsRequest,
)

MAX_FILTERS = 50
MAX_IN_VALUES = 1000
DEFAULT_LIMIT = 100


def _bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    raise ValueError(text)


def converter(arrow_type: str) -> tuple[Callable[[str], object], str]:
    """(function, type name for messages) for a column's Arrow type name."""
    t = arrow_type.lower()
    if t.startswith(("int", "uint")):
        return int, "an integer"
    if t.startswith(("float", "double", "halffloat", "decimal")):
        return float, "a number"
    if t in ("bool", "boolean"):
        return _bool, "true or false"
    if t.startswith("date"):
        return date.fromisoformat, "a date (YYYY-MM-DD)"
    if t.startswith("timestamp"):
        return datetime.fromisoformat, "a date-time (ISO 8601)"
    return str, "text"


def convert(value: str, column: str, types: Mapping[str, str]):
    convert_to, what = converter(types.get(column, "string"))
    try:
        return convert_to(value)
    except (TypeError, ValueError):
        raise QueryError(f"filter on {column!r}: {value!r} is not {what}") from None


def parse_where(text: str, types: Mapping[str, str]) -> Filter:
    parts = text.split(":", 2)
    if len(parts) < 2 or not parts[0]:
        raise QueryError(f"bad filter {text!r}: write where=<column>:<op>:<value>")
    column, op = parts[0], parts[1]
    if op not in ALL_OPERATORS:
        raise QueryError(f"unknown operator {op!r}; use one of {', '.join(ALL_OPERATORS)}")
    if column not in types:
        raise QueryError(f"unknown column {column!r}")
    if op in UNARY_OPERATORS:
        return Filter(column, op)
    if types[column] == "geometry":
        raise QueryError(f"column {column!r} is a geometry: only is_null and not_null apply")
    if len(parts) < 3:
        raise QueryError(f"filter {text!r} needs a value: {column}:{op}:<value>")
    value = parts[2]
    if op == "contains":
        return Filter(column, op, value)
    if op in LIST_OPERATORS:
        items = value.split("|")
        if len(items) > MAX_IN_VALUES:
            raise QueryError(f"`in` takes at most {MAX_IN_VALUES} values")
        return Filter(column, op, tuple(convert(v, column, types) for v in items))
    return Filter(column, op, convert(value, column, types))


def parse_int(name: str, text: str | None, default: int | None) -> int | None:
    if text is None or text == "":
        return default
    try:
        number = int(text)
    except ValueError:
        raise QueryError(f"{name} must be a whole number, not {text[:40]!r}") from None
    if number < 0:
        raise QueryError(f"{name} must be >= 0")
    if number >= 2**63:  # DuckDB's LIMIT/OFFSET are BIGINT: larger ones failed as a 500
        raise QueryError(f"{name} must be < 2**63")
    return number


def names(text: str | None) -> tuple[str, ...]:
    return tuple(dict.fromkeys(part.strip() for part in (text or "").split(",") if part.strip()))


def parse_request(args: Mapping[str, list[str]], types: Mapping[str, str],
                  default_limit: int | None = DEFAULT_LIMIT,
                  max_limit: int | None = MAX_LIMIT) -> RecordsRequest:
    """A RecordsRequest from decoded query arguments ({name: [values]})."""
    def one(name: str) -> str | None:
        values = args.get(name) or []
        return values[-1] if values else None

    wheres = args.get("where") or []
    if len(wheres) > MAX_FILTERS:
        raise QueryError(f"at most {MAX_FILTERS} filters")
    limit = parse_int("limit", one("limit"), default_limit)
    if max_limit is not None and limit is not None and limit > max_limit:
        raise QueryError(f"limit must be <= {max_limit}")
    order_by = tuple((name.removeprefix("-"), name.startswith("-"))
                     for name in names(one("order_by")))
    return RecordsRequest(select=names(one("select")),
                          filters=tuple(parse_where(w, types) for w in wheres),
                          order_by=order_by, limit=limit,
                          offset=parse_int("offset", one("offset"), 0) or 0)
