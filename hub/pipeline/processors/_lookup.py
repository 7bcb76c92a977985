"""Row lookup shared by ``join`` and ``geo_join``: add another frame's columns by position."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..interfaces import ProcessingError


def attach(frame: pd.DataFrame, source: pd.DataFrame, positions: np.ndarray, columns: list[str],
           prefix: str, processor: str) -> pd.DataFrame:
    """`frame` plus `source[columns]` taken at `positions` (-1 = no match -> null), prefixed."""
    names = [prefix + c for c in columns]
    clash = [n for n in names if n in frame.columns]
    if clash:
        raise ProcessingError(
            f"{processor}: column {clash[0]!r} already exists; set a `prefix` or pick `columns`"
        )
    taken = pd.DataFrame(source[columns]).reset_index(drop=True)
    for column in columns:  # keep whole numbers whole when some rows find no match
        if pd.api.types.is_integer_dtype(taken[column]) and (positions < 0).any():
            taken[column] = taken[column].astype("Int64")
    taken = taken.reindex(positions)
    taken.columns = names
    taken.index = frame.index
    out = frame.copy()
    for name in names:
        out[name] = taken[name]
    return out


def key_index(frame: pd.DataFrame, columns: list[str]) -> pd.Index:
    """An Index (MultiIndex for several columns) of the key values, one per row."""
    if len(columns) == 1:
        return pd.Index(frame[columns[0]])
    return pd.MultiIndex.from_frame(frame[columns])


def unmatched_keys(frame: pd.DataFrame, columns: list[str], missing: np.ndarray) -> list[str]:
    keys = frame.loc[missing, columns].drop_duplicates().head(5)
    return ["/".join("(null)" if pd.isna(v) else str(v) for v in row)
            for row in keys.itertuples(index=False)]
