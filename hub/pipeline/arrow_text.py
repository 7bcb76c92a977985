"""Text columns as pandas holds them (pyarrow-backed ``str``), and their raw Arrow buffers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa


def is_arrow_text(series: pd.Series) -> bool:
    """Whether `series` is pandas' pyarrow-backed text (the ``str`` dtype of pandas 3)."""
    return isinstance(series.dtype, pd.StringDtype) and series.dtype.storage == "pyarrow"


def string_buffers(array: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(offsets, data) of a string or large_string array, as numpy views of its buffers:
    value i is ``data[offsets[i]:offsets[i + 1]]`` (slices of the array included)."""
    offset_type = np.int64 if pa.types.is_large_string(array.type) else np.int32
    _, offsets_buffer, data_buffer = array.buffers()
    offsets = np.frombuffer(offsets_buffer, dtype=offset_type)[
        array.offset:array.offset + len(array) + 1]
    data = np.frombuffer(data_buffer, dtype=np.uint8) if data_buffer else np.zeros(0, np.uint8)
    return offsets, data
