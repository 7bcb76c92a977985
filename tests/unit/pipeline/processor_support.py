"""Helpers for the processor tests: a recording context and a run that checks immutability."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from hub.pipeline import registry
from hub.pipeline.interfaces import ProcessContext, QualityReport


@dataclass
class Run:
    out: pd.DataFrame
    quality: dict
    notes: dict = field(default_factory=dict)


def context(environ=None, datasets=None) -> tuple[ProcessContext, dict]:
    notes: dict = {}
    ctx = ProcessContext(
        dataset="test", quality=QualityReport(), environ=environ or {},
        load_dataset=(datasets or {}).__getitem__, note=notes.__setitem__,
    )
    return ctx, notes


def run(name: str, frame: pd.DataFrame, environ=None, datasets=None, **params) -> Run:
    """Validate `params`, apply processor `name` and assert the input frame is unchanged."""
    processor_cls = registry.processor(name)
    processor = processor_cls(processor_cls.Params(**params))
    before = frame.copy(deep=True)
    ctx, notes = context(environ, datasets)
    out = processor.apply(frame, ctx)
    pd.testing.assert_frame_equal(frame, before)
    assert out is not frame
    return Run(out, ctx.quality.columns, notes)


def values(series: pd.Series) -> list:
    """A column's values with every kind of missing value (None, NaN, NA) as None."""
    return [None if pd.isna(value) else value for value in series]
