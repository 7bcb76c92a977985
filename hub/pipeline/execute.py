"""The steps of one refresh: read the source, run the processors, check what was dropped.

Each function raises :class:`RefreshFailed` with a message an administrator can act on;
refresh.py records it and keeps the current snapshot. An unexpected exception (a bug, a
library's own error) becomes one line naming where it happened (``step 2 (join) crashed:
TypeError: ...``); its traceback goes to the log, never to the person refreshing.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd
import pyarrow as pa

from . import registry
from .interfaces import (
    ProcessContext,
    ProcessingError,
    QualityReport,
    SourceContext,
    SourceData,
    SourceError,
)
from .parallel import map_parallel
from .recipe import Recipe, Step
from .recipe_validation import step_label

T = TypeVar("T")
log = logging.getLogger("agora.refresh")


class RefreshFailed(Exception):
    """The refresh cannot publish; the message says why (and, when we know, what to do)."""


def crash(where: str, exc: BaseException, dataset: str) -> RefreshFailed:
    """The one-line failure for an unexpected exception at `where`; its traceback is logged."""
    log.error("refresh of %s: %s crashed", dataset, where, exc_info=exc)
    return RefreshFailed(f"{where} crashed: {type(exc).__name__}: {one_line(exc)} "
                         "(details in the log)")


def one_line(exc: BaseException, width: int = 300) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= width else text[: width - 1] + "…"


@dataclass(frozen=True)
class ProgressEvent:
    """One line of progress: `step` is start, fetch, a processor name, write, or the result."""

    dataset: str
    step: str
    rows: int | None = None
    seconds: float | None = None
    message: str = ""


Progress = Callable[[ProgressEvent], None]


@dataclass
class Deadline:
    seconds: float
    started: float = field(default_factory=time.monotonic)

    def remaining(self) -> float:
        return max(0.0, self.seconds - (time.monotonic() - self.started))

    def check(self, what: str) -> None:
        if self.remaining() <= 0:
            raise RefreshFailed(f"timed out after {self.seconds:g} s before {what} "
                                "(refresh.timeout_seconds)")


def call_with_timeout(func: Callable[[], T], deadline: Deadline, what: str) -> T:
    """Run `func` in a daemon thread; give up at the deadline.

    Python cannot kill a thread: a timed-out worker is abandoned and its result discarded
    (it never writes to the store; run_processors also stops at its next step).
    """
    box: dict[str, Any] = {}

    def target():
        try:
            box["value"] = func()
        except BaseException as exc:  # re-raised in the caller's thread
            box["error"] = exc

    worker = threading.Thread(target=target, daemon=True, name=f"agora-{what}")
    worker.start()
    worker.join(deadline.remaining())
    if worker.is_alive():
        raise RefreshFailed(f"{what} did not finish within the {deadline.seconds:g} s "
                            "allowed (refresh.timeout_seconds)")
    if "error" in box:
        raise box["error"]
    return box["value"]


def check_source(recipe: Recipe, data: Any) -> SourceData:
    """A source must give a frame with columns and, unless allow_empty, rows."""
    if not isinstance(data, SourceData) or not isinstance(data.frame, pd.DataFrame):
        raise SourceError(f"connector {recipe.source.connector!r} returned "
                          f"{type(data).__name__}, not SourceData with a DataFrame")
    if not data.fingerprint:
        raise SourceError(f"connector {recipe.source.connector!r} gave no fingerprint")
    if len(data.frame.columns) == 0:
        raise SourceError("the source has no columns (empty or unreadable)")
    if len(data.frame) == 0 and not getattr(recipe.source.params, "allow_empty", False):
        raise SourceError("the source has no rows; set allow_empty: true in source if that "
                          "is expected")
    return data


def fetch_source(recipe: Recipe, sources_dir: Path, environ: Mapping[str, str],
                 deadline: Deadline, max_bytes: int | None = None) -> SourceData:
    try:
        connector = registry.connector(recipe.source.connector)
    except registry.UnknownName as unknown:
        raise RefreshFailed(str(unknown)) from None
    context = SourceContext(sources_dir=Path(sources_dir), timeout=deadline.remaining(),
                            environ=environ, max_bytes=max_bytes)
    try:
        data = call_with_timeout(lambda: connector(recipe.source.params, context).fetch(),
                                 deadline, "reading the source")
        return check_source(recipe, data)
    except SourceError as exc:
        raise RefreshFailed(f"source ({recipe.source.connector}): {exc}") from exc
    except RefreshFailed:
        raise
    except Exception as exc:
        raise crash(f"source ({recipe.source.connector})", exc, recipe.id) from exc


def apply_step(index: int, step: Step, frame: pd.DataFrame,
               context: ProcessContext) -> pd.DataFrame:
    """Run one processor; any error becomes a RefreshFailed naming the step."""
    label = step_label(index, step.processor)
    try:
        processor = registry.processor(step.processor)
    except registry.UnknownName as unknown:
        raise RefreshFailed(f"{label}: {unknown}") from None
    try:
        out = processor(step.params).apply(frame, context)
    except ProcessingError as exc:
        raise RefreshFailed(f"{label}: {exc}") from exc
    except Exception as exc:
        raise crash(label, exc, context.dataset) from exc
    if not isinstance(out, pd.DataFrame):
        raise RefreshFailed(f"{label} returned {type(out).__name__}, not a DataFrame")
    return out


ContextFactory = Callable[[QualityReport, dict], ProcessContext]


@dataclass
class StepRun:
    """One step's output and what it recorded, before it is added to the report."""

    index: int
    frame: pd.DataFrame
    notes: dict[str, Any]
    seconds: float
    counts: list[tuple]  # its quality.count calls, when they were deferred


class DeferredQuality(QualityReport):
    """The quality report of a step that runs alongside others: its ``count`` calls are kept
    and replayed into the real report in step order, so the report is the same as when the
    steps run one after another."""

    def __init__(self, calls: list[tuple]):
        super().__init__()
        self.calls = calls

    def count(self, *args, **kwargs) -> None:
        self.calls.append((args, kwargs))
        super().count(*args, **kwargs)


def step_groups(steps: Sequence[Step]) -> list[list[int]]:
    """Step indexes in recipe order, grouped: consecutive column-local steps on different
    columns (see ``Processor.column_local``) share a group; every other step is alone."""
    groups: list[list[int]] = []
    taken: set[str] | None = None  # the open group's columns; None when it cannot grow
    for index, step in enumerate(steps):
        columns = _local_columns(step)
        if columns is not None and taken is not None and not columns & taken:
            groups[-1].append(index)
            taken |= columns
        else:
            groups.append([index])
            taken = None if columns is None else set(columns)
    return groups


def _local_columns(step: Step) -> set[str] | None:
    processor = registry.processors().get(step.processor)
    if processor is None or not processor.column_local:
        return None
    return set(step.params.columns)


def _run_step(index: int, step: Step, frame: pd.DataFrame, make_context: ContextFactory,
              report: QualityReport | None) -> StepRun:
    """Apply one step; with `report` None, its quality counts are deferred (see StepRun)."""
    notes: dict[str, Any] = {}
    counts: list[tuple] = []
    context = make_context(DeferredQuality(counts) if report is None else report, notes)
    started = time.perf_counter()
    out = apply_step(index, step, frame, context)
    return StepRun(index, out, notes, round(time.perf_counter() - started, 4), counts)


def _run_group(steps: Sequence[Step], group: list[int], frame: pd.DataFrame,
               make_context: ContextFactory, report: QualityReport) -> tuple[pd.DataFrame,
                                                                              list[StepRun]]:
    """Run a group's steps on `frame`, at the same time when there are several; return the
    frame with every step's columns and the runs in step order. The first failing step (in
    recipe order) raises, as it would have run alone."""
    if len(group) == 1:
        run = _run_step(group[0], steps[group[0]], frame, make_context, report)
        return run.frame, [run]
    runs = map_parallel(lambda i: _run_step(i, steps[i], frame, make_context, None), group)
    for run in runs:
        if len(run.frame) != len(frame) or not run.frame.columns.equals(frame.columns):
            raise RefreshFailed(f"{step_label(run.index, steps[run.index].processor)} changed "
                                "the rows or columns although it is declared column-local")
        for args, kwargs in run.counts:
            report.count(*args, **kwargs)
    merged = runs[0].frame  # with the columns of the other steps put in
    for run in runs[1:]:
        for column in dict.fromkeys(steps[run.index].params.columns):
            merged[column] = run.frame[column].array
    return merged, runs


def run_processors(recipe: Recipe, frame: pd.DataFrame, make_context: ContextFactory,
                   deadline: Deadline, emit: Progress) -> tuple[pd.DataFrame, QualityReport]:
    """Run the steps in recipe order; record rows in/out, seconds and notes per step.

    Consecutive column-local steps on different columns (three ``normalise_text`` and a
    ``parse_numbers`` on four columns) run at the same time, each on the frame they all
    start from; their columns are then put together, and their quality counts added in
    step order: the frame and the report are those of running them one by one. Their
    ``seconds`` then overlap.
    """
    report, steps = QualityReport(), recipe.processors
    for group in step_groups(steps):
        deadline.check(step_label(group[0], steps[group[0]].processor))
        rows_in, columns_in = len(frame), set(frame.columns)
        frame, runs = _run_group(steps, group, frame, make_context, report)
        for run in runs:
            processor = steps[run.index].processor
            for column in set(run.frame.columns) - columns_in:
                report.origins.setdefault(column, step_label(run.index, processor))
            report.steps.append({"step": run.index + 1, "processor": processor,
                                 "rows_in": rows_in, "rows_out": len(run.frame),
                                 "seconds": run.seconds, "notes": run.notes})
            emit(ProgressEvent(recipe.id, processor, len(run.frame), run.seconds))
    return frame, report


def write_failure(frame: pd.DataFrame, report: QualityReport, exc: Exception,
                  dataset: str) -> RefreshFailed:
    """The one-line failure for a snapshot that could not be written: the column that cannot
    be stored and the step that made it, when that is the cause."""
    column = _unstorable_column(frame) if isinstance(exc, (pa.ArrowException, TypeError,
                                                           ValueError)) else None
    if column is None:
        return crash("writing the snapshot", exc, dataset)
    log.error("refresh of %s: column %r cannot be stored", dataset, column, exc_info=exc)
    origin = report.origins.get(column, "the source")
    return RefreshFailed(f"writing the snapshot failed: column {column!r} (made by {origin}) "
                         f"cannot be stored: {type(exc).__name__}: {one_line(exc)} -> drop or "
                         "convert it in that step (details in the log)")


def _unstorable_column(frame: pd.DataFrame) -> str | None:
    geo = frame.__class__.__name__ == "GeoDataFrame"
    for name in frame.columns:
        if geo and getattr(frame[name].dtype, "name", "") == "geometry":
            continue  # geopandas writes these
        try:
            pa.Table.from_pandas(pd.DataFrame({name: frame[name]}), preserve_index=False)
        except (pa.ArrowException, TypeError, ValueError):
            return str(name)
    return None


def check_dropped(recipe: Recipe, steps: Sequence[dict], limit: float) -> None:
    """Fail when the processors dropped more than `limit` (a share) of the rows.

    Each step's drop is measured on the rows it received (`steps`: the quality report's), so
    rows that an `explode` adds do not hide rows that a later `filter` drops."""
    kept, drops = 1.0, []
    for step in steps:
        rows_in, rows_out = step["rows_in"], step["rows_out"]
        if rows_in and rows_out < rows_in:
            kept *= rows_out / rows_in
            drops.append(f"{step_label(step['step'] - 1, step['processor'])} "
                         f"{rows_in - rows_out} of {rows_in}")
    if 1 - kept > limit:
        raise RefreshFailed(
            f"processors dropped {1 - kept:.0%} of the rows ({', '.join(drops)}), "
            f"more than the {limit:.0%} allowed -> check the source, or raise "
            f"refresh.max_dropped_fraction in {recipe.file}")


def check_shrink(recipe: Recipe, before: int | None, after: int, limit: float,
                 accepted_by: str | None = None) -> dict[str, Any] | None:
    """Fail when the new version has fewer than (1 - `limit`) x the current version's
    `before` rows, unless `accepted_by` someone: then return what the manifest records."""
    if not before or after >= (1 - limit) * before:
        return None
    if accepted_by:
        return {"from": before, "to": after, "by": accepted_by}
    raise RefreshFailed(
        f"the new version has {after} rows, the current one {before} ({1 - after / before:.0%} "
        f"fewer, more than the {limit:.0%} allowed by refresh.max_shrink_fraction) -> check the "
        f"source; if it is right, publish it with `agora refresh {recipe.id} --accept-shrink`")
