"""Small frame fix-ups shared by connectors."""

from __future__ import annotations

import json

import pandas as pd

from ..interfaces import SourceError


def stringify_objects(frame: pd.DataFrame) -> pd.DataFrame:
    """Turn mixed-type object columns into text (lists/dicts as JSON) so snapshots can be written.

    Spreadsheet columns mixing numbers and text, or JSON values that are lists, otherwise fail
    when written to Parquet; processors parse the text afterwards.
    """
    mixed = [name for name in frame.columns if frame[name].dtype == object]
    if not mixed:
        return frame
    fixed = frame.copy()
    for name in mixed:
        fixed[name] = fixed[name].map(_as_text, na_action="ignore").astype("str")
    return fixed


def _as_text(value) -> str:
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def require_rows(frame: pd.DataFrame, source: str, allow_empty: bool) -> pd.DataFrame:
    """An empty result usually means a broken export: fail instead of publishing nothing."""
    if len(frame) == 0 and not allow_empty:
        raise SourceError(f"{source}: the source has no rows (set `allow_empty: true` if that is expected)")
    return frame
