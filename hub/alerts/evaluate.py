"""Alert rules judged on a dataset's current snapshot, after each successful refresh.

For a rule with ``latest_by`` the query is, every name quoted and the number bound::

    SELECT <columns> FROM (
        SELECT <columns>, row_number() OVER (PARTITION BY "per" ORDER BY "latest_by" DESC
                                             NULLS LAST) AS agora_rank
        FROM read_parquet(?))
    WHERE agora_rank = 1 AND "column" > ?

(without it, the test moves inside and any matching row per value is kept). The snapshot
is read in full: alerts are raised about every row; who is told what is delivery's business
(each recipient's rights).
"""

from __future__ import annotations

import difflib
import logging
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from .episodes import Changes, EpisodeStore
from .rules import AlertRule

log = logging.getLogger(__name__)


class RuleError(ValueError):
    """A rule names a column the data does not have (the message says which, and the fix)."""


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def check_columns(rule: AlertRule, schema: pa.Schema, dataset: str) -> None:
    """Every column the rule names exists; those it compares hold numbers."""
    available = schema.names
    for column in rule.columns:
        if column not in available:
            close = difflib.get_close_matches(column, available, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"columns: {', '.join(available)}"
            raise RuleError(f"{dataset}: alerts.{rule.name}: no column {column!r} in the data "
                            f"({hint})")
    operator, kind, operand = rule.when.test
    for column in [rule.when.column] + ([operand] if kind == "column" else []):
        kind_of = schema.field(column).type
        if not (pa.types.is_integer(kind_of) or pa.types.is_floating(kind_of)
                or pa.types.is_decimal(kind_of)):
            raise RuleError(f"{dataset}: alerts.{rule.name}: {column!r} does not hold numbers "
                            f"({kind_of}): add a parse_numbers step for it to the recipe")


def active_rows(parquet: Path, rule: AlertRule, dataset: str = "") -> dict[str, dict]:
    """{per value as text: the row that raises the alert} for the snapshot at `parquet`."""
    check_columns(rule, pq.read_schema(parquet), dataset or parquet.parent.name)
    operator, kind, operand = rule.when.test
    columns = ", ".join(quoted(c) for c in rule.columns)
    right = quoted(operand) if kind == "column" else "?"
    test = f"{quoted(rule.when.column)} {operator} {right}"
    if rule.latest_by:  # judge each value by its latest row
        order, before, after = (f"ORDER BY {quoted(rule.latest_by)} DESC NULLS LAST", "",
                                f" AND {test}")
    else:  # any matching row will do
        order, before, after = "", f" WHERE {test}", ""
    sql = (f"SELECT {columns} FROM (SELECT {columns}, row_number() OVER (PARTITION BY "
           f"{quoted(rule.per)} {order}) AS agora_rank FROM read_parquet(?){before}) "
           f"WHERE agora_rank = 1{after}")
    parameters = [str(parquet)] + ([operand] if kind == "number" else [])
    with duckdb.connect() as db:
        frame = db.execute(sql, parameters).fetch_df()
    return {str(row[rule.per]): row for row in frame.astype(object).where(
        frame.notna(), None).to_dict("records") if row[rule.per] is not None}


def evaluate_rules(dataset: str, rules, parquet: Path | None, version: str | None,
                   episodes: EpisodeStore, now: str | None = None) -> dict[str, Changes]:
    """Judge each rule on the snapshot; {rule name: episodes opened and closed}. A rule that
    fails (a wrong column) is logged and skipped: the others and the refresh go on."""
    now = now or datetime.now(UTC).isoformat(timespec="seconds")
    changes = {}
    for rule in rules:
        if parquet is None:
            continue
        try:
            active = active_rows(parquet, rule, dataset)
        except (RuleError, duckdb.Error) as exc:
            log.error("alert rule %s of %s not judged: %s", rule.name, dataset, exc)
            continue
        titled = {key: (row, {lang: rule.title_for(row, lang) for lang in ("fr", "en")})
                  for key, row in active.items()}
        changes[rule.name] = episodes.update(dataset, rule.name, titled, version, now)
    return changes
