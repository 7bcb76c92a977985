"""anonymise: drop, pseudonymise, generalise and suppress before publishing.

Steps run in this fixed order: ``generalise_dates`` and ``bands`` (so suppression can group by
an age band), ``suppress`` (small counts), ``pseudonymise``, ``drop``.

Pseudonyms and bands are defined once, in hub/policy/pseudonym.py and hub/policy/bands.py,
for this processor and the datasets service's column rules alike. Pseudonyms are HMAC-SHA256
tokens keyed by a secret read from the environment variable ``key_env`` (default
AGORA_PSEUDONYM_KEY, at least 16 characters): the same value gives the same token in every
dataset and every refresh that use the same secret, so pseudonymised tables still join, but
nobody without the secret can recompute them. There is no unkeyed fallback: without the
secret the refresh fails.

Small-count suppression (the French "secret statistique"): rows of groups with fewer than
``k`` rows — or, for tables of counts, whose ``count_column`` sums to 1..k-1 — are dropped or
have their value ``columns`` nulled. ``k`` defaults to 11, the threshold used for French
health and social data (counts 1 to 10 are never published); INSEE's business statistics use
other rules: set ``k`` to your own.
"""

from __future__ import annotations

from typing import Literal

import pandas as pd
from pydantic import Field, field_validator, model_validator

from ...policy.bands import edges_problem
from ..interfaces import Params, ProcessContext, Processor
from . import _anonymise_ops as ops
from ._common import examples, require_columns


class SuppressRule(Params):
    by: list[str] = Field(min_length=1)
    k: int = Field(11, ge=2)
    count_column: str | None = None
    action: Literal["drop", "null"] = "drop"
    columns: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _null_needs_columns(self):
        if self.action == "null" and not self.columns:
            raise ValueError("action: null needs `columns`, the value columns to blank")
        return self


class AnonymiseParams(Params):
    drop: list[str] = Field(default_factory=list)
    pseudonymise: list[str] = Field(default_factory=list)
    key_env: str = "AGORA_PSEUDONYM_KEY"
    token_length: int = Field(16, ge=8, le=64)
    generalise_dates: dict[str, Literal["year", "quarter", "month"]] = Field(default_factory=dict)
    bands: dict[str, list[float]] = Field(default_factory=dict)
    suppress: SuppressRule | None = None

    @field_validator("bands")
    @classmethod
    def _increasing(cls, bands: dict[str, list[float]]) -> dict[str, list[float]]:
        for column, edges in bands.items():
            if edges_problem(edges):
                raise ValueError(f"bands for {column!r}: {edges_problem(edges)}")
        return bands


class Anonymise(Processor):
    """Drop columns, keyed pseudonyms, dates to year/quarter/month, numbers to bands, k-suppression.

        - anonymise:
            pseudonymise: [numero_allocataire]
            generalise_dates: {date_naissance: year}
            bands: {age: [0, 18, 25, 40, 60, 75]}
            suppress: {by: [commune, tranche_age], k: 11, action: drop}
            drop: [nom, prenom]
    """

    name = "anonymise"
    summary = "Anonymise: drop, keyed pseudonyms, generalise dates/numbers, small-count suppression"
    Params = AnonymiseParams

    def apply(self, frame: pd.DataFrame, context: ProcessContext) -> pd.DataFrame:
        p = self.params
        key = ops.pseudonym_key(context.environ, p.key_env) if p.pseudonymise else b""
        suppress_columns = (p.suppress.by + p.suppress.columns) if p.suppress else []
        count_column = [p.suppress.count_column] if p.suppress and p.suppress.count_column else []
        require_columns(frame, [*p.drop, *p.pseudonymise, *p.generalise_dates, *p.bands,
                                *suppress_columns, *count_column], self.name)
        out = frame.copy()
        for column, level in p.generalise_dates.items():
            out[column], failed = ops.generalise_date(frame[column], level)
            _count(context, column, "unparseable_dates", failed, frame[column])
        for column, edges in p.bands.items():
            out[column], failed = ops.band(frame[column], edges)
            _count(context, column, "out_of_bands", failed, frame[column])
        if p.suppress:
            out = self._suppress(out, context)
        for column in p.pseudonymise:
            out[column] = ops.pseudonymise(out[column], key, p.token_length)
        return out.drop(columns=p.drop)

    def _suppress(self, frame: pd.DataFrame, context: ProcessContext) -> pd.DataFrame:
        rule = self.params.suppress
        small = ops.small_groups(frame, rule.by, rule.k, rule.count_column)
        context.note("suppressed_rows", int(small.sum()))
        context.note("suppressed_groups", int(frame[small][rule.by].drop_duplicates().shape[0]))
        if rule.action == "drop":
            return frame[~small]
        out = frame.copy()
        for column in rule.columns:
            out[column] = frame[column].mask(small)
        return out


def _count(context, column, metric, mask, values) -> None:
    if mask.any():
        context.quality.count(column, metric, int(mask.sum()), examples(values[mask]))
