"""deduplicate: remove repeated rows, on all columns or on a key.

With ``order_by``, rows are ranked by those columns first (stable sort, nulls last), so
``keep: last`` with ``order_by: [updated_at]`` keeps the most recent version of each key. The
kept rows stay in their original order with their original index.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field

from ..arrow_text import is_arrow_text, string_buffers
from ..interfaces import Params, ProcessContext, Processor
from ..parallel import keep_rows, map_parallel, part_count
from ._common import MAX_EXAMPLES, require_columns


class DeduplicateParams(Params):
    subset: list[str] | None = Field(None, min_length=1)
    keep: Literal["first", "last"] = "first"
    order_by: list[str] = Field(default_factory=list)
    ascending: bool = True


class Deduplicate(Processor):
    """Drop duplicate rows (all columns, or the ``subset`` key), keeping the first or last.

    Notes ``duplicates_removed`` and a few example keys.

        - deduplicate: {subset: [siret], keep: last, order_by: [date_maj]}
    """

    name = "deduplicate"
    summary = "Remove duplicate rows, on all columns or a key, keep first/last (by an order)"
    Params = DeduplicateParams

    def apply(self, frame: pd.DataFrame, context: ProcessContext) -> pd.DataFrame:
        p = self.params
        require_columns(frame, (p.subset or []) + p.order_by, self.name)
        if p.order_by:
            positions = frame[p.order_by].reset_index(drop=True)
            order = positions.sort_values(p.order_by, ascending=p.ascending, kind="stable",
                                          na_position="last").index.to_numpy()
            duplicated = np.empty(len(frame), dtype=bool)
            duplicated[order] = _duplicated(frame.iloc[order], p.subset, p.keep)
        else:  # no reordering: do not copy the whole frame through iloc
            duplicated = _duplicated(frame, p.subset, p.keep)
        removed = np.flatnonzero(duplicated)
        context.note("duplicates_removed", len(removed))
        if not len(removed):
            return frame.copy(deep=False)  # a new frame, as every step gives, sharing the data
        shown = frame.iloc[removed[:MAX_EXAMPLES]]  # only the example rows are taken out
        keys = shown[p.subset] if p.subset else shown
        context.note("duplicate_examples", keys.astype(str).to_dict("records"))
        return keep_rows(frame, ~duplicated)


def _duplicated(frame: pd.DataFrame, subset: list[str] | None, keep: str) -> np.ndarray:
    """Duplicate mask; on a frame with geometry, compare geometries by their WKB bytes."""
    if subset is None and getattr(frame, "_geometry_column_name", None) in frame.columns:
        plain = pd.DataFrame(frame.drop(columns=frame.geometry.name))
        plain["__wkb__"] = frame.geometry.to_wkb()
        return plain.duplicated(keep=keep).to_numpy()
    return _narrowed_duplicated(frame, subset, keep)


def _narrowed_duplicated(frame: pd.DataFrame, subset: list[str] | None, keep: str) -> np.ndarray:
    """``frame.duplicated(subset=subset, keep=keep)``, without hashing every column in full.

    A row can only repeat another if each of its values is repeated in its column, so the
    columns are scanned one by one, each on the rows still in the running, while that keeps
    ruling out at least half of them; ``duplicated`` then runs on the few rows left. With an
    identifier-like column (the usual export), 1M rows x 9 columns cost one column's hashing
    instead of nine. Same result as ``duplicated`` (same pandas equality, nulls included).
    """
    candidates = np.arange(len(frame))
    for column in dict.fromkeys(frame.columns if subset is None else subset):
        if len(candidates) < 2:
            break
        values = frame[column]
        values = values if len(candidates) == len(frame) else values.iloc[candidates]
        repeated = repeated_values(values)
        kept = candidates[repeated]
        if len(kept) > len(candidates) // 2:
            break
        candidates = kept
    mask = np.zeros(len(frame), dtype=bool)
    if len(candidates) > 1:
        rows = frame if len(candidates) == len(frame) else frame.iloc[candidates]
        mask[candidates] = rows.duplicated(subset=subset, keep=keep).to_numpy()
    return mask


def repeated_values(values: pd.Series) -> np.ndarray:
    """``values.duplicated(keep=False)``: which values occur more than once.

    A long text column is split by the last byte of each value (equal values share it), and
    each part is hashed in its own thread: hashing a million strings is the largest cost of
    this processor, and one thread does it alone otherwise.
    """
    parts = _by_last_byte(values)
    if parts is None:
        return values.duplicated(keep=False).to_numpy()
    found = map_parallel(lambda rows: values.iloc[rows].duplicated(keep=False).to_numpy(), parts)
    repeated = np.zeros(len(values), dtype=bool)
    for rows, mask in zip(parts, found):
        repeated[rows] = mask
    return repeated


def _by_last_byte(values: pd.Series) -> list[np.ndarray] | None:
    """Row positions of `values` in one group per core, by the last byte of each value (nulls
    and empty strings in the first); None when the column is not long pyarrow-backed text."""
    parts = part_count(len(values))
    if parts < 2 or not is_arrow_text(values):
        return None
    array = values.array._pa_array.combine_chunks()
    offsets, data = string_buffers(array)
    ends = offsets[1:]
    filled = (ends > offsets[:-1]) & array.is_valid().to_numpy(zero_copy_only=False)
    group = np.zeros(len(array), dtype=np.uint8)
    group[filled] = data[ends[filled] - 1] % parts
    return [np.flatnonzero(group == part) for part in range(parts)]
