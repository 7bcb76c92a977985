"""The pipeline side of `agora refresh`, `agora refresh --watch` and `agora status`.

`cmd_refresh` and `cmd_status` are what hub/cli/main.py dispatches to; each returns the exit code
(0 ok, 1 a refresh failed, 2 a configuration problem, an unknown dataset or an unreachable
Dask scheduler). A recipe that does not load fails alone: its problems are printed, its
dataset counts as failed (1) and the others refresh. ConfigProblems (a catalog folder that
cannot be read) propagate to the CLI, which prints one line per problem.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Sequence

from ..config.loading import load_settings
from ..config.problems import ConfigProblems
from ..demo_data.bootstrap import missing_demo_sources_note
from ..pipeline.dask_batch import DaskUnavailable
from ..pipeline.deps import UnknownDataset
from ..pipeline.recipe import read_catalog
from ..pipeline.recipe_validation import suggest
from ..pipeline.refresh import RefreshEnv, refresh_catalog, wanted_broken
from ..pipeline.schedule import runner_from_settings, scheduled
from ..pipeline.store import SnapshotStore, open_store
from .refresh_output import printer, results_table, status_record, status_table


def refresh_command(settings, datasets: Sequence[str], accept_shrink: bool = False) -> int:
    """Refresh now, printing one line per step and a final table; 1 if any failed.
    `accept_shrink`: the named datasets may shrink past refresh.max_shrink_fraction."""
    if accept_shrink and not datasets:
        print("agora refresh: --accept-shrink needs the datasets whose shrink you accept: "
              "agora refresh DATASET --accept-shrink", file=sys.stderr)
        return 2
    catalog = read_catalog(settings.catalog_dir)
    env = RefreshEnv.from_settings(settings)
    try:
        results = refresh_catalog(catalog, env, datasets or None, printer(),
                                  accept_shrink=set(datasets) if accept_shrink else ())
    except (UnknownDataset, DaskUnavailable) as exc:
        print(f"agora refresh: {exc}", file=sys.stderr)
        return 2
    print()
    print(results_table(results))
    print_problems(catalog, datasets)
    failed = [r.dataset for r in results if r.failed]
    note = missing_demo_sources_note(settings, catalog.recipes, results)
    if note:
        print(f"\nagora refresh: {note}", file=sys.stderr)
    if failed:
        print(f"\nagora refresh: {len(failed)} failed ({', '.join(failed)}); their current "
              f"snapshots were kept. `agora status {failed[0]}` shows the whole error.",
              file=sys.stderr)
    return 1 if failed else 0


def print_problems(catalog, datasets: Sequence[str]) -> None:
    """Every problem of the broken recipes refreshed (all, or those named and what they read);
    when refreshing all, also the problems that are no recipe's (plugins left out)."""
    problems = catalog.problems_of(wanted_broken(catalog, datasets or None))
    if not datasets:
        problems = catalog.others + problems
    if problems:
        print(file=sys.stderr)
    for problem in problems:
        print(problem, file=sys.stderr)


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    return stop


def watch_command(settings, poll_seconds: float = 30.0) -> int:
    """Run the schedules in the foreground until Ctrl-C / SIGTERM."""
    runner = runner_from_settings(settings, progress=printer())  # no catalog folder: exit 2
    datasets = scheduled(runner)
    print(f"agora refresh --watch: {len(datasets)} scheduled dataset(s) "
          f"({', '.join(datasets) or 'none'}); Ctrl-C to stop", flush=True)
    runner.run(_stop_on_signals(), poll_seconds)
    return 0


def status_command(settings, named: Sequence[str] = ()) -> int:
    """Print the status table of every dataset with a recipe or a snapshot, or the whole
    record of the datasets `named`."""
    store = open_store(settings)
    try:
        catalog = read_catalog(settings.catalog_dir)
        recipes, problems = [*catalog.recipes, *catalog.broken], catalog.problems
    except ConfigProblems as exc:
        catalog, recipes, problems = None, [], exc.problems
    if problems:
        print(f"warning: the catalog has {len(problems)} problem(s); run `agora check`",
              file=sys.stderr)
    datasets = sorted(set(recipes) | set(store.datasets()))
    unknown = [name for name in named if name not in datasets]
    if unknown:
        print(f"agora status: unknown dataset {unknown[0]!r}: {suggest(unknown[0], datasets)}",
              file=sys.stderr)
        return 2
    if named:
        print("\n\n".join(status_record(store, name, served=served(catalog, store, name))
                          for name in dict.fromkeys(named)))
        return 0
    print(status_table(store, datasets) if datasets else "no datasets yet")
    return 0


def served(catalog, store: SnapshotStore, dataset: str) -> str:
    """Whether the datasets service serves `dataset` (as `agora status DATASET` says it)."""
    if catalog is None:
        return "no: the catalog folder cannot be read (agora check)"
    if dataset in catalog.broken:
        return "no: its recipe does not load, so its snapshots are kept but not served (agora check)"
    if dataset not in catalog.recipes:
        return "no: it has no recipe any more (its snapshots are kept)"
    if store.current(dataset) is None:
        return f"no: no snapshot yet (agora refresh {dataset})"
    return "yes"


def cmd_refresh(args) -> int:
    """Refresh datasets now (all, or those named), or run their schedules with --watch."""
    from ..demo_data.bootstrap import demo_environment, write_missing_demo_sources

    settings = load_settings(args.config)
    demo_environment(settings, os.environ)  # demo mode: the demo sources' variables and key
    write_missing_demo_sources(settings)  # demo mode, before the first `agora up`
    if args.watch:
        return watch_command(settings)
    return refresh_command(settings, args.datasets, args.accept_shrink)


def cmd_status(args) -> int:
    """Show each dataset's current version, rows, age and last refresh result, or the whole
    record of the datasets named."""
    return status_command(load_settings(args.config), args.datasets)
