"""Test-only connector and processors for the recipe/store/refresh/schedule tests.

The `fakes` fixture makes these classes the registry's only ones, so the glue is tested
without the real connectors and processors; the registry is restored after.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from hub.pipeline import recipe, registry
from hub.pipeline.interfaces import (
    Connector,
    Params,
    ProcessingError,
    Processor,
    SourceData,
    SourceError,
    fingerprint_bytes,
)
from hub.pipeline.refresh import RefreshEnv
from hub.pipeline.store import SnapshotStore


class LinesParams(Params):
    path: str
    allow_empty: bool = False


class LinesConnector(Connector):
    """Reads `id,value` lines; a file not ending in a newline is truncated."""

    name, summary, Params = "test_lines", "test-only CSV of id,value", LinesParams

    def fetch(self) -> SourceData:
        path = self.context.sources_dir / self.params.path
        if not path.exists():
            raise SourceError(f"{self.params.path}: file not found")
        raw = path.read_bytes()
        if raw and not raw.endswith(b"\n"):
            raise SourceError(f"{self.params.path}: truncated (no final newline)")
        try:
            rows = [line.split(",") for line in raw.decode("utf-8").splitlines() if line]
            frame = pd.DataFrame([(int(a), float(b)) for a, b in rows], columns=["id", "value"])
        except (UnicodeDecodeError, ValueError) as exc:
            raise SourceError(f"{self.params.path}: corrupt ({exc})") from exc
        return SourceData(frame, fingerprint_bytes(raw), {"path": str(path)})


class KeepBelowParams(Params):
    column: str
    below: float


class KeepBelow(Processor):
    name, summary, Params = "test_keep_below", "keep rows where column < below", KeepBelowParams

    def apply(self, frame, context):
        if self.params.column not in frame.columns:
            raise ProcessingError(f"column {self.params.column!r} not found")
        kept = frame[frame[self.params.column] < self.params.below]
        context.note("dropped", len(frame) - len(kept))
        context.quality.count(self.params.column, "too_high", len(frame) - len(kept))
        return kept.reset_index(drop=True)


class CrashParams(Params):
    kind: str = "crash"


class Crash(Processor):
    name, summary, Params = "test_crash", "always fails", CrashParams

    def apply(self, frame, context):
        if self.params.kind == "processing":
            raise ProcessingError("cannot work on this data")
        raise RuntimeError("boom")


class SleepParams(Params):
    seconds: float


class Sleep(Processor):
    """Sleeps; counts how many run at once (for the concurrency cap)."""

    name, summary, Params = "test_sleep", "sleeps", SleepParams
    lock, active, peak = threading.Lock(), 0, 0

    def apply(self, frame, context):
        with Sleep.lock:
            Sleep.active += 1
            Sleep.peak = max(Sleep.peak, Sleep.active)
        time.sleep(self.params.seconds)
        with Sleep.lock:
            Sleep.active -= 1
        return frame


class JoinParams(Params):
    dataset: str
    on: str = "id"


class Join(Processor):
    name, summary, Params = "test_join", "left join another dataset", JoinParams

    def apply(self, frame, context):
        other = context.load_dataset(self.params.dataset)
        return frame.merge(other, on=self.params.on, how="left", suffixes=("", "_other"))


class Within(Params):
    dataset: str


class NestedParams(Params):
    within: Within


class Nested(Processor):
    """Names its dataset in a nested param, like geo: {within: {dataset: communes}}."""

    name, summary, Params = "test_nested", "reads a dataset named in a nested param", NestedParams

    def apply(self, frame, context):
        context.load_dataset(self.params.within.dataset)
        return frame


CONNECTOR_CLASSES = [LinesConnector]
PROCESSOR_CLASSES = [KeepBelow, Crash, Sleep, Join, Nested]


@pytest.fixture
def fakes(monkeypatch):
    """A registry holding only the test classes, restored afterwards."""
    monkeypatch.setattr(registry, "_plugins",
                        registry.Plugins.of(CONNECTOR_CLASSES, PROCESSOR_CLASSES))
    Sleep.active = Sleep.peak = 0


@pytest.fixture
def workspace(tmp_path, fakes):
    """Folders for a catalog, sources and a store, plus helpers."""
    return Workspace(tmp_path)


BASIC = """\
title: Test data
description: Rows of id,value.
source:
  connector: test_lines
  path: {path}
processors:
{steps}
{extra}
"""


class Workspace:
    def __init__(self, root: Path):
        self.root = root
        self.catalog = root / "catalogs"
        self.sources = root / "sources"
        self.store_dir = root / "store"
        self.catalog.mkdir()
        self.sources.mkdir()
        self.store = SnapshotStore(self.store_dir, retain=3)
        self.env = RefreshEnv(self.store, self.sources, environ={}, max_dropped_fraction=0.5,
                              retain_versions=3)

    def source(self, name: str, rows: int = 10, text: str | None = None) -> None:
        body = text if text is not None else "".join(f"{i},{i * 1.5}\n" for i in range(rows))
        (self.sources / name).write_text(body)

    def recipe(self, dataset: str, steps: str = "  []", extra: str = "",
               path: str | None = None) -> Path:
        file = self.catalog / f"{dataset}.yaml"
        file.write_text(BASIC.format(path=path or f"{dataset}.csv", steps=steps, extra=extra))
        return file

    def load(self):
        return recipe.load_catalog(self.catalog)
