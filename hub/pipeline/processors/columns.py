"""rename, select and derive: reshape columns declaratively.

``derive`` builds one new column either from a structured ``op`` over the columns in ``of``
(sum, difference, product, ratio, concat, year, month, round, upper, lower, coalesce) or from
an ``expression`` in the safe arithmetic language of :mod:`._expr` (never ``eval``).
Division by zero (0/0 included) gives null, counted as ``division_by_zero``.
"""

from __future__ import annotations

from typing import Literal

import pandas as pd
from pydantic import Field, field_validator, model_validator

from ..interfaces import Params, ProcessContext, ProcessingError, Processor
from . import _expr
from ._checks import as_numbers
from ._common import as_text, require_columns

ARITY = {"sum": 2, "difference": 2, "product": 2, "ratio": 2, "concat": 1, "year": 1,
         "month": 1, "round": 1, "upper": 1, "lower": 1, "coalesce": 1}
SINGLE = {"year", "month", "round", "upper", "lower", "difference", "ratio"}


class RenameParams(Params):
    columns: dict[str, str] = Field(min_length=1)


class Rename(Processor):
    """Rename columns (old: new).

        - rename: {columns: {COM: code_commune, LIBELLE: nom}}
    """

    name = "rename"
    summary = "Rename columns"
    Params = RenameParams

    def apply(self, frame: pd.DataFrame, context: ProcessContext) -> pd.DataFrame:
        require_columns(frame, self.params.columns, self.name)
        kept = [c for c in frame.columns if c not in self.params.columns]
        clash = [new for new in self.params.columns.values() if new in kept]
        if clash or len(set(self.params.columns.values())) < len(self.params.columns):
            name = clash[0] if clash else "(duplicate target)"
            raise ProcessingError(f"{self.name}: column {name!r} would exist twice")
        return frame.rename(columns=self.params.columns)


class SelectParams(Params):
    columns: list[str] = Field(min_length=1)


class Select(Processor):
    """Keep only these columns, in this order (a GeoDataFrame keeps ``geometry`` if listed).

        - select: {columns: [code_commune, nom, population, geometry]}
    """

    name = "select"
    summary = "Keep the listed columns, in order"
    Params = SelectParams

    def apply(self, frame: pd.DataFrame, context: ProcessContext) -> pd.DataFrame:
        require_columns(frame, self.params.columns, self.name)
        return frame[list(dict.fromkeys(self.params.columns))].copy()


class DeriveParams(Params):
    column: str
    op: Literal[tuple(ARITY)] | None = None  # type: ignore[valid-type]
    of: list[str] = Field(default_factory=list)
    expression: str | None = None
    digits: int = Field(0, ge=0, le=12)
    separator: str = " "

    @field_validator("expression")
    @classmethod
    def _safe(cls, text: str | None) -> str | None:
        if text is not None:
            _expr.parse(text)
        return text

    @model_validator(mode="after")
    def _op_or_expression(self):
        if (self.op is None) == (self.expression is None):
            raise ValueError("give either `op` (with `of`) or `expression`")
        if self.op and len(self.of) < ARITY[self.op]:
            raise ValueError(f"op {self.op} needs at least {ARITY[self.op]} column(s) in `of`")
        if self.op in SINGLE and len(self.of) != ARITY[self.op]:
            raise ValueError(f"op {self.op} takes exactly {ARITY[self.op]} column(s) in `of`")
        return self


class Derive(Processor):
    """Add (or replace) a column computed from others, with an op or a safe expression.

        - derive: {column: densite, op: ratio, of: [population, surface_km2]}
        - derive: {column: total_ttc, expression: "montant_ht * (1 + taux_tva / 100)"}
        - derive: {column: annee, op: year, of: [date_decision]}
    """

    name = "derive"
    summary = "Compute a new column: sum, ratio, concat, year... or a safe arithmetic expression"
    Params = DeriveParams

    def apply(self, frame: pd.DataFrame, context: ProcessContext) -> pd.DataFrame:
        p = self.params
        tree = _expr.parse(p.expression) if p.expression else None
        used = _expr.names(tree) if tree else p.of
        require_columns(frame, used, self.name)
        if tree:
            values, zeros = _expr.evaluate(tree, {c: _numeric(frame[c], c) for c in used})
        else:
            values, zeros = _operation(p, frame)
        if zeros:
            context.quality.count(p.column, "division_by_zero", zeros)
        values = pd.Series(values, index=frame.index)
        out = frame.copy()
        out[p.column] = values
        return out


def _numeric(series: pd.Series, name: str) -> pd.Series:
    if pd.api.types.is_bool_dtype(series) or not pd.api.types.is_numeric_dtype(series):
        raise ProcessingError(
            f"derive: column {name!r} is {series.dtype}, not numbers (use parse_numbers first)"
        )
    return series.astype("float64")


def _operation(p: DeriveParams, frame: pd.DataFrame) -> tuple[pd.Series, int]:
    """(values, divisions by zero) for a structured op."""
    if p.op == "ratio":
        return _expr.divide(_numeric(frame[p.of[0]], p.of[0]), _numeric(frame[p.of[1]], p.of[1]))
    return _structured(p, frame), 0


def _structured(p: DeriveParams, frame: pd.DataFrame) -> pd.Series:
    first = frame[p.of[0]]
    if p.op in ("sum", "product"):
        numbers = [_numeric(frame[c], c) for c in p.of]
        total = numbers[0]
        for n in numbers[1:]:
            total = total + n if p.op == "sum" else total * n
        return total
    if p.op == "difference":
        return _numeric(first, p.of[0]) - _numeric(frame[p.of[1]], p.of[1])
    if p.op == "concat":
        texts = [as_text(frame[c]) for c in p.of]
        return texts[0].str.cat(texts[1:], sep=p.separator) if len(texts) > 1 else texts[0]
    if p.op in ("year", "month"):
        if not pd.api.types.is_datetime64_any_dtype(first):
            raise ProcessingError(f"derive: column {p.of[0]!r} is not a date (normalise_dates first)")
        return getattr(first.dt, p.op).astype("Int64")
    if p.op == "round":
        return as_numbers(first).round(p.digits)
    if p.op in ("upper", "lower"):
        return getattr(as_text(first).str, p.op)()
    return frame[p.of].bfill(axis=1).iloc[:, 0]  # coalesce: first non-null, left to right
