"""The column operations behind ``derive``, each on whole columns (pandas/pyarrow kernels).

``coalesce`` fills the nulls of each column from the next one, ``concat`` joins the text
columns in one Arrow kernel, ``bands`` labels numbers with :mod:`hub.policy.bands` (the
labels of ``anonymise`` and the column rules), ``split`` and ``extract`` cut text into
several columns with one Arrow split or RE2 match.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ...policy.bands import band_series
from ._checks import as_numbers
from ._common import as_text, distinct, spread


def coalesce(columns: list[pd.Series]) -> pd.Series:
    """The first non-null value of each row, left to right; the columns' common dtype."""
    dtypes = {series.dtype for series in columns}
    parts = columns if len(dtypes) == 1 else [series.astype(object) for series in columns]
    result = parts[0]
    for series in parts[1:]:
        if not result.isna().any():
            break
        result = result.fillna(series)
    return result.infer_objects() if len(dtypes) > 1 else result


def concat(columns: list[pd.Series], separator: str) -> pd.Series:
    """The columns' text joined by `separator`, null where a part is null."""
    if len(columns) == 1:
        return as_text(columns[0])
    texts = [_arrow(as_text(series)).cast(pa.large_string()) for series in columns]
    joined = pc.binary_join_element_wise(*texts, pa.scalar(separator, pa.large_string()))
    return pd.Series(joined, index=columns[0].index, dtype="str")


def bands(series: pd.Series, edges: list[float], labels: list[str] | None):
    """(band label per value, mask of values with no band: below the first edge, not numbers)."""
    labelled = band_series(as_numbers(series), edges, labels)
    return labelled, (series.notna() & labelled.isna()).to_numpy()


def split(series: pd.Series, separator: str, count: int) -> list[pd.Series]:
    """`count` columns: the parts of each value cut at `separator`, the last part keeping the
    rest; null where a value has fewer parts."""
    codes, values = distinct(as_text(series))
    parts = pc.split_pattern(_arrow(values), separator, max_splits=count - 1)
    grid = pc.list_slice(parts, 0, count, return_fixed_size_list=True)
    grid = grid.combine_chunks() if isinstance(grid, pa.ChunkedArray) else grid
    cells = grid.flatten() if grid.null_count == 0 else _flatten_with_nulls(grid, count)
    return [spread(pd.Series(cells[i::count], dtype="str"), codes, series.index)
            for i in range(count)]


def _flatten_with_nulls(grid: pa.FixedSizeListArray, count: int) -> pa.Array:
    """The cells of a fixed-size list array, null lists giving `count` null cells."""
    rows = np.repeat(np.arange(len(grid)), count)
    valid = np.repeat(grid.is_valid().to_numpy(zero_copy_only=False), count)
    cells = grid.values.take(pa.array(rows * count + np.tile(np.arange(count), len(grid))))
    return pc.if_else(pa.array(valid), cells, pa.scalar(None, cells.type))


def group_names(pattern: str) -> list[str]:
    """The named groups of an RE2 pattern; ValueError when it does not compile or has an
    unnamed group (pyarrow's message)."""
    try:
        found = pc.extract_regex(pa.array([""]), pattern)
    except pa.ArrowInvalid as exc:
        raise ValueError(f"pattern {pattern!r}: {exc} (RE2 syntax; name each group that "
                         "makes a column: (?P<column>...))") from None
    return [field.name for field in found.type]


def extract(series: pd.Series, pattern: str) -> tuple[dict[str, pd.Series], np.ndarray]:
    """({group name: the text it matched}, mask of values the pattern does not match)."""
    codes, values = distinct(as_text(series))
    matched = pc.extract_regex(_arrow(values), pattern)
    matched = matched.combine_chunks() if isinstance(matched, pa.ChunkedArray) else matched
    found = pd.Series(matched.is_valid().to_numpy(zero_copy_only=False))
    columns = {}
    for i, field in enumerate(matched.type):
        text = pc.if_else(matched.is_valid(), matched.field(i), pa.scalar(None, field.type))
        columns[field.name] = spread(pd.Series(text, dtype="str"), codes, series.index)
    missed = series.notna().to_numpy() & ~spread(found, codes, series.index).to_numpy()
    return columns, missed


def _arrow(text: pd.Series) -> pa.ChunkedArray:
    return text.array._pa_array
