"""rename, select and derive: reshape columns declaratively.

``derive`` builds new columns either from a structured ``op`` over the columns in ``of``
(sum, difference, product, ratio, concat, year, month, round, upper, lower, coalesce, bands,
split, extract; see :mod:`._derive_ops`) or from an ``expression`` in the safe arithmetic
language of :mod:`._expr` (never ``eval``). Division by zero (0/0 included) gives null,
counted as ``division_by_zero``.
"""

from __future__ import annotations

from typing import Literal

import pandas as pd
from pydantic import Field, field_validator, model_validator

from ...policy.bands import edges_problem
from ..interfaces import Params, ProcessContext, ProcessingError, Processor
from . import _derive_ops as ops
from . import _expr
from ._checks import as_numbers
from ._common import as_text, examples, require_columns

ARITY = {"sum": 2, "difference": 2, "product": 2, "ratio": 2, "concat": 1, "year": 1,
         "month": 1, "round": 1, "upper": 1, "lower": 1, "coalesce": 1, "bands": 1, "split": 1,
         "extract": 1}
SINGLE = {"year", "month", "round", "upper", "lower", "difference", "ratio", "bands", "split",
          "extract"}
# the params only these ops read; others refuse them
OWN_PARAMS = {"edges": {"bands"}, "labels": {"bands"}, "columns": {"split"},
              "pattern": {"extract"}}


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
    column: str | None = None
    op: Literal[tuple(ARITY)] | None = None  # type: ignore[valid-type]
    of: list[str] = Field(default_factory=list)
    expression: str | None = None
    digits: int = Field(0, ge=0, le=12)
    separator: str = " "
    edges: list[float] = Field(default_factory=list)
    labels: list[str] = Field(default_factory=list)
    columns: list[str] = Field(default_factory=list)
    pattern: str | None = None

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
        for param, ops_reading in OWN_PARAMS.items():
            if getattr(self, param) and self.op not in ops_reading:
                raise ValueError(f"`{param}` is for op {' or '.join(sorted(ops_reading))} only")
        if (self.column is None) != (self.op in ("split", "extract")):
            raise ValueError("op split names its new columns in `columns`, op extract in its "
                             "pattern's groups; every other op and `expression` need `column`")
        return self._check_op_params()

    def _check_op_params(self):
        if self.op == "bands":
            if edges_problem(self.edges):
                raise ValueError(f"op bands: `edges`: {edges_problem(self.edges)}")
            if self.labels and len(self.labels) != len(self.edges):
                raise ValueError(f"op bands: {len(self.edges)} edges make {len(self.edges)} "
                                 f"bands (the last is open), so give {len(self.edges)} labels, "
                                 f"not {len(self.labels)}")
        if self.op == "split":
            if len(self.columns) < 2 or len(set(self.columns)) < len(self.columns):
                raise ValueError("op split: `columns` names 2 or more distinct new columns")
            if not self.separator:
                raise ValueError("op split: `separator` cannot be empty")
        if self.op == "extract":
            if self.pattern is None:
                raise ValueError("op extract needs a `pattern` with named groups (?P<column>...)")
            if not ops.group_names(self.pattern):
                raise ValueError(f"pattern {self.pattern!r}: name each group that makes a "
                                 "column: (?P<column>...)")
        return self

    def outputs(self) -> list[str]:
        """The columns the step writes."""
        if self.op == "split":
            return self.columns
        if self.op == "extract":
            return ops.group_names(self.pattern)
        return [self.column]


class Derive(Processor):
    """Add (or replace) columns computed from others, with an op or a safe expression.

        - derive: {column: densite, op: ratio, of: [population, surface_km2]}
        - derive: {column: total_ttc, expression: "montant_ht * (1 + taux_tva / 100)"}
        - derive: {column: annee, op: year, of: [date_decision]}
        - derive: {column: taille, op: bands, of: [population], edges: [0, 2000, 10000]}
        - derive: {op: split, of: [epci], separator: " - ", columns: [sigle, nom_epci]}
        - derive: {op: extract, of: [libelle], pattern: "^(?P<nom>.+) [(](?P<dep>[0-9AB]+)[)]$"}
    """

    name = "derive"
    summary = "Compute new columns: sum, ratio, concat, year, bands, split, extract... or an expression"
    Params = DeriveParams

    def apply(self, frame: pd.DataFrame, context: ProcessContext) -> pd.DataFrame:
        p = self.params
        tree = _expr.parse(p.expression) if p.expression else None
        used = _expr.names(tree) if tree else p.of
        require_columns(frame, used, self.name)
        out = frame.copy(deep=False)  # copy-on-write: the new columns only
        if tree:
            values, zeros = _expr.evaluate(tree, {c: _numeric(frame[c], c) for c in used})
            if zeros:
                context.quality.count(p.column, "division_by_zero", zeros)
            out[p.column] = pd.Series(values, index=frame.index)
            return out
        for name, values in _operation(p, frame, context).items():
            out[name] = values
        return out


def _numeric(series: pd.Series, name: str) -> pd.Series:
    if pd.api.types.is_bool_dtype(series) or not pd.api.types.is_numeric_dtype(series):
        raise ProcessingError(
            f"derive: column {name!r} is {series.dtype}, not numbers (use parse_numbers first)"
        )
    return series.astype("float64")


def _operation(p: DeriveParams, frame: pd.DataFrame, context) -> dict[str, pd.Series]:
    """{new column: its values} for a structured op; quality counts go to `context`."""
    first = frame[p.of[0]]
    if p.op == "ratio":
        values, zeros = _expr.divide(_numeric(first, p.of[0]), _numeric(frame[p.of[1]], p.of[1]))
        if zeros:
            context.quality.count(p.column, "division_by_zero", zeros)
        return {p.column: values}
    if p.op == "bands":
        values, failed = ops.bands(first, p.edges, p.labels or None)
        _count(context, p.of[0], "out_of_bands", failed, first)
        return {p.column: values}
    if p.op == "split":
        return dict(zip(p.columns, ops.split(first, p.separator, len(p.columns))))
    if p.op == "extract":
        columns, missed = ops.extract(first, p.pattern)
        _count(context, p.of[0], "unmatched_pattern", missed, first)
        return columns
    return {p.column: pd.Series(_structured(p, frame), index=frame.index)}


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
        return ops.concat([frame[c] for c in p.of], p.separator)
    if p.op in ("year", "month"):
        if not pd.api.types.is_datetime64_any_dtype(first):
            raise ProcessingError(f"derive: column {p.of[0]!r} is not a date (normalise_dates first)")
        return getattr(first.dt, p.op).astype("Int64")
    if p.op == "round":
        return as_numbers(first).round(p.digits)
    if p.op in ("upper", "lower"):
        return getattr(as_text(first).str, p.op)()
    return ops.coalesce([frame[c] for c in p.of])


def _count(context, column, metric, mask, values) -> None:
    if mask.any():
        context.quality.count(column, metric, int(mask.sum()), examples(values[mask]))
