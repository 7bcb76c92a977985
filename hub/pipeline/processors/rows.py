"""filter: keep or drop the rows where one condition on one column holds.

A condition holds one test: ``equals`` a value, ``in`` a list of values (compared as values
or as text, as ``validate``'s ``allowed``), a range ``min``/``max`` (numbers, or ISO dates),
``missing`` (true: the value is null, false: it is not) or ``pattern`` (a regular expression
matching the whole value, RE2 syntax, as ``validate``'s). Nulls never equal, belong to a
list or range, or match a pattern. The dropped rows are noted as ``rows_dropped`` and
counted on the condition's column as ``filtered_out``, with examples; they count in the
recipe's ``max_dropped_fraction`` like any other step's.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from pydantic import Field, create_model, field_validator, model_validator

from ..interfaces import Params, ProcessContext, Processor
from ..parallel import keep_rows
from ._checks import bad_format, comparable, listed, re2_problem
from ._common import as_text, examples, require_columns

Value = str | int | float | bool
Bound = float | dt.date | str | None
TESTS = ("equals", "in", "range", "missing", "pattern")


class _Condition(Params):
    """A column and one test; ``in``, a Python keyword, is added by :data:`Condition`."""

    column: str
    equals: Value | None = None
    min: Bound = None
    max: Bound = None
    missing: bool | None = None  # not `null`: YAML reads that key as None
    pattern: str | None = None

    @field_validator("min", "max")
    @classmethod
    def _number_or_date(cls, bound: Bound) -> Bound:
        if isinstance(bound, str):
            try:
                dt.date.fromisoformat(bound[:10])
                pd.Timestamp(bound)
            except ValueError:
                raise ValueError(f"{bound!r} is neither a number nor an ISO date "
                                 "(2024-12-31, 2024-12-31T08:00)") from None
        return bound

    @field_validator("pattern")
    @classmethod
    def _re2(cls, pattern: str | None) -> str | None:
        if pattern is not None and re2_problem(pattern):
            raise ValueError(re2_problem(pattern))
        return pattern

    @model_validator(mode="after")
    def _one_test(self):
        given = [test for test in TESTS if self._given(test)]
        if len(given) != 1:
            raise ValueError(f"give one test of {', '.join(TESTS[:-1])} (min and/or max) or "
                             f"{TESTS[-1]}; got {', '.join(given) or 'none'}")
        bounds = [b for b in (self.min, self.max) if b is not None]
        if len({self._is_date(b) for b in bounds}) > 1:
            raise ValueError("min and max: two numbers or two dates")
        return self

    def _given(self, test: str) -> bool:
        if test == "range":
            return self.min is not None or self.max is not None
        return getattr(self, test) is not None

    @staticmethod
    def _is_date(bound) -> bool:
        return isinstance(bound, (str, dt.date))

    def holds(self, series: pd.Series) -> np.ndarray:
        """Mask of the rows where the condition holds (never on nulls, but for ``missing``)."""
        present = series.notna().to_numpy()
        if self.missing is not None:
            return ~present if self.missing else present
        if self.pattern is not None:
            return present & ~bad_format(series, self.pattern, preset=False)
        if self.equals is not None or getattr(self, "in") is not None:
            values = [self.equals] if self.equals is not None else getattr(self, "in")
            return present & listed(series, values).to_numpy(dtype=bool)
        return present & self._in_range(series)

    def _in_range(self, series: pd.Series) -> np.ndarray:
        as_dates = any(self._is_date(b) for b in (self.min, self.max) if b is not None)
        values, low, high = comparable(series, self.min, self.max, as_dates)
        inside = values.notna()
        if low is not None:
            inside &= values >= low
        if high is not None:
            inside &= values <= high
        return inside.fillna(False).to_numpy(dtype=bool)


# a field named `in` (not `in_` with an alias), so that recipe errors, the recipe hash and
# the manifest all say `in`
Condition = create_model("Condition", __base__=_Condition,
                         **{"in": (list[Value] | None, Field(None, min_length=1))})


class FilterParams(Params):
    keep: Condition | None = None
    drop: Condition | None = None

    @model_validator(mode="after")
    def _keep_or_drop(self):
        if (self.keep is None) == (self.drop is None):
            raise ValueError("give either `keep` (the rows to keep) or `drop` (the rows to "
                             "drop), with one condition")
        return self


class Filter(Processor):
    """Keep or drop rows by a condition: equals, in, min/max (numbers or dates), missing, pattern.

        - filter: {keep: {column: type_commune, equals: COM}}
        - filter: {drop: {column: population, missing: true}}
        - filter: {keep: {column: date_decision, min: "2020-01-01", max: "2024-12-31"}}
    """

    name = "filter"
    summary = "Keep or drop rows by a condition: equals, in, range (numbers, dates), missing, pattern"
    Params = FilterParams

    def apply(self, frame: pd.DataFrame, context: ProcessContext) -> pd.DataFrame:
        condition = self.params.keep or self.params.drop
        require_columns(frame, [condition.column], self.name)
        series = frame[condition.column]
        holds = condition.holds(series)
        dropped = ~holds if self.params.keep else holds
        n = int(dropped.sum())
        context.note("rows_dropped", n)
        if not n:
            return frame.copy(deep=False)
        shown = examples(as_text(series[dropped])) if series[dropped].notna().any() else None
        context.quality.count(condition.column, "filtered_out", n, shown)
        return keep_rows(frame, ~dropped)
