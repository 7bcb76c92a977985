"""Unattended refreshes from the recipes' cron schedules (Europe/Paris).

A dataset is due when the first schedule slot after its last attempt (from its status file)
has passed, or when it was never attempted. Because the last attempt is stored, a restart after
downtime runs each missed dataset once, not once per missed slot (catch-up without duplicates).

:class:`ScheduleRunner` reloads the catalog at every tick (a recipe with problems is not run
until fixed, the others are: recipe.read_catalog; a catalog folder that cannot be read runs
nothing), runs due datasets in a pool of `max_parallel` threads (default 2) and
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
from .recipe import Catalog, Recipe, RecipeCache, read_catalog
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

    def __init__(self, load_recipes: Callable[[], Mapping[str, Recipe] | Catalog],
                 env: RefreshEnv,
                 max_parallel: int = 2, progress: Progress | None = None,
                 clock: Callable[[], datetime] = utc_now, keep_results: int = KEEP_RESULTS):
        self.load_recipes, self.env, self.progress, self.clock = (
            load_recipes, env, progress, clock)
        self.pool = ThreadPoolExecutor(max_parallel, thread_name_prefix="agora-refresh")
        self.running: dict[str, Future] = {}
        self.results: deque[RefreshResult] = deque(maxlen=keep_results)
        self._lock = threading.Lock()
        self._last_problems: str | None = None

    def current_recipes(self) -> Mapping[str, Recipe]:
        """The recipes that load now (the problems of the others are logged once)."""
        try:
            loaded = self.load_recipes()
        except ConfigProblems as exc:
            self._log_problems(str(exc), "catalog cannot be read; no refresh runs until fixed")
            return {}
        if isinstance(loaded, Catalog):
            problems = "\n".join(map(str, loaded.problems))
            self._log_problems(problems, "recipes with problems are not refreshed until fixed")
            return loaded.recipes
        self._last_problems = None
        return loaded

    def _log_problems(self, problems: str, what: str) -> None:
        """Log the problems once, not at every tick; forget them once they are gone."""
        if problems and problems != self._last_problems:
            log.error("%s:\n%s", what, problems)
        self._last_problems = problems or None

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
        recipes = self.current_recipes()
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
    parsed again, a recipe with problems is not run until fixed). `check`: raise
    ConfigProblems now if the catalog folder cannot be read (a command refuses to start)."""
    parsed = RecipeCache()
    if check:
        read_catalog(settings.catalog_dir, parsed)
    return ScheduleRunner(lambda: read_catalog(settings.catalog_dir, parsed),
                          RefreshEnv.from_settings(settings), progress=progress)


def scheduled(runner: ScheduleRunner) -> list[str]:
    """The datasets with a schedule, as the runner's catalog has them now."""
    return sorted(d for d, r in runner.current_recipes().items() if r.schedule)
