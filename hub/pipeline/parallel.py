"""Run independent pieces of a refresh's work on every core (processors, step groups, the CSV
reader's column copies and UTF-8 check).

The heavy lifting in the processors is done by pyarrow's compute kernels (the string, regex,
hash, filter and take kernels under pandas' ``.str`` methods and pyarrow-backed columns), and
those release the GIL: threads really do run them in parallel. Two shapes of work split well:

- :func:`by_parts`: a ROW-WISE function (each output row depends on its input row only) run
  on consecutive slices of a Series and concatenated back, e.g. cleaning 150,000 distinct
  names;
- :func:`map_parallel`: one function over independent items, e.g. one validation per column;
  :func:`keep_rows` filters a frame's columns that way.

Each call uses its own short-lived pool, so a piece may itself call these helpers without
waiting on a pool that its caller already fills (no deadlock by construction).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import numpy as np
import pandas as pd

from .arrow_text import is_arrow_text

T = TypeVar("T")
R = TypeVar("R")
MIN_ROWS_PER_PART = 20_000  # below this, one thread does it faster than two


def workers() -> int:
    return os.cpu_count() or 1


def map_parallel(func: Callable[[T], R], items: Iterable[T]) -> list[R]:
    """``[func(item) for item in items]``, the items spread over a thread per core."""
    items = list(items)
    if len(items) < 2 or workers() < 2:
        return [func(item) for item in items]
    with ThreadPoolExecutor(min(workers(), len(items)), thread_name_prefix="agora-parallel") as pool:
        return list(pool.map(func, items))


def part_count(size: int, min_per_part: int = MIN_ROWS_PER_PART) -> int:
    """How many parts to split `size` rows (or bytes) into: one per core, none smaller than
    `min_per_part`."""
    return min(workers(), size // min_per_part)


def by_parts(func: Callable[[pd.Series], R], values: pd.Series) -> R:
    """``func(values)`` for a row-wise `func`, computed on one slice of `values` per core.

    `func` returns a Series (or a tuple of Series) with the index of its input; the parts
    are concatenated in order, so the result is the same as one call on the whole Series.
    """
    parts = part_count(len(values))
    if parts < 2:
        return func(values)
    bounds = [len(values) * i // parts for i in range(parts + 1)]
    slices = [values.iloc[start:stop] for start, stop in zip(bounds, bounds[1:])]
    results = map_parallel(func, slices)
    if isinstance(results[0], tuple):
        return tuple(_concat(list(column)) for column in zip(*results))
    return _concat(results)


def _concat(parts: list[pd.Series]) -> pd.Series:
    """Parts of one Series back together (same dtype, index and name). Text is put back into
    one Arrow array: later takes from a column in several chunks cost more."""
    whole = pd.concat(parts)
    if is_arrow_text(whole):
        whole = pd.Series(whole.array._pa_array.combine_chunks(), index=whole.index,
                          dtype=whole.dtype, name=whole.name)
    return whole


def keep_rows(frame: pd.DataFrame, keep: np.ndarray) -> pd.DataFrame:
    """``frame[keep]`` for a boolean mask, the columns filtered in parallel threads.

    Falls back to ``frame[keep]`` for what a column-by-column rebuild might not keep as is:
    GeoDataFrames, repeated or multi-level column labels.
    """
    columns = frame.columns
    if (type(frame) is not pd.DataFrame or not columns.is_unique
            or isinstance(columns, pd.MultiIndex) or len(columns) < 2):
        return frame[keep]
    arrays = [frame[name].array for name in columns]  # the frame is only read in this thread
    kept = map_parallel(lambda array: array[keep], arrays)
    out = pd.DataFrame(dict(zip(range(len(columns)), kept)), index=frame.index[keep], copy=False)
    out.columns = columns
    return out.__finalize__(frame)
