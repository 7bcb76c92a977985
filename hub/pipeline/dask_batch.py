"""Run a batch of jobs on a Dask cluster (setting ``batch.dask_scheduler``), one task each.

A job is submitted once the jobs it comes after have finished, whatever their outcome, so
independent jobs run at the same time on the workers. Each job's outcome is kept apart: its
value, or the exception it raised or the cluster gave (a lost worker, a module missing
there), with the worker it ran on. The jobs' callables are sent to the workers (cloudpickle).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from graphlib import TopologicalSorter
from typing import Any

CONNECT_TIMEOUT = "10s"


class DaskUnavailable(RuntimeError):
    """The Dask scheduler cannot be reached (no job was submitted)."""


@dataclass
class Outcome:
    name: str
    value: Any = None
    error: BaseException | None = None  # what the job raised, or why the cluster lost it
    ran_on: str | None = None  # "<worker address> pid <pid>"; None when it never ran


def located(job: Callable[[], Any]) -> tuple[Any, str]:
    """What runs on a worker: the job's value and where it ran."""
    from distributed import get_worker

    return job(), f"{get_worker().address} pid {os.getpid()}"


def connect(address: str):
    try:
        from distributed import Client
    except ImportError:
        raise DaskUnavailable("batch.dask_scheduler is set but dask's `distributed` is not "
                              "installed: pip install 'agora[dask]'") from None
    try:
        return Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise DaskUnavailable(f"cannot reach the Dask scheduler at {address} "
                              f"(batch.dask_scheduler): {exc}") from None


def run_jobs(address: str, jobs: Mapping[str, Callable[[], Any]],
             after: Mapping[str, set[str]], finished: Callable[[Outcome], None]) -> None:
    """Run `jobs` {name: callable} on the cluster at `address`, each once the jobs named in
    ``after[name]`` have finished; `finished` gets each outcome as it comes, in this process.
    """
    from distributed import as_completed

    sorter = TopologicalSorter({name: after.get(name, set()) & set(jobs) for name in jobs})
    sorter.prepare()
    batch, names = uuid.uuid4().hex[:8], {}
    with connect(address) as client:
        def submit_ready() -> list:
            ready = sorter.get_ready()
            futures = [client.submit(located, jobs[name], pure=False, key=f"agora-{name}-{batch}")
                       for name in ready]
            names.update({future.key: name for future, name in zip(futures, ready)})
            return futures

        running = as_completed(submit_ready(), loop=client.loop)
        for future in running:
            finished(outcome(names[future.key], future))
            sorter.done(names[future.key])
            running.update(submit_ready())


def outcome(name: str, future) -> Outcome:
    try:
        value, ran_on = future.result()
    except Exception as exc:
        return Outcome(name, error=exc)
    return Outcome(name, value, ran_on=ran_on)
