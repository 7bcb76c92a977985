"""The grouped Arrow table of aggregate.py -> the answer: suppressed, sorted, limited.

Suppression comes first (hub/policy/suppression.py decides which groups; their measures become
null and ``suppressed`` true), then ``order_by`` (nulls last, so a withheld group's place in
the order tells nothing of its values) and ``limit``. Every group is computed before the
limit: a sort could otherwise rank groups by values the caller may not see.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from hub.policy.suppression import withheld

from .aggregate import MAX_GROUPS, SIZE, SUPPRESSED, AggregateRequest
from .query import QueryError


@dataclass(frozen=True)
class Answer:
    table: pa.Table  # the output columns (request.output), in order
    groups: int  # before the limit
    suppressed_groups: int  # before the limit


def suppress(table: pa.Table, request: AggregateRequest, min_size: int | None) -> pa.Table:
    """Measures of withheld groups set to null, a ``suppressed`` column added, SIZE dropped."""
    columns = [table.column(k).to_pylist() for k in request.keys]
    keys = list(zip(*columns)) if columns else [()] * table.num_rows
    mask = pa.array(withheld(keys, table.column(SIZE).to_pylist(), min_size), pa.bool_())
    for measure in request.measures:
        index = table.schema.get_field_index(measure.name)
        column = table.column(index)
        table = table.set_column(index, measure.name,
                                 pc.if_else(mask, pa.scalar(None, column.type), column))
    return table.drop_columns([SIZE]).append_column(SUPPRESSED, mask)


def order(table: pa.Table, request: AggregateRequest) -> pa.Table:
    """Sorted by order_by, then by the keys (ascending), nulls last either way."""
    wanted = [(n, "descending" if desc else "ascending", "at_end") for n, desc in request.order_by]
    named = {n for n, _ in request.order_by}
    wanted += [(k, "ascending", "at_end") for k in request.keys if k not in named]
    return table.sort_by(wanted) if request.order_by else table


def answer(table: pa.Table, request: AggregateRequest, min_size: int | None) -> Answer:
    """The caller's answer from the grouped table (at most MAX_GROUPS + 1 rows)."""
    if table.num_rows > MAX_GROUPS:
        raise QueryError(f"more than {MAX_GROUPS} groups: group by fewer columns, use a "
                         "coarser bucket (e.g. month instead of day) or filter with where=")
    table = order(suppress(table, request, min_size), request)
    hidden = pc.sum(table.column(SUPPRESSED).cast(pa.int64())).as_py() or 0
    shown = table if request.limit is None else table.slice(0, request.limit)
    return Answer(shown, table.num_rows, hidden)
