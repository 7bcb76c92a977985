"""Policy evaluation: one rule per function, in the order documented in hub/policy/__init__.py.

Functions take an ``access`` object with ``groups``, ``users``, ``rows`` (RowRule list) and
``columns`` ({column: ColumnRule}), optionally ``min_group_size``, and a :class:`Caller`; they
never raise on a caller, they answer "no".
"""

from __future__ import annotations

from dataclasses import dataclass

from .caller import Caller
from .rules import ColumnRule, RowRule


@dataclass(frozen=True)
class RowFilter:
    """Keep rows whose `column` is in `values` (an empty tuple keeps nothing)."""

    column: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Decision:
    """Everything the datasets service needs to serve one dataset to one caller."""

    allowed: bool
    row_filters: tuple[RowFilter, ...] = ()
    column_actions: tuple[tuple[str, ColumnRule], ...] = ()
    min_group_size: int | None = None  # aggregates: smaller groups are withheld

    @property
    def hidden_columns(self) -> frozenset[str]:
        return frozenset(c for c, rule in self.column_actions if rule.action == "hide")


DENIED = Decision(False)


def may_read(caller: Caller, access) -> bool:
    """Step 1: named user or member of an allowed group. No admin bypass."""
    return caller.name in access.users or caller.in_any(access.groups)


def row_rule_applies(caller: Caller, rule: RowRule) -> bool:
    if caller.in_any(rule.exempt_groups):
        return False
    return not rule.applies_to_groups or caller.in_any(rule.applies_to_groups)


def row_filters(caller: Caller, access) -> tuple[RowFilter, ...]:
    """Step 2: one filter per applicable row rule; missing attribute -> keeps nothing."""
    return tuple(
        RowFilter(rule.column, tuple(sorted(caller.attribute(rule.in_attribute))))
        for rule in access.rows
        if row_rule_applies(caller, rule)
    )


def column_actions(caller: Caller, access) -> tuple[tuple[str, ColumnRule], ...]:
    """Step 3: the column rules that apply to this caller, in recipe order."""
    return tuple(
        (column, rule) for column, rule in access.columns.items()
        if not caller.in_any(rule.exempt_groups)
    )


def min_group_size(access, rows: tuple, columns: tuple) -> int | None:
    """Step 4: small-count suppression of aggregates, unless the caller has raw access (no
    row or column rule applies to them: they may read every stored row and value anyway)."""
    if not rows and not columns:
        return None
    return getattr(access, "min_group_size", None)


def decide(caller: Caller, access) -> Decision:
    """The whole decision for one caller and one dataset's access section."""
    if access is None or not may_read(caller, access):
        return DENIED
    rows, columns = row_filters(caller, access), column_actions(caller, access)
    return Decision(True, rows, columns, min_group_size(access, rows, columns))
