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

from ..base import Params, ProcessContext, Processor, register_processor
from ._common import MAX_EXAMPLES, require_columns


class DeduplicateParams(Params):
    subset: list[str] | None = Field(None, min_length=1)
    keep: Literal["first", "last"] = "first"
    order_by: list[str] = Field(default_factory=list)
    ascending: bool = True


@register_processor
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
        order = np.arange(len(frame))
        if p.order_by:
            positions = frame[p.order_by].reset_index(drop=True)
            order = positions.sort_values(p.order_by, ascending=p.ascending, kind="stable",
                                          na_position="last").index.to_numpy()
        duplicated = np.empty(len(frame), dtype=bool)
        duplicated[order] = _duplicated(frame.iloc[order], p.subset, p.keep).to_numpy()
        removed, kept = frame[duplicated], frame[~duplicated]
        context.note("duplicates_removed", len(removed))
        if len(removed):
            keys = removed[p.subset] if p.subset else removed
            context.note("duplicate_examples", keys.head(MAX_EXAMPLES).astype(str).to_dict("records"))
        return kept.copy()


def _duplicated(frame: pd.DataFrame, subset: list[str] | None, keep: str) -> pd.Series:
    """Duplicate mask; on a frame with geometry, compare geometries by their WKB bytes."""
    if subset is None and getattr(frame, "_geometry_column_name", None) in frame.columns:
        plain = pd.DataFrame(frame.drop(columns=frame.geometry.name))
        plain["__wkb__"] = frame.geometry.to_wkb()
        return plain.duplicated(keep=keep)
    return frame.duplicated(subset=subset, keep=keep)
