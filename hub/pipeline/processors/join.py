"""join: enrich rows with columns of another catalog dataset (a lookup, never a fan-out).

The other dataset is read with ``context.load_dataset(dataset)`` (its current snapshot); the
pipeline reads ``dataset`` to refresh it first. Each row matches at most one row on the other
side: duplicate keys there are an error (they would silently multiply rows). Null keys never
match. Key columns must have the same kind (text with text, numbers with numbers): INSEE codes
read as numbers lose their leading zero, so the error says so rather than matching nothing.
A join never brings a geometry column (a table cannot store it; use ``geo_join``, or the
geographic dataset as the source side).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from ..interfaces import Params, ProcessContext, ProcessingError, Processor
from ._common import require_columns
from ._lookup import attach, key_index, unmatched_keys


class JoinParams(Params):
    dataset: str = Field(pattern=r"^[a-z][a-z0-9_]{1,62}$")
    on: list[str] = Field(default_factory=list)
    left_on: list[str] = Field(default_factory=list)
    right_on: list[str] = Field(default_factory=list)
    columns: list[str] | None = None
    prefix: str = ""
    how: Literal["left", "inner"] = "left"

    @model_validator(mode="after")
    def _keys(self):
        if self.on and (self.left_on or self.right_on):
            raise ValueError("give either `on` or `left_on` + `right_on`, not both")
        if not self.on and (not self.left_on or len(self.left_on) != len(self.right_on)):
            raise ValueError("give `on`, or `left_on` and `right_on` of the same length")
        return self

    def keys(self) -> tuple[list[str], list[str]]:
        return (self.on, self.on) if self.on else (self.left_on, self.right_on)


class Join(Processor):
    """Add columns of another dataset matched on key columns (how: left or inner).

    Reports ``unmatched_keys`` (rows whose key found nothing) with example keys.

        - join: {dataset: communes, left_on: [code_commune], right_on: [code_insee],
                 columns: [nom, population], prefix: commune_}
    """

    name = "join"
    summary = "Enrich with another dataset's columns on key columns (left/inner), report unmatched"
    Params = JoinParams

    def apply(self, frame: pd.DataFrame, context: ProcessContext) -> pd.DataFrame:
        left_on, right_on = self.params.keys()
        require_columns(frame, left_on, self.name)
        right = self._load(context)
        require_columns(right, right_on, f"{self.name} ({self.params.dataset})")
        columns = self.params.columns or [c for c in right.columns if c not in right_on]
        require_columns(right, columns, f"{self.name} ({self.params.dataset})")
        refuse_geometry(right, columns, self.params.dataset)
        _same_kinds(frame, right, left_on, right_on)
        positions = self._positions(frame, right, left_on, right_on)
        missing = positions < 0
        if missing.any():
            context.quality.count(left_on[0], "unmatched_keys", int(missing.sum()),
                                  unmatched_keys(frame, left_on, missing))
        context.note("unmatched_rows", int(missing.sum()))
        out = attach(frame, right, positions, columns, self.params.prefix, self.name)
        return out[~missing] if self.params.how == "inner" else out

    def _load(self, context: ProcessContext) -> pd.DataFrame:
        if context.load_dataset is None:
            raise ProcessingError(f"{self.name}: no dataset loader in this context")
        return context.load_dataset(self.params.dataset)

    def _positions(self, frame, right, left_on, right_on) -> np.ndarray:
        """Row number in `right` of each row's key, -1 where none (or the key has a null)."""
        index = key_index(right, right_on)
        if not index.is_unique:
            dupes = index[index.duplicated()].unique()[:5]
            raise ProcessingError(
                f"{self.name}: keys {right_on} are not unique in dataset "
                f"{self.params.dataset!r} (e.g. {list(map(str, dupes))}); deduplicate it first"
            )
        positions = index.get_indexer(key_index(frame, left_on))
        positions[frame[left_on].isna().any(axis=1).to_numpy()] = -1
        return positions


GEOMETRY_FIX = ("use the geo dataset as the source side (and join this one to it), or drop the "
                "geometry column in `columns:`")


def refuse_geometry(right: pd.DataFrame, columns: list[str], dataset: str) -> None:
    geometry = [c for c in columns if getattr(right[c].dtype, "name", "") == "geometry"]
    if geometry:
        raise ProcessingError(f"join: dataset {dataset!r} would bring its geometry column "
                              f"{geometry[0]!r}, which a join cannot store -> {GEOMETRY_FIX}")


def _same_kinds(left: pd.DataFrame, right: pd.DataFrame, left_on, right_on) -> None:
    for a, b in zip(left_on, right_on):
        kinds = {_kind(left[a]), _kind(right[b])}
        if len(kinds) > 1:
            raise ProcessingError(
                f"join: key {a!r} is {left[a].dtype} but {b!r} is {right[b].dtype}; convert one "
                "side first (codes such as INSEE or postcodes should stay text: '01004')"
            )


def _kind(series: pd.Series) -> str:
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        return "number"
    return "datetime" if pd.api.types.is_datetime64_any_dtype(series) else "text"
