"""Helpers shared by the processors: column checks, text coercion, examples, folding.

Hot paths stay vectorised: the regular expressions here avoid ``\\s``, ``\\d`` and escapes that
would make pandas fall back from pyarrow's RE2 to Python's ``re`` row by row.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from ..base import ProcessingError

MAX_EXAMPLES = 5
# every space-like character seen in French exports: NBSP (U+00A0), narrow NBSP (U+202F),
# thin space (U+2009), figure space (U+2007), plus ASCII whitespace
OTHER_SPACES = "\t\n\r\f\v\u00a0\u202f\u2009\u2007"
SPACES = f"[ {OTHER_SPACES}]"
# what collapse_spaces changes: a space-like character other than " ", or two spaces in a row
UNCOLLAPSED = f"[{OTHER_SPACES}]|  "
LIGATURES = {"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss"}


def require_columns(frame: pd.DataFrame, columns: Iterable[str], processor: str) -> None:
    """Raise ProcessingError naming the first missing column and the available ones."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        available = ", ".join(map(str, frame.columns))
        raise ProcessingError(
            f"{processor}: column {missing[0]!r} not found (available: {available})"
        )


def as_text(series: pd.Series) -> pd.Series:
    """The series as pandas' pyarrow-backed ``str`` dtype (nulls stay null)."""
    if isinstance(series.dtype, pd.StringDtype) and series.dtype.storage == "pyarrow":
        return series
    return series.astype("str")


def examples(values: pd.Series, limit: int = MAX_EXAMPLES) -> list:
    """Up to `limit` distinct values, in order of first appearance."""
    return list(pd.unique(values.dropna().head(limit * 20)))[:limit]


def fold(text: pd.Series) -> pd.Series:
    """Matching key: accents removed, case folded, punctuation and spaces collapsed to one space.

    "St-Étienne", "st  etienne" and "ST ETIENNE" all become "st etienne".
    """
    folded = strip_accents(as_text(text)).str.lower()
    folded = folded.str.replace("[-_'’.,;/()" + SPACES[1:-1] + "]+", " ", regex=True)
    return folded.str.strip()


def strip_accents(text: pd.Series) -> pd.Series:
    """Remove diacritics (NFKD then drop combining marks) and expand œ/æ ligatures."""
    for ligature, plain in LIGATURES.items():
        text = text.str.replace(ligature, plain, regex=False)
    return text.str.normalize("NFKD").str.replace(r"\p{Mn}+", "", regex=True)


def collapse_spaces(text: pd.Series) -> pd.Series:
    """Turn every run of space-like characters (NBSP and narrow NBSP included) into one space.

    A regular-expression replacement costs several times a search, and most values (trimmed
    names, "1 234,56") have nothing to collapse: it runs on the values that do only.
    """
    found = text.str.contains(UNCOLLAPSED, regex=True).fillna(False).to_numpy(dtype=bool)
    if not found.any():
        return text.copy()
    if found.all():
        return text.str.replace(SPACES + "+", " ", regex=True)
    out = text.copy()
    out[found] = text[found].str.replace(SPACES + "+", " ", regex=True)
    return out


def note_count(context, quality_column: str, metric: str, mask: pd.Series, values: pd.Series) -> int:
    """Count rows where `mask` holds in the quality report, with examples from `values`."""
    n = int(mask.sum())
    if n:
        context.quality.count(quality_column, metric, n, examples(values[mask]))
    return n


def distinct(series: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """(codes, distinct values) so work done on the distinct values can be spread back.

    Spread a per-distinct result back with :func:`spread`; codes are -1 for nulls.
    """
    codes, uniques = pd.factorize(series)
    return codes, pd.Series(uniques, dtype=series.dtype)


def spread(values: pd.Series, codes: np.ndarray, index: pd.Index) -> pd.Series:
    """Per-distinct `values` taken back to one value per row (null, or False, where code is -1)."""
    if pd.api.types.is_bool_dtype(values):
        taken = values.to_numpy(dtype=bool).take(codes) & (codes >= 0)
        return pd.Series(taken, index=index)
    return pd.Series(values.array.take(codes, allow_fill=True), index=index, dtype=values.dtype)
