"""The operations behind ``anonymise``, each a pure function on a Series or DataFrame."""

from __future__ import annotations

import pandas as pd

from ...policy.bands import band_series
from ...policy.pseudonym import PseudonymKeyError, key_from, pseudonyms
from ..interfaces import ProcessingError
from ._checks import as_numbers
from ._common import as_text, distinct, spread


def pseudonym_key(environ, key_env: str) -> bytes:
    """The HMAC secret from the environment; refuse to run without a real one."""
    try:
        return key_from(environ, key_env)
    except PseudonymKeyError as exc:
        raise ProcessingError(f"anonymise: {exc}") from None


def pseudonymise(series: pd.Series, key: bytes, length: int) -> pd.Series:
    """The keyed pseudonym of each value (hub/policy/pseudonym.py); nulls stay null.

    The HMAC runs once per DISTINCT value.
    """
    codes, values = distinct(as_text(series))
    tokens = pseudonyms(values.tolist(), key, length, pd.api.types.is_float_dtype(series))
    return spread(pd.Series(tokens, dtype="str"), codes, series.index)


def generalise_date(series: pd.Series, level: str) -> tuple[pd.Series, pd.Series]:
    """(year as Int64, or "2025-03" / "2025-Q1" text; mask of values that were not dates)."""
    dates = series
    if not pd.api.types.is_datetime64_any_dtype(series):
        dates = pd.to_datetime(as_text(series), format="ISO8601", errors="coerce")
    failed = series.notna() & dates.isna()
    if level == "year":
        return dates.dt.year.astype("Int64"), failed
    codes, values = distinct(dates)
    if level == "month":
        labels = values.dt.strftime("%Y-%m")
    else:
        labels = values.dt.year.astype(str) + "-Q" + values.dt.quarter.astype(str)
    return spread(labels.astype("str"), codes, series.index), failed


def band(series: pd.Series, edges: list[float]) -> tuple[pd.Series, pd.Series]:
    """(band label per value, mask of values with no band: below the first edge, not numbers)."""
    labels = band_series(as_numbers(series), edges)
    return labels, series.notna() & labels.isna()


def small_groups(frame: pd.DataFrame, by: list[str], k: int, count_column: str | None):
    """Mask of rows whose group (by `by`) has fewer than `k` rows (or a `count_column` sum
    between 1 and k-1: a published zero reveals nobody)."""
    groups = frame.groupby(by, dropna=False, sort=False)
    if count_column is None:
        sizes = groups[by[0]].transform("size")
        return (sizes < k).to_numpy()
    totals = groups[count_column].transform(lambda s: as_numbers(s).sum()) \
        if not pd.api.types.is_numeric_dtype(frame[count_column]) \
        else groups[count_column].transform("sum")
    return ((totals > 0) & (totals < k)).to_numpy()
