"""Number bands: ascending edges to labels, for the anonymise processor and the column rules.

Edges [0, 18, 25] label [0, 18) as ``0-17``, [18, 25) as ``18-24`` and 25 and above as ``25+``
(integer edges; other edges label ``[0.5, 1.5)``). Values below the first edge, NaN and nulls
have no band (null). :func:`band_sql` (DuckDB) and :func:`band_series` (pandas) both use
:func:`band_labels`.
"""

from __future__ import annotations

import math


def edges_problem(edges: list[float]) -> str | None:
    """Why `edges` are not usable band edges (None when they are)."""
    if not edges or not all(math.isfinite(e) for e in edges):
        return "band edges must be a non-empty list of finite numbers"
    if any(high <= low for low, high in zip(edges, edges[1:])):
        return "band edges must be strictly increasing"
    return None


def _text(edge: float) -> str:
    return str(int(edge)) if float(edge).is_integer() else repr(float(edge))


def band_labels(edges: list[float]) -> list[str]:
    """One label per band: each [low, high) and the open top band (see the module docstring)."""
    whole = all(float(e).is_integer() for e in edges)
    labels = [f"{_text(low)}-{int(high) - 1}" if whole else f"[{_text(low)}, {_text(high)})"
              for low, high in zip(edges, edges[1:])]
    return labels + [f"{_text(edges[-1])}+"]


def band_sql(column: str, edges: list[float], params: list) -> str:
    """A DuckDB expression labelling the SQL expression `column`; edges and labels are
    appended to `params` as bound values, in the order of their ``?``."""
    number = f"TRY_CAST({column} AS DOUBLE)"
    labels = band_labels(edges)
    cases = []
    for low, high, label in zip(edges, edges[1:], labels):
        cases.append(f"WHEN {number} >= ? AND {number} < ? THEN ?")
        params.extend([float(low), float(high), label])
    params.extend([float(edges[-1]), labels[-1]])
    return f"CASE WHEN isnan({number}) THEN NULL {' '.join(cases)} WHEN {number} >= ? THEN ? END"


def band_series(numbers, edges: list[float], labels: list[str] | None = None):
    """The label of each number (a float pandas Series), null where there is no band.
    `labels`, one per band, replace :func:`band_labels` (``derive``'s op ``bands``)."""
    import numpy as np  # here: hub.config.settings imports this module (via rules.py) without pandas
    import pandas as pd

    values = numbers.to_numpy(dtype="float64", na_value=np.nan)
    codes = np.searchsorted(np.asarray(edges, dtype="float64"), values, side="right") - 1
    codes[np.isnan(values)] = -1
    labels = np.array([*(labels or band_labels(edges)), None], dtype=object)  # code -1: None
    return pd.Series(labels[codes], index=numbers.index, dtype="str")
