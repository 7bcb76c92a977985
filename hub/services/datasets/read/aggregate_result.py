"""The grouped rows of aggregate.py -> the answer: suppressed, sorted, limited.

Suppression comes first (hub/policy/suppression.py decides which groups; their measures become
null and ``suppressed`` true), then ``order_by`` (nulls last, so a withheld group's place in
the order tells nothing of its values) and ``limit``. Every group is computed before the
limit: a sort could otherwise rank groups by values the caller may not see. An answer has at
most MAX_GROUPS rows, so plain Python tuples serve (an Arrow table cost more than the query
for a few hundred groups).
"""

from __future__ import annotations

from dataclasses import dataclass

from hub.policy.suppression import withheld

from .aggregate import MAX_GROUPS, AggregateRequest
from .query import QueryError


@dataclass(frozen=True)
class Answer:
    columns: list[str]  # request.output
    rows: list[tuple]  # after the limit
    groups: int  # before the limit
    suppressed_groups: int  # before the limit


def suppress(rows: list[tuple], request: AggregateRequest, min_size: int | None) -> list[tuple]:
    """Each row (keys, measures, size) -> (keys, measures or nulls, suppressed)."""
    width = len(request.keys)
    sizes = [row[-1] for row in rows]
    if min_size is None or all(size >= min_size for size in sizes):
        return [(*row[:-1], False) for row in rows]
    hidden = withheld([row[:width] for row in rows], sizes, min_size)
    nulls = (None,) * len(request.measures)
    return [(*row[:width], *nulls, True) if flag else (*row[:-1], False)
            for row, flag in zip(rows, hidden)]


def order(rows: list[tuple], request: AggregateRequest) -> list[tuple]:
    """Sorted by order_by, nulls last either way; ties keep the query's order (by keys)."""
    names = request.output
    for name, descending in reversed(request.order_by):
        index = names.index(name)
        present = [row for row in rows if row[index] is not None]
        present.sort(key=lambda row: row[index], reverse=descending)  # stable, even reversed
        rows = present + [row for row in rows if row[index] is None]
    return rows


def answer(rows: list[tuple], request: AggregateRequest, min_size: int | None) -> Answer:
    """The caller's answer from the grouped rows (at most MAX_GROUPS + 1 of them)."""
    if len(rows) > MAX_GROUPS:
        raise QueryError(f"more than {MAX_GROUPS} groups: group by fewer columns, use a "
                         "coarser bucket (e.g. month instead of day) or filter with where=")
    rows = order(suppress(rows, request, min_size), request)
    hidden = sum(1 for row in rows if row[-1])
    shown = rows if request.limit is None else rows[:request.limit]
    return Answer(request.output, shown, len(rows), hidden)
