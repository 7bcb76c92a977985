"""Unattended refreshes from the recipes' cron schedules (Europe/Paris).

A dataset is due when the first schedule slot after its last attempt (from its status file)
has passed, or when it was never attempted. Because the last attempt is stored, a restart after
downtime runs each missed dataset once, not once per missed slot (catch-up without duplicates).

:class:`ScheduleRunner` reloads the catalog at every tick (a catalog with problems runs
nothing: fail closed), runs due datasets in a pool of `max_parallel` threads (default 2) and
never starts a dataset that is still running; the store's per-dataset lock also keeps
`agora refresh` and the runner from overlapping across processes. It is a library:
:func:`runner_from_settings` builds the one that `agora refresh --watch` runs in the
foreground and that the hub's scheduler service (hub/services/scheduler) hosts.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime

from ..config.problems import ConfigProblems
from .deps import refresh_order
from .execute import Progress
from .recipe import Recipe, RecipeCache, load_catalog
from .refresh import RefreshEnv, RefreshResult, refresh_dataset
from .store import SnapshotStore
from .store_files import utc_now

log = logging.getLogger("agora.schedule")
KEEP_RESULTS = 100  # results kept in memory; the status files are the lasting record


def is_due(recipe: Recipe, store: SnapshotStore, now: datetime) -> bool:
    """True when a schedule slot passed since the last attempt (or it never ran)."""
    if recipe.cron is None:
        return False
    last = store.status(recipe.id).last_attempt()
    return last is None or recipe.cron.next_after(last) <= now


def due_datasets(recipes: Mapping[str, Recipe], store: SnapshotStore,
                 now: datetime) -> list[str]:
    """Due datasets, the datasets others join first."""
    return [d for d in refresh_order(recipes) if is_due(recipes[d], store, now)]


class ScheduleRunner:
    """Run due refreshes without overlap; call :meth:`tick` periodically or :meth:`run`.

    :attr:`results` holds the last `keep_results` finished refreshes, oldest first, so a
    runner that lives for months does not grow without bound.
    """

    def __init__(self, load_recipes: Callable[[], Mapping[str, Recipe]], env: RefreshEnv,
                 max_parallel: int = 2, progress: Progress | None = None,
                 clock: Callable[[], datetime] = utc_now, keep_results: int = KEEP_RESULTS):
        self.load_recipes, self.env, self.progress, self.clock = (
            load_recipes, env, progress, clock)
        self.pool = ThreadPoolExecutor(max_parallel, thread_name_prefix="agora-refresh")
        self.running: dict[str, Future] = {}
        self.results: deque[RefreshResult] = deque(maxlen=keep_results)
        self._lock = threading.Lock()
        self._last_problems: str | None = None

    def _recipes(self) -> Mapping[str, Recipe]:
        try:
            recipes = self.load_recipes()
        except ConfigProblems as exc:
            if str(exc) != self._last_problems:
                log.error("catalog has problems; no refresh runs until fixed:\n%s", exc)
            self._last_problems = str(exc)
            return {}
        self._last_problems = None
        return recipes

    def _refresh(self, dataset: str, recipe: Recipe) -> RefreshResult:
        """One refresh in the pool; its bookkeeping is done before its future completes,
        so :meth:`wait` returning means :attr:`results` holds it."""
        try:
            result = refresh_dataset(recipe, self.env, self.progress)
            with self._lock:
                self.results.append(result)
            return result
        finally:
            with self._lock:
                self.running.pop(dataset, None)

    def tick(self) -> list[str]:
        """Start every due dataset that is not running; return the ids started."""
        recipes = self._recipes()
        started = []
        for dataset in due_datasets(recipes, self.env.store, self.clock()):
            with self._lock:
                if dataset in self.running:
                    continue
                self.running[dataset] = self.pool.submit(self._refresh, dataset,
                                                         recipes[dataset])
            started.append(dataset)
        return started

    def wait(self) -> None:
        """Block until the refreshes started so far are done."""
        with self._lock:
            futures = list(self.running.values())
        for future in futures:
            future.exception()

    def run(self, stop: threading.Event, poll_seconds: float = 30.0) -> None:
        """Tick every `poll_seconds` until `stop` is set; then finish running refreshes."""
        try:
            while not stop.is_set():
                self.tick()
                stop.wait(poll_seconds)
        finally:
            self.pool.shutdown(wait=True, cancel_futures=True)


def runner_from_settings(settings, progress: Progress | None = None,
                         check: bool = True) -> ScheduleRunner:
    """The runner of the settings' catalog; each tick re-reads it (only changed files are
    parsed again, a catalog with problems runs nothing until fixed). `check`: raise
    ConfigProblems now if the catalog has problems (a command refuses to start)."""
    parsed = RecipeCache()
    if check:
        load_catalog(settings.catalog_dir, parsed)
    return ScheduleRunner(lambda: load_catalog(settings.catalog_dir, parsed),
                          RefreshEnv.from_settings(settings), progress=progress)


def scheduled(runner: ScheduleRunner) -> list[str]:
    """The datasets with a schedule, as the runner's catalog has them now."""
    return sorted(d for d, r in runner.load_recipes().items() if r.schedule)
