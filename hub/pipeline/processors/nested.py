"""explode, join_list and flatten: lists and objects nested in a column (see :mod:`._json_values`).

``explode`` gives each element of a list its own row (a commune's postcodes), ``join_list``
writes a list as one text (``01400, 01401``), ``flatten`` spreads an object into one column
per key, named as the json connector names them (``adresse.ville``). Values that are not a
list are counted as ``not_a_list``, with examples; ``flatten`` refuses a value that is not an
object (it would be lost).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field

from ..connectors._formats import records_frame
from ..interfaces import Params, ProcessContext, ProcessingError, Processor
from ._common import as_text, examples, require_columns
from ._json_values import element_text, elements, parsed_values


class ExplodeParams(Params):
    column: str
    empty: Literal["keep", "drop"] = "keep"


class Explode(Processor):
    """One row per element of a list column (JSON text or lists); other columns repeated.

    A row whose list is empty or null stays, with a null (``empty: keep``), or is dropped
    (``empty: drop``). Notes ``rows_added`` (and ``rows_dropped``); the index restarts at 0.

        - explode: {column: codesPostaux}
    """

    name = "explode"
    summary = "One row per element of a list column (JSON lists included); the rest repeated"
    Params = ExplodeParams

    def apply(self, frame: pd.DataFrame, context: ProcessContext) -> pd.DataFrame:
        column = self.params.column
        require_columns(frame, [column], self.name)
        codes, values = parsed_values(frame[column])
        lone = np.array([not isinstance(v, list) for v in values] + [False])
        _count(context, column, "not_a_list", lone, codes, frame[column])
        lists = [v if isinstance(v, list) else [v] for v in values]
        lengths = np.array([len(items) for items in lists], dtype=np.int64)
        if self.params.empty == "keep":  # an empty list or a null: one row, null
            lists = [items or [None] for items in lists] + [[None]]
            lengths = np.maximum(lengths, 1)
        lengths = np.append(lengths, 0 if self.params.empty == "drop" else 1)
        codes = np.where(codes < 0, len(lengths) - 1, codes)
        rows, picked = _positions(codes, lengths)
        flat = elements([element for items in lists for element in items])
        out = frame.iloc[rows].reset_index(drop=True)
        out[column] = flat.take(picked).reset_index(drop=True)
        dropped = int((lengths[codes] == 0).sum())
        context.note("rows_added", len(out) - len(frame) + dropped)
        if self.params.empty == "drop":
            context.note("rows_dropped", dropped)
        return out


def _positions(codes: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(input row of each output row, index of its element in the flat element list)."""
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    per_row = lengths[codes]
    rows = np.repeat(np.arange(len(codes)), per_row)
    first_of_row = np.repeat(np.cumsum(per_row) - per_row, per_row)
    return rows, starts[codes][rows] + np.arange(len(rows)) - first_of_row


class JoinListParams(Params):
    columns: list[str] = Field(min_length=1)
    separator: str = ", "


class JoinList(Processor):
    """Write each list (JSON text or lists) as one text, its elements joined by `separator`.

        - join_list: {columns: [codesPostaux], separator: ", "}
    """

    name = "join_list"
    column_local = True
    summary = "Write list columns (JSON lists included) as text joined by a separator"
    Params = JoinListParams

    def apply(self, frame: pd.DataFrame, context: ProcessContext) -> pd.DataFrame:
        require_columns(frame, self.params.columns, self.name)
        out = frame.copy(deep=False)  # copy-on-write: replaced columns only
        for column in self.params.columns:
            codes, values = parsed_values(frame[column])
            lone = np.array([not isinstance(v, list) for v in values] + [False])
            _count(context, column, "not_a_list", lone, codes, frame[column])
            out[column] = _spread_texts([self._join(v) for v in values], codes, frame.index)
        return out

    def _join(self, value) -> str | None:
        """The list's present elements joined, None for an empty list; a value that is not
        a list is kept (as text)."""
        if not isinstance(value, list):
            return None if value is None else element_text(value)
        present = [element_text(e) for e in value if e is not None]
        return self.params.separator.join(present) if present else None


def _spread_texts(values: list, codes: np.ndarray, index: pd.Index) -> pd.Series:
    texts = pd.Series(values + [None], dtype="str")
    return pd.Series(texts.array.take(np.where(codes < 0, len(values), codes)), index=index)


class FlattenParams(Params):
    columns: list[str] = Field(min_length=1)
    separator: str = Field(".", min_length=1)


class Flatten(Processor):
    """Spread objects (JSON text or dicts) into one column per key, as the json connector does.

        - flatten: {columns: [adresse], separator: "_"}
    """

    name = "flatten"
    summary = "Spread object columns (JSON objects included) into a column per key"
    Params = FlattenParams

    def apply(self, frame: pd.DataFrame, context: ProcessContext) -> pd.DataFrame:
        require_columns(frame, self.params.columns, self.name)
        out = frame
        for column in dict.fromkeys(self.params.columns):
            out = self._flatten(out, column, context)
        return out if out is not frame else frame.copy(deep=False)

    def _flatten(self, frame: pd.DataFrame, column: str, context) -> pd.DataFrame:
        sep = self.params.separator
        codes, values = parsed_values(frame[column])
        lone = np.array([not isinstance(v, dict) for v in values] + [False])
        rows = lone[np.where(codes < 0, len(lone) - 1, codes)]
        if rows.any():  # spreading them would lose them
            example = as_text(frame[column][rows]).iloc[0]
            raise ProcessingError(
                f"{self.name}: column {column!r} has {int(rows.sum())} value(s) that are not "
                f"objects (e.g. {example!r}), which the new columns cannot hold -> drop or fix "
                "those rows first (filter), or use explode or join_list for lists")
        records = [v if isinstance(v, dict) else {} for v in values] + [{}]
        keys = records_frame(records, sep)
        keys.columns = [f"{column}{sep}{key}" for key in keys.columns]
        clash = [name for name in keys.columns if name in frame.columns]
        if clash:
            raise ProcessingError(f"{self.name}: column {clash[0]!r} already exists (rename it "
                                  "first, or choose another separator)")
        spread = keys.iloc[np.where(codes < 0, len(values), codes)].set_axis(frame.index)
        at = frame.columns.get_loc(column)
        parts = [frame.iloc[:, :at], spread, frame.iloc[:, at + 1:]]
        return pd.concat(parts, axis=1).__finalize__(frame)


def _count(context, column: str, metric: str, lone: np.ndarray, codes, series) -> None:
    """Count the rows whose value (by its code) is flagged in `lone` (last entry: nulls)."""
    rows = lone[np.where(codes < 0, len(lone) - 1, codes)]
    if rows.any():
        context.quality.count(column, metric, int(rows.sum()), examples(as_text(series[rows])))
