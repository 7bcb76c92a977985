"""validate: check columns against declared rules and report, fix or drop what fails.

Rules per column: ``type`` (integer, number, string, date, boolean), ``required``,
``min``/``max`` (numbers, or ISO dates for date columns), ``allowed`` values, ``format`` (a
named preset: insee_commune, siret, siren — with their Luhn key —, postcode_fr, email) and
``pattern`` (a regular expression matched against the whole value, RE2 syntax).

For each column the quality report gets ``checked`` (rows), ``nulls``, ``invalid`` (rows
failing any rule, missing required values included, with examples) and one count per rule
(``missing``, ``invalid_type``, ``below_min``, ``above_max``, ``not_allowed``,
``bad_format``, ``bad_pattern``). The ``action`` then decides: ``flag`` (report only, the
default), ``null_invalid`` (invalid values become null) or ``drop_row``.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field, field_validator

from ..interfaces import Params, ProcessContext, Processor
from ..parallel import keep_rows, map_parallel
from ._checks import FORMATS, bad_format, bad_type, comparable, listed, re2_problem
from ._common import as_text, examples, require_columns


class ColumnRule(Params):
    type: Literal["integer", "number", "string", "date", "boolean"] | None = None
    required: bool = False
    min: float | str | None = None
    max: float | str | None = None
    allowed: list[str | int | float | bool] | None = None
    format: Literal[tuple(FORMATS)] | None = None  # type: ignore[valid-type]
    pattern: str | None = None
    action: Literal["flag", "null_invalid", "drop_row"] = "flag"

    @field_validator("pattern")
    @classmethod
    def _re2_pattern(cls, value: str | None) -> str | None:
        if value is not None and re2_problem(value):
            raise ValueError(re2_problem(value))
        return value


class ValidateParams(Params):
    columns: dict[str, ColumnRule] = Field(min_length=1)


class Validate(Processor):
    """Check types, required values, ranges, allowed values and formats; flag, null or drop.

        - validate:
            columns:
              code_commune: {format: insee_commune, required: true, action: drop_row}
              population: {type: integer, min: 0}
    """

    name = "validate"
    summary = "Validate columns (type, required, range, allowed, formats) with a quality report"
    Params = ValidateParams

    def apply(self, frame: pd.DataFrame, context: ProcessContext) -> pd.DataFrame:
        require_columns(frame, self.params.columns, self.name)
        out = frame.copy(deep=False)  # copy-on-write: replaced columns only
        drop = np.zeros(len(frame), dtype=bool)
        checks = [(column, frame[column], rule) for column, rule in self.params.columns.items()]
        # the checks of different columns are independent: one thread per core
        found = map_parallel(lambda check: _failures(check[1], check[2]), checks)
        for (column, series, rule), failures in zip(checks, found):
            invalid = np.zeros(len(series), dtype=bool)
            for mask in failures.values():
                invalid |= mask
            _report(context, column, series, failures, invalid)
            if rule.action == "null_invalid":
                out[column] = series.mask(invalid & series.notna().to_numpy())
            elif rule.action == "drop_row":
                drop |= invalid
        if not drop.any():
            return out
        context.note("rows_dropped", int(drop.sum()))
        return keep_rows(out, ~drop)


def _failures(series: pd.Series, rule: ColumnRule) -> dict[str, np.ndarray]:
    """Rule name -> mask of the rows breaking it."""
    found = {}
    if rule.required:
        found["missing"] = series.isna().to_numpy()
    if rule.type:
        found["invalid_type"] = bad_type(series, rule.type)
    if rule.min is not None or rule.max is not None:
        values, low, high = comparable(series, rule.min, rule.max, rule.type == "date")
        if low is not None:
            found["below_min"] = (values < low).fillna(False).to_numpy(dtype=bool)
        if high is not None:
            found["above_max"] = (values > high).fillna(False).to_numpy(dtype=bool)
    if rule.allowed is not None:
        allowed = listed(series, rule.allowed)
        found["not_allowed"] = (series.notna() & ~allowed).to_numpy(dtype=bool)
    if rule.format:
        found["bad_format"] = bad_format(series, rule.format, preset=True)
    if rule.pattern:
        found["bad_pattern"] = bad_format(series, rule.pattern, preset=False)
    return found


def _report(context, column, series, failures, invalid) -> None:
    quality = context.quality
    present = series.notna().to_numpy()
    quality.count(column, "checked", len(series))
    quality.count(column, "nulls", int(len(series) - present.sum()))
    text: list[pd.Series] = []

    def shown(mask: np.ndarray) -> list:
        """Examples of the failing values. The column is turned into text at most once, and
        only when a failing value is not null (examples skip nulls): formatting a 1M-row
        date column took longer than all the checks."""
        if not (mask & present).any():
            return []
        if not text:
            text.append(as_text(series))
        return examples(text[0][mask])

    quality.count(column, "invalid", int(invalid.sum()), shown(invalid) if invalid.any() else None)
    for rule, mask in failures.items():
        if mask.any():
            quality.count(column, rule, int(mask.sum()), shown(mask))
