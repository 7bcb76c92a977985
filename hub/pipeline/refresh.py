"""Refresh datasets: source -> processors -> a new snapshot, or a recorded failure.

One refresh of one dataset (:func:`refresh_dataset`), holding the dataset's lock:

1. record the attempt in the status file;
2. read the source through its connector, in a thread bounded by refresh.timeout_seconds; a
   source over max_source_bytes fails here, before more than that is read into memory;
3. if the source fingerprint, the recipe hash and the versions of the datasets it joins all
   equal the current version's, stop: result "unchanged", no new version;
4. run the processors in order (rows in/out, seconds, notes per step in the quality report);
5. fail if they dropped more than max_dropped_fraction of the rows, or if the new version has
   fewer than (1 - max_shrink_fraction) x the current version's rows (unless the shrink is
   accepted: `agora refresh DATASET --accept-shrink`, recorded as the manifest's
   ``accepted_shrink``);
6. write the version and switch `current` atomically (store.py), prune old versions.

Any failure (SourceError, ProcessingError, timeout, a crash) leaves `current` untouched and is
recorded with a readable message in the status file. :func:`refresh_many` runs datasets after
the datasets they join; a dependency that failed still has its last good snapshot, which is
what the dependent dataset then joins; with ``batch.dask_scheduler`` set, each of its datasets
is a job on that Dask cluster (dask_batch.py), in the same order. :func:`refresh_catalog`
also fails, alone, each broken recipe asked for (recipe.read_catalog): its problem is its
result, the others refresh.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from ..alerts.episodes import EpisodeStore
from .deps import UnknownDataset, refresh_order
from .execute import (
    Deadline,
    Progress,
    ProgressEvent,
    RefreshFailed,
    call_with_timeout,
    check_dropped,
    check_shrink,
    fetch_source,
    one_line,
    run_processors,
    write_failure,
)
from .interfaces import ProcessContext, ProcessingError, QualityReport, SourceData
from .memory import use_fast_memory_pool
from .recipe import DATASET_ID, Catalog, Recipe, read_catalog
from .recipe_validation import suggest
from .store import DatasetBusy, SnapshotStore, open_store
from .store_files import utc_now

log = logging.getLogger("agora.refresh")
Outcome = Literal["new", "unchanged", "failed", "busy"]


@dataclass
class RefreshResult:
    dataset: str
    result: Outcome  # new version, unchanged source, failed, busy (another refresh runs)
    version: str | None = None  # the current version after this refresh
    rows: int | None = None
    seconds: float = 0.0
    error: str | None = None
    ran_on: str | None = None  # the Dask worker (address and pid); None: this process

    @property
    def failed(self) -> bool:
        return self.result == "failed"


@dataclass
class RefreshEnv:
    """What a refresh needs besides the recipe."""

    store: SnapshotStore
    sources_dir: Path
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    max_dropped_fraction: float = 0.5
    retain_versions: int = 5
    max_source_bytes: int | None = None  # None: no limit; from_settings: data.max_source_bytes
    # never handed to a source, whatever a recipe names (from_settings: the hub's auth-state
    # key and the pseudonym key, settings that can name any variable); processors keep them
    hub_secrets: frozenset[str] = frozenset()
    alerts: EpisodeStore | None = None  # from_settings: <data_dir>/alerts; None: no alerts
    max_shrink_fraction: float = 0.5
    dask_scheduler: str = ""  # batch.dask_scheduler: refresh_many's tasks go there; "": here

    @classmethod
    def from_settings(cls, settings, environ: Mapping[str, str] | None = None) -> RefreshEnv:
        data, environ = settings.data, dict(os.environ if environ is None else environ)
        return cls(open_store(settings, environ), settings.sources_dir, environ,
                   data.max_dropped_fraction, data.retain_versions, data.max_source_bytes,
                   frozenset({settings.auth.crypt_key_env, data.pseudonym_key_env}),
                   EpisodeStore.from_settings(settings), data.max_shrink_fraction,
                   settings.batch.dask_scheduler)

    @property
    def source_environ(self) -> dict[str, str]:
        """The variables a connector may read (`url_env`, `api_key_env`...)."""
        return {name: value for name, value in self.environ.items()
                if name not in self.hub_secrets}


def _quiet(progress: Progress | None) -> Progress:
    def emit(event: ProgressEvent) -> None:
        try:
            if progress is not None:
                progress(event)
        except Exception:  # a broken display must not fail a refresh
            log.exception("progress callback failed")
    return emit


def _loader(store: SnapshotStore, recipe: Recipe, inputs: dict[str, str | None]):
    """load_dataset for processors: the pinned version of a declared dependency."""
    def load_dataset(other: str) -> pd.DataFrame:
        if other not in inputs:
            raise ProcessingError(f"dataset {other!r} is not declared in a step's `dataset` "
                                  f"param of {recipe.id!r}, so it cannot be read")
        if inputs[other] is None:
            raise ProcessingError(f"dataset {other!r} has no snapshot yet; refresh it first")
        try:
            return store.read_version(other, inputs[other])
        except FileNotFoundError:
            raise ProcessingError(f"version {inputs[other]} of {other!r} was pruned "
                                  "during the refresh; retry") from None
    return load_dataset


def _context_factory(recipe: Recipe, env: RefreshEnv, inputs: dict[str, str | None]):
    load = _loader(env.store, recipe, inputs)

    def make(report: QualityReport, notes: dict) -> ProcessContext:
        return ProcessContext(recipe.id, report, env.environ, load, notes.__setitem__)
    return make


def _unchanged(current: dict | None, recipe: Recipe, source: SourceData, inputs: dict) -> bool:
    return bool(current) and (
        current.get("source", {}).get("fingerprint") == source.fingerprint
        and current.get("recipe_hash") == recipe.hash
        and current.get("inputs", {}) == inputs)


def _manifest(recipe: Recipe, source: SourceData, report: QualityReport, inputs: dict,
              timings: dict[str, float]) -> dict[str, Any]:
    return {
        "recipe_hash": recipe.hash,
        "source": {"connector": recipe.source.connector, "fingerprint": source.fingerprint,
                   "details": source.details, "hash": recipe.source_hash,
                   "columns": [str(c) for c in source.frame.columns]},
        "processors": [{"name": s.processor, "params": s.params.model_dump(mode="json")}
                       for s in recipe.processors],
        "inputs": inputs,
        "quality": report.to_dict(),
        "timings": timings,
        "synthetic": recipe.metadata.synthetic,
    }


def row_rule_columns(recipe: Recipe) -> list[str]:
    """The columns the recipe's row rules compare: the snapshot is clustered by them."""
    return [rule.column for rule in recipe.access.rows]


def _option(recipe: Recipe, env: RefreshEnv, name: str):
    """The recipe's refresh option `name`, else the env's (the settings') default."""
    value = getattr(recipe.refresh, name)
    return getattr(env, name) if value is None else value


def _run(recipe: Recipe, env: RefreshEnv, emit: Progress,
         accepted_by: str | None = None) -> RefreshResult:
    deadline = Deadline(recipe.refresh.timeout_seconds)
    inputs = {other: env.store.current(other) for other in recipe.dependencies}
    started = time.perf_counter()
    max_bytes = recipe.refresh.max_source_bytes or env.max_source_bytes
    source = fetch_source(recipe, env.sources_dir, env.source_environ, deadline, max_bytes)
    fetched = round(time.perf_counter() - started, 4)
    emit(ProgressEvent(recipe.id, "fetch", len(source.frame), fetched))
    current = env.store.read_manifest(recipe.id)
    if _unchanged(current, recipe, source, inputs):
        return RefreshResult(recipe.id, "unchanged", current["version"], current["row_count"])
    frame, report = call_with_timeout(
        lambda: run_processors(recipe, source.frame, _context_factory(recipe, env, inputs),
                               deadline, emit), deadline, "the processors")
    check_dropped(recipe, report.steps, _option(recipe, env, "max_dropped_fraction"))
    shrink = check_shrink(recipe, (current or {}).get("row_count"), len(frame),
                          _option(recipe, env, "max_shrink_fraction"), accepted_by)
    timings = {"fetch": fetched, "processors": round(time.perf_counter() - started - fetched, 4)}
    manifest = _manifest(recipe, source, report, inputs, timings)
    if shrink:
        manifest["accepted_shrink"] = shrink
    try:
        version = env.store.write_version(recipe.id, frame, manifest,
                                          recipe.refresh.retain_versions or env.retain_versions,
                                          cluster_by=row_rule_columns(recipe))
    except Exception as exc:
        raise write_failure(frame, report, exc, recipe.id) from exc
    emit(ProgressEvent(recipe.id, "write", len(frame), round(time.perf_counter() - started, 4)))
    return RefreshResult(recipe.id, "new", version, len(frame))


def _failure_message(exc: Exception) -> str:
    """One line for the status file and the steward; an unexpected traceback goes to the log."""
    if isinstance(exc, RefreshFailed):
        return " ".join(str(exc).split())
    log.exception("unexpected error during a refresh")
    return f"unexpected error: {type(exc).__name__}: {one_line(exc)} (details in the log)"


def _locked(recipe: Recipe, env: RefreshEnv, emit: Progress, started: float,
            accepted_by: str | None) -> RefreshResult:
    status = env.store.status(recipe.id)
    status.record_attempt(utc_now())
    emit(ProgressEvent(recipe.id, "start"))
    try:
        result = _run(recipe, env, emit, accepted_by)
    except Exception as exc:
        message = _failure_message(exc)
        result = RefreshResult(recipe.id, "failed", env.store.current(recipe.id),
                               seconds=time.monotonic() - started, error=message)
        status.record_failure(utc_now(), message, result.seconds)
        return result
    result.seconds = time.monotonic() - started
    status.record_success(utc_now(), result.result, result.version, result.seconds)
    judge_alerts(recipe, env)
    return result


def judge_alerts(recipe: Recipe, env: RefreshEnv) -> None:
    """The recipe's alert rules on the current snapshot (hub/alerts): episodes opened and
    closed, notices queued for delivery. Never fails the refresh it follows."""
    if not recipe.alerts or env.alerts is None:
        return
    from ..alerts.evaluate import evaluate_rules  # duckdb: only when there are rules

    if not env.store.is_local:
        log.warning("alert rules of %s not judged: they read local snapshots only, and the "
                    "store is %s (docs/pipeline.md)", recipe.id, env.store.root)
        return
    try:
        evaluate_rules(recipe.id, recipe.alerts, env.store.current_path(recipe.id),
                       env.store.current(recipe.id), env.alerts)
    except Exception:
        log.exception("alert rules of %s not judged", recipe.id)


def refresh_dataset(recipe: Recipe, env: RefreshEnv, progress: Progress | None = None,
                    accept_shrink: bool = False, accepted_by: str = "cli") -> RefreshResult:
    """Refresh one dataset; never raises for a data problem (see RefreshResult.result).

    `accept_shrink`: publish even if the dataset shrank more than max_shrink_fraction (the
    manifest records it, with `accepted_by`); the next refresh is guarded again."""
    started, emit = time.monotonic(), _quiet(progress)
    use_fast_memory_pool()
    try:
        with env.store.lock(recipe.id):
            result = _locked(recipe, env, emit, started, accepted_by if accept_shrink else None)
    except DatasetBusy as exc:
        result = RefreshResult(recipe.id, "busy", env.store.current(recipe.id),
                               seconds=time.monotonic() - started, error=str(exc))
    emit(ProgressEvent(recipe.id, result.result, result.rows, result.seconds,
                       result.error or ""))
    return result


def refresh_many(recipes: Mapping[str, Recipe], env: RefreshEnv,
                 ids: Iterable[str] | None = None, progress: Progress | None = None,
                 accept_shrink: Collection[str] = ()) -> list[RefreshResult]:
    """Refresh `ids` (default: all) and the datasets they join, dependencies first; the
    datasets in `accept_shrink` may shrink past their limit (see refresh_dataset).

    With ``env.dask_scheduler`` set, each dataset is a task on that Dask cluster
    (dask_batch.py); only each dataset's result is reported to `progress` then.
    Raises deps.UnknownDataset for an id without a recipe (nothing is refreshed then), and
    dask_batch.DaskUnavailable when the scheduler cannot be reached.
    """
    order = refresh_order(recipes, ids)
    if env.dask_scheduler:
        return _refresh_on_dask(recipes, order, env, progress, accept_shrink)
    return [refresh_dataset(recipes[d], env, progress, accept_shrink=d in accept_shrink)
            for d in order]


def _refresh_on_dask(recipes: Mapping[str, Recipe], order: list[str], env: RefreshEnv,
                     progress: Progress | None, accept_shrink: Collection[str]) -> list[RefreshResult]:
    """refresh_many's datasets as jobs on the Dask cluster; one progress event per dataset."""
    from .dask_batch import run_jobs

    emit, results = _quiet(progress), {}
    jobs = {d: partial(refresh_dataset, recipes[d], env, None, accept_shrink=d in accept_shrink)
            for d in order}
    after = {d: set(recipes[d].dependencies) for d in order}

    def finished(outcome) -> None:
        result = results[outcome.name] = task_result(outcome, env)
        emit(ProgressEvent(result.dataset, result.result, result.rows, result.seconds,
                           result.error or ""))

    run_jobs(env.dask_scheduler, jobs, after, finished)
    return [results[d] for d in order]


def task_result(outcome, env: RefreshEnv) -> RefreshResult:
    """The RefreshResult of a dataset's Dask job; a job the cluster lost fails alone."""
    if outcome.error is None:
        outcome.value.ran_on = outcome.ran_on
        return outcome.value
    message = (f"the Dask task failed: {type(outcome.error).__name__}: "
               f"{one_line(outcome.error)}")
    _record_failed(env, outcome.name, message)
    return RefreshResult(outcome.name, "failed", env.store.current(outcome.name), error=message)


def _record_failed(env: RefreshEnv, dataset: str, message: str) -> None:
    """An attempt that failed before (or outside) a refresh, in the dataset's status file."""
    try:
        with env.store.lock(dataset):
            status = env.store.status(dataset)
            status.record_attempt(utc_now())
            status.record_failure(utc_now(), message, 0.0)
    except DatasetBusy:
        pass


def wanted_broken(catalog: Catalog, ids: Iterable[str] | None) -> list[str]:
    """The broken recipes among `ids` (default: all) and the datasets they read."""
    if ids is None:
        return sorted(catalog.broken)
    todo, seen = list(ids), set()
    while todo:
        dataset = todo.pop()
        if dataset not in seen:
            seen.add(dataset)
            recipe = catalog.recipes.get(dataset)
            todo.extend(recipe.dependencies if recipe else ())
    return sorted(seen & set(catalog.broken))


def broken_recipe(dataset: str, catalog: Catalog, env: RefreshEnv,
                  progress: Progress | None = None) -> RefreshResult:
    """The failed result of a recipe that does not load, recorded in its status file."""
    problems = catalog.broken[dataset]
    more = f" (and {len(problems) - 1} more problem(s): agora check)" if len(problems) > 1 else ""
    result = RefreshResult(dataset, "failed", error=f"recipe not loaded, nothing refreshed: "
                           f"{problems[0]}{more}")
    if DATASET_ID.match(dataset):  # a file name that is no dataset id has no store folder
        result.version = env.store.current(dataset)
        _record_failed(env, dataset, result.error)
    _quiet(progress)(ProgressEvent(dataset, "failed", message=result.error))
    return result


def refresh_catalog(catalog: Catalog, env: RefreshEnv, ids: Iterable[str] | None = None,
                    progress: Progress | None = None,
                    accept_shrink: Collection[str] = ()) -> list[RefreshResult]:
    """refresh_many on the recipes that load; each broken recipe among `ids` (default: all)
    and the datasets they read fails alone (:func:`broken_recipe`), first.

    Raises deps.UnknownDataset for an id with neither a recipe nor a broken recipe file.
    """
    ids = None if ids is None else list(ids)
    known = {**dict.fromkeys(catalog.broken), **catalog.recipes}
    for dataset in ids or ():
        if dataset not in known:
            raise UnknownDataset(f"no recipe for dataset {dataset!r}: " + suggest(dataset, known))
    good = None if ids is None else [d for d in ids if d not in catalog.broken]
    results = [broken_recipe(d, catalog, env, progress) for d in wanted_broken(catalog, ids)]
    return results + refresh_many(catalog.recipes, env, good, progress, accept_shrink)


def refresh_all(settings, ids: Iterable[str] | None = None, progress: Progress | None = None,
                environ: Mapping[str, str] | None = None,
                accept_shrink: Collection[str] = ()) -> list[RefreshResult]:
    """Read the catalog from the settings and refresh it (:func:`refresh_catalog`); raises
    ConfigProblems only when the catalog folder cannot be read."""
    return refresh_catalog(read_catalog(settings.catalog_dir),
                           RefreshEnv.from_settings(settings, environ), ids, progress,
                           accept_shrink)
