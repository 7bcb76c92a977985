"""20 per-recipient PDFs: Agora's report executor vs a bare papermill + nbconvert + WeasyPrint loop.

ONE real `agora up` on the demo data; the template is report_templates/territory-digest.ipynb
(it reads eight datasets), period 2025-W48; the 20 recipients alternate between the two demo
officials (elu-rivemont in French, elu-bellecombe in English), each run with a token of its
official that can only reach the datasets service, minted once before timing. Both sides run
two reports at a time (the machine's two cores):

- bare: per report, `papermill` (its kernel reads with the token), `jupyter nbconvert --to html
  --no-input`, `weasyprint`, three commands one after the other, each in its own session (as
  the executor's workers are: Linux gives each session its own share of the CPU);
- agora: hub/reports/executor.Executor.execute, what the scheduler and `agora report run` do:
  a worker process per run (papermill in a subprocess, nbconvert, WeasyPrint, the title page,
  the lineage cell), the PDF moved into an archive.

Prints each side's wall time, CPU seconds of the processes it started, peak memory (the sum
of the RSS of every process it started, sampled every 0.2 s) and the ratios agora/bare.
Rounds alternate bare/agora. Usage: PYTHONPATH=. python bench/reports.py [--rounds 1] [--runs 20]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

import psutil
import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from hub.reports.executor import Archive, Executor  # noqa: E402
from hub.reports.period import parse_period  # noqa: E402
from hub.reports.store import Run  # noqa: E402
from tests.support import login_form, running_agora, xsrf_header  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
TEMPLATE = REPO / "report_templates" / "territory-digest.ipynb"
PERIOD = "2025-W48"
OFFICIALS = {"elu-rivemont": "fr", "elu-bellecombe": "en"}
BIN = Path(sys.executable).parent
PARALLEL = 2


def data_token(hub_url: str, user: str) -> str:
    session = requests.Session()
    login_form(session, hub_url, user, "demo")
    made = session.post(f"{hub_url}hub/api/users/{user}/tokens", headers=xsrf_header(session),
                        json={"note": "bench reports", "expires_in": 3600,
                              "scopes": ["access:services!service=datasets"]}, timeout=30)
    made.raise_for_status()
    return made.json()["token"]


class PeakMemory:
    """The largest sum of RSS over this process's descendants, except `excluded`'s tree."""

    def __init__(self, excluded: int):
        self.excluded, self.peak, self._stop = excluded, 0, threading.Event()

    def sample(self) -> int:
        me, total = psutil.Process(), 0
        skip = {self.excluded} | {p.pid for p in psutil.Process(self.excluded).children(True)}
        for child in me.children(recursive=True):
            if child.pid not in skip:
                with contextlib.suppress(psutil.Error):
                    total += child.memory_info().rss
        return total

    def __enter__(self):
        def watch():
            while not self._stop.wait(0.2):
                self.peak = max(self.peak, self.sample())
        self._thread = threading.Thread(target=watch, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def recipients(count: int) -> list[str]:
    users = list(OFFICIALS)
    return [users[i % len(users)] for i in range(count)]


def bare_one(index: int, user: str, env: dict, folder: Path) -> None:
    period = parse_period(PERIOD)
    out = folder / f"{index:02d}-{user}"
    steps = [
        [str(BIN / "papermill"), str(TEMPLATE), f"{out}.ipynb", "--no-progress-bar",
         "-p", "period", PERIOD, "-p", "period_start", period.start.isoformat(),
         "-p", "period_end", period.end.isoformat(), "-p", "locale", OFFICIALS[user],
         "-p", "recipient", user],
        [str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", f"{out}.ipynb"],
        [str(BIN / "weasyprint"), f"{out}.html", f"{out}.pdf"],
    ]
    for step in steps:
        subprocess.run(step, env=env, cwd=folder, check=True, capture_output=True,
                       start_new_session=True)


def run_bare(users: list[str], tokens: dict, datasets_url: str, folder: Path) -> None:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AGORA_", "JUPYTERHUB_"))}

    def one(job):
        index, user = job
        env = {**base, "AGORA_TOKEN": tokens[user], "AGORA_DATASETS_URL": datasets_url,
               "AGORA_WIDGETS_MODE": "static", "AGORA_LOCALE": OFFICIALS[user],
               "PYTHONPATH": str(REPO)}
        bare_one(index, user, env, folder)

    with ThreadPoolExecutor(PARALLEL) as pool:
        list(pool.map(one, enumerate(users)))


class PremintedTokens:
    """The executor's token lease with the tokens minted before timing (a lease costs one
    hub API call; the bare loop gets its tokens the same way)."""

    def __init__(self, tokens: dict):
        self.tokens = tokens

    @contextlib.asynccontextmanager
    async def lease(self, user: str, seconds: int, note: str):
        yield self.tokens[user]


def a_run(index: int, user: str) -> Run:
    now = datetime.now(timezone.utc)
    # a schedule per run: the archive keeps one PDF per schedule, period and recipient
    return Run(id=index, schedule=f"bench-{index:02d}", period=PERIOD, recipient=user,
               run_as="recipient", owner="scheduler", audience=(user,), job={
                   "template": "territory-digest", "parameters": {"period": PERIOD,
                                                                  "recipient": user}},
               status="running", attempts=1, max_attempts=1, not_before=now, error=None,
               pdf=None, pages=None, lineage=[], delivery=None, delivery_error=None,
               delivery_attempts=0, sent=(), worker_pid=None, created_at=now, started_at=now,
               finished_at=None)


def run_batch(executor: Executor, users: list[str], parallel: int = PARALLEL) -> None:
    """One report per entry of `users` through `executor`, `parallel` at a time."""
    async def batch():
        limit = asyncio.Semaphore(parallel)

        async def one(index, user):
            async with limit:
                outcome = await executor.execute(a_run(index, user), OFFICIALS[user])
                if not outcome.ok:
                    raise RuntimeError(f"report {index} for {user}: {outcome.error}")
        await asyncio.gather(*(one(i, u) for i, u in enumerate(users)))
    asyncio.run(batch())


def run_agora(users: list[str], tokens: dict, datasets_url: str, folder: Path) -> None:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AGORA_", "JUPYTERHUB_"))}
    base["PYTHONPATH"] = str(REPO)
    run_batch(Executor(Archive(folder), TEMPLATE.parent, PremintedTokens(tokens), datasets_url,
                       base_environ=base), users)


def measure(side, users, tokens, datasets_url, agora_pid) -> dict:
    with tempfile.TemporaryDirectory(prefix=f"bench-reports-{side.__name__}-") as folder:
        cpu, started = children_cpu(), time.monotonic()
        with PeakMemory(agora_pid) as memory:
            side(users, tokens, datasets_url, Path(folder))
        wall = time.monotonic() - started
        pdfs = list(Path(folder).rglob("*.pdf"))
        assert len(pdfs) == len(users), f"{side.__name__}: {len(pdfs)} PDFs for {len(users)}"
    return {"wall": wall, "cpu": children_cpu() - cpu, "peak": memory.peak / 2**20}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    users = recipients(args.runs)
    with tempfile.TemporaryDirectory(prefix="bench-reports-") as root, \
            running_agora(Path(root) / "agora") as agora:
        tokens = {user: data_token(agora.url, user) for user in OFFICIALS}
        datasets_url = f"{agora.url}services/datasets/"
        results = {"bare": [], "agora": []}
        for round_ in range(1, args.rounds + 1):
            for name, side in (("bare", run_bare), ("agora", run_agora)):
                result = measure(side, users, tokens, datasets_url, agora.proc.pid)
                results[name].append(result)
                print(f"round {round_} {name:5}: {result['wall']:6.1f} s wall, "
                      f"{result['cpu']:6.1f} CPU s, peak {result['peak']:5.0f} MiB", flush=True)
    best = {name: min(rounds, key=lambda r: r["wall"]) for name, rounds in results.items()}
    bare, ours = best["bare"], best["agora"]
    print(f"\n{args.runs} PDFs, {PARALLEL} at a time, best round of {args.rounds}:")
    print(f"  bare loop  {bare['wall']:6.1f} s  {bare['cpu']:6.1f} CPU s  {bare['peak']:5.0f} MiB")
    print(f"  agora      {ours['wall']:6.1f} s  {ours['cpu']:6.1f} CPU s  {ours['peak']:5.0f} MiB")
    print(f"  ratio agora/bare: wall {ours['wall'] / bare['wall']:.2f}x (target <= 1.3x), "
          f"CPU {ours['cpu'] / bare['cpu']:.2f}x, peak memory {ours['peak'] / bare['peak']:.2f}x")


if __name__ == "__main__":
    main()
