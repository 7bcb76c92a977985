"""One report run: a token of its run-as user, a worker process, a PDF in the archive.

:meth:`Executor.execute` does, for one claimed run:

1. lease a short-lived token of the run's user (tokens.py), deleted at the end;
2. start ``python -m hub.reports.worker`` in a new session, in a fresh staging folder, with
   ONLY :func:`run_environment` (that token, the datasets URL, the language, PATH...): the
   scheduler's own token, the recipes' secrets and the pseudonym key never reach a report;
3. relay its progress lines, stop it (its whole process group) after
   ``reports.run_timeout_seconds``;
4. after a clean exit only, move the PDF into the archive with one rename
   (``archive/<schedule>/<period>/<recipient>.pdf``), or upload it to the object store
   (archive.py): a run killed mid-way leaves at most a file in its staging folder, which is
   removed, and never a partial PDF in the archive.

It returns an :class:`Outcome`; the scheduler records it, retries or gives up. `agora report
run` uses the same executor. With ``batch.dask_scheduler`` set, step 2 and 3 run on a Dask
worker instead (dask_executor.py); steps 1 and 4 stay here.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import signal
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from .schedules import template_path
from .store import Run
from .tokens import HubError
from .worker import EXIT_CRASH

log = logging.getLogger("agora.reports")
PASSED_THROUGH = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "HOME", "TMPDIR", "PYTHONPATH")
STDERR_KEPT = 20_000
Progress = Callable[[Run, str], None]


@dataclass(frozen=True)
class Outcome:
    ok: bool
    error: str | None = None
    permanent: bool = False  # retrying cannot help (no template, no right to act as the user)
    pdf: str | Path | None = None  # where the archive keeps it (Archive.publish)
    pages: int | None = None
    lineage: list = field(default_factory=list)
    ran_on: str | None = None  # "<Dask worker address> pid <pid>"; None: here


class Archive:
    """``<reports_dir>/archive`` (the PDFs kept) and ``staging`` (runs in progress)."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.archive = self.root / "archive"
        self.staging = self.root / "staging"

    def path_for(self, run: Run) -> Path:
        recipient = quote(run.recipient, safe="@.-_+")
        return self.archive / run.schedule / run.period / f"{recipient}.pdf"

    def staging_for(self, run: Run) -> Path:
        return self.staging / f"run-{run.id}-attempt-{run.attempts}"

    def fresh_staging(self, run: Run) -> Path:
        folder = self.staging_for(run)
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(mode=0o700, parents=True)
        return folder

    def publish(self, staged: Path, run: Run) -> Path:
        """Move a finished PDF into the archive in one rename (same file system)."""
        target = self.path_for(run)
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.replace(staged, target)
        return target

    def read(self, pdf: str | Path) -> bytes:
        """An archived PDF's bytes (OSError when it is gone or not in the archive)."""
        if self.archive not in Path(pdf).parents:
            raise FileNotFoundError(f"{pdf}: not in the archive {self.archive}")
        return Path(pdf).read_bytes()

    def pdfs(self) -> list[str]:
        """Every archived PDF, sorted."""
        return sorted(str(path) for path in self.archive.rglob("*.pdf"))

    def remove(self, pdf: str | Path | None) -> None:
        """Delete an archived PDF and the folders it leaves empty."""
        if not pdf:
            return
        path = Path(pdf)
        if self.archive not in path.parents:
            return  # never outside the archive, whatever the store says
        path.unlink(missing_ok=True)
        for folder in (path.parent, path.parent.parent):
            try:
                folder.rmdir()
            except OSError:
                break

    def clear_staging(self) -> None:
        """At start: what runs of a dead scheduler left behind."""
        shutil.rmtree(self.staging, ignore_errors=True)


def run_facts(token: str, datasets_url: str, language: str, run: Run) -> dict[str, str]:
    """The run's own variables: its token, where the data is, its language and names."""
    return dict(AGORA_TOKEN=token, AGORA_DATASETS_URL=datasets_url, AGORA_LOCALE=language,
                AGORA_WIDGETS_MODE="static",  # widgets print (docs/user-guide.md)
                AGORA_REPORT_SCHEDULE=run.schedule, AGORA_REPORT_PERIOD=run.period,
                AGORA_REPORT_RECIPIENT=run.recipient)


def run_environment(base: Mapping[str, str], facts: Mapping[str, str]) -> dict[str, str]:
    """Everything a report process sees: a few system variables of `base` and the facts."""
    return {**{name: base[name] for name in PASSED_THROUGH if name in base}, **facts}


def exit_reason(code: int, run_id: int) -> str:
    if code < 0:
        name = signal.Signals(-code).name if -code in signal.valid_signals() else str(-code)
        return f"the report process was stopped by {name} before it finished"
    if code == EXIT_CRASH:
        return f"the report process crashed (details in the scheduler's log, run {run_id})"
    return f"the report process ended with status {code} without a result"


@dataclass
class Executor:
    archive: Archive
    templates_dir: Path
    tokens: object  # async lease(user, seconds, note) -> token (tokens.HubAPI)
    datasets_url: str
    renderer: str = "hub.reports.render:render_report"
    run_timeout: int = 1800
    cell_timeout: int = 300
    base_environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    on_worker: Callable[[int, int | None], None] = lambda run_id, pid: None
    refused: str = "check reports.run_as_groups"  # said when the hub refuses a token

    async def execute(self, run: Run, language: str, progress: Progress | None = None) -> Outcome:
        template = template_path(self.templates_dir, run.job["template"])
        if not template.is_file():
            return Outcome(False, f"template {run.job['template']!r} not found in "
                           f"{self.templates_dir}", permanent=True)
        staging = self.archive.fresh_staging(run)
        try:
            async with self.tokens.lease(run.recipient, self.run_timeout,
                                         f"report run {run.key}") as token:
                facts = run_facts(token, self.datasets_url, language, run)
                return await self._render(run, template, staging, facts, progress)
        except HubError as exc:
            if exc.permanent:
                return Outcome(False, f"the hub refused a token to run as {run.recipient} "
                               f"({exc}): {self.refused}", permanent=True)
            return Outcome(False, str(exc))
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def close(self) -> None:
        """Nothing to release here (a Dask executor closes its client)."""

    def job_for(self, run: Run, template: Path, staging: Path) -> dict:
        """What hub.reports.worker reads: the renderer, the template, where the PDF goes."""
        return {"renderer": self.renderer, "template": str(template),
                "parameters": run.job.get("parameters", {}),
                "out_pdf": str(staging / "report.pdf"), "cell_timeout": self.cell_timeout}

    async def _render(self, run: Run, template: Path, staging: Path, facts: dict,
                      progress: Progress | None) -> Outcome:
        code, events = await run_worker(
            self.job_for(run, template, staging), staging,
            run_environment(self.base_environ, facts), self.run_timeout,
            relay(run, progress), lambda pid: self.on_worker(run.id, pid))
        return self._outcome(run, code, events, staging)

    def _outcome(self, run: Run, code: int | None, events: dict, staging: Path) -> Outcome:
        """What a worker's exit status (None: stopped at the timeout) and events mean; the PDF
        in `staging` goes into the archive after a clean exit only."""
        if code is None:
            return Outcome(False, f"the run took longer than {self.run_timeout} s "
                           "(reports.run_timeout_seconds) and was stopped")
        if code == 0 and "result" in events:
            pdf = self.archive.publish(staging / "report.pdf", run)
            result = events["result"]
            return Outcome(True, pdf=pdf, pages=result.get("pages"),
                           lineage=result.get("lineage") or [])
        if "failed" in events:
            return Outcome(False, str(events["failed"]))
        if events.get("stderr"):
            log.error("report run %s (%s) crashed:\n%s", run.id, run.key, events["stderr"])
        return Outcome(False, exit_reason(code, run.id))


def relay(run: Run, progress: Progress | None) -> Callable[[str], None]:
    return (lambda message: None) if progress is None else (lambda message: progress(run, message))


async def run_worker(job: dict, staging: Path, env: dict[str, str], timeout: float,
                     say: Callable[[str], None],
                     on_pid: Callable[[int | None], None]) -> tuple[int | None, dict]:
    """Run ``python -m hub.reports.worker`` on `job` in `staging` with exactly `env`, its
    progress lines to `say`; (exit status, its other events). The status is None when it was
    stopped (its whole process group) after `timeout` seconds."""
    (staging / "job.json").write_text(json.dumps(job), encoding="utf-8")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hub.reports.worker", str(staging / "job.json"), env=env,
        cwd=staging, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, start_new_session=True)
    on_pid(proc.pid)
    events: dict = {}
    try:
        await asyncio.wait_for(follow(proc, events, say), timeout)
    except TimeoutError:
        kill_group(proc.pid)
        await proc.wait()
        return None, events
    finally:
        kill_group(proc.pid)  # what the worker started and left (it is gone by now)
        proc.stdin.close()
        on_pid(None)
    return proc.returncode, events


async def follow(proc, events: dict, say: Callable[[str], None]) -> None:
    stderr = asyncio.ensure_future(proc.stderr.read())
    async for line in proc.stdout:
        try:
            event = json.loads(line)
        except ValueError:
            continue  # a renderer's stray print: not ours to interpret
        if "progress" in event:
            say(str(event["progress"]))
        events.update({k: v for k, v in event.items() if k != "progress"})
    await proc.wait()
    events["stderr"] = (await stderr)[-STDERR_KEPT:].decode(errors="replace")


def kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
