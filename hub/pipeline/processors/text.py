"""normalise_text: clean free-text columns and map variants to one canonical spelling.

Every step runs on the column's distinct values (then is spread back to the rows), so a
1M-row column of 35 commune names costs 35 string operations, not a million. Many distinct
values (150,000 association names) are cleaned in parallel slices, one per core.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field

from ..interfaces import Params, ProcessContext, Processor
from ..parallel import by_parts
from ._common import as_text, collapse_spaces, distinct, fold, require_columns, spread, strip_accents
from ._fuzzy import NearestMatcher
from ._titles import french_title


class NormaliseTextParams(Params):
    columns: list[str] = Field(min_length=1)
    trim: bool = True
    collapse_whitespace: bool = True
    case: Literal["none", "lower", "upper", "title", "title_fr"] = "none"
    fold_accents: bool = False
    empty_as_null: bool = True
    mapping: dict[str, str] = Field(default_factory=dict)
    match: Literal["exact", "folded"] = "exact"
    canonical: list[str] = Field(default_factory=list)
    max_distance: int = Field(2, ge=0, le=4)
    unmatched: Literal["keep", "null"] = "keep"


class NormaliseText(Processor):
    """Trim, collapse spaces, set case, fold accents, then map variants to canonical values.

    ``case: title_fr`` is title case that knows French particles (``SAINT-ÉTIENNE-DE-TINÉE``
    -> ``Saint-Étienne-de-Tinée``, ``LE MANS`` -> ``Le Mans``; see :mod:`._titles`).

    ``mapping`` replaces known variants (compared exactly, or after folding with
    ``match: folded``: accents, case, hyphens and punctuation ignored). ``canonical`` lists the
    allowed spellings: a value equal to one after folding, or within ``max_distance`` edits of
    exactly one, is replaced by it (``corrected``); others are ``unmatched`` (kept or nulled).

        - normalise_text: {columns: [commune], canonical: [Saint-Étienne, Lyon], max_distance: 2}
    """

    name = "normalise_text"
    column_local = True
    summary = "Clean text: trim, spaces, case, accents, variant mapping, fuzzy canonical names"
    Params = NormaliseTextParams

    def apply(self, frame: pd.DataFrame, context: ProcessContext) -> pd.DataFrame:
        require_columns(frame, self.params.columns, self.name)
        out = frame.copy(deep=False)  # copy-on-write: replaced columns only
        for column in self.params.columns:
            codes, uniques = distinct(as_text(frame[column]))
            counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
            cleaned = self._normalise(uniques, column, counts, context)
            out[column] = spread(cleaned.astype("str"), codes, frame.index)
        return out

    def _normalise(self, values: pd.Series, column: str, counts, context) -> pd.Series:
        p = self.params
        original = values
        values = by_parts(self._clean, values)
        mapped = self._map(values)
        changed = mapped.notna() & (mapped != values)
        _report(context, column, "mapped", changed, counts, original, mapped)
        values = mapped.where(mapped.notna(), values)
        if p.canonical:
            values = self._canonicalise(values, ~mapped.notna(), column, counts, original, context)
        return values

    def _clean(self, values: pd.Series) -> pd.Series:
        """Trim, collapse spaces, fold accents, set case, empty -> null (row by row)."""
        p = self.params
        if p.trim:
            values = values.str.strip()
        if p.collapse_whitespace:
            values = collapse_spaces(values)
        if p.fold_accents:
            values = strip_accents(values)
        if p.case == "title_fr":
            values = french_title(values)
        elif p.case != "none":
            values = getattr(values.str, p.case)()
        if p.empty_as_null:
            values = values.mask(values == "")
        return values

    def _map(self, values: pd.Series) -> pd.Series:
        """The mapped value for each distinct value, null where no mapping key applies."""
        if not self.params.mapping:
            return pd.Series(pd.NA, index=values.index, dtype="str")
        keys = pd.Series(list(self.params.mapping), dtype="str")
        targets = pd.Series(list(self.params.mapping.values()), dtype="str")
        if self.params.match == "folded":
            keys, values = fold(keys), fold(values)
        lookup = dict(zip(keys, targets))
        return values.map(lookup).astype("str")

    def _canonicalise(self, values, todo, column, counts, original, context) -> pd.Series:
        canonical = pd.Series(self.params.canonical, dtype="str")
        by_key = dict(zip(fold(canonical), canonical))
        matcher = NearestMatcher(by_key, self.params.max_distance)
        keys = fold(values)
        exact = keys.map(by_key).astype("str")
        fixed = exact.copy()
        for i in np.flatnonzero(todo & values.notna() & exact.isna()):
            fixed.iloc[i] = matcher.nearest(keys.iloc[i]) if self.params.max_distance else None
        corrected = todo & fixed.notna() & (fixed != values)
        unmatched = todo & values.notna() & fixed.isna()
        _report(context, column, "corrected", corrected, counts, original, fixed)
        _report(context, column, "unmatched", unmatched, counts, original, None)
        result = values.where(~(todo & fixed.notna()), fixed)
        return result.mask(unmatched) if self.params.unmatched == "null" else result


def _report(context, column, metric, mask, counts, original, new) -> None:
    """Count rows (not distinct values) of `mask`, with "old -> new" examples."""
    mask = mask.fillna(False).to_numpy(dtype=bool)
    n = int(counts[mask].sum())
    if not n:
        return
    olds = original[mask].tolist()
    shown = olds if new is None else [f"{o} -> {v}" for o, v in zip(olds, new[mask].tolist())]
    context.quality.count(column, metric, n, shown)
