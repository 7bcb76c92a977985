"""Step 1 of a report: execute the template with Papermill in a subprocess of its own.

Papermill has no environment parameter, so the run's environment is that of a subprocess
(hub/reports/papermill_run.py), which its kernel inherits: exactly the caller's `env` (the
recipient's token, the datasets URL, ...) plus a few harmless basics, with
``AGORA_WIDGETS_MODE=static``. A last cell, added by the runner and never printed, reports
which snapshot of which dataset the kernel read (widgets.lineage).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import nbformat

import widgets

from .failure import ReportFailed, cell_failed, redact
from .marks import LINEAGE_TAG, PROGRESS

log = logging.getLogger("agora.reports")
LINEAGE_MIME = "application/vnd.agora.lineage+json"
LINEAGE_CELL = f"""\
from IPython.display import display as _agora_display
from widgets.lineage import used as _agora_used
_agora_display({{"{LINEAGE_MIME}": _agora_used()}}, raw=True)"""
PASSED_THROUGH = ("PATH", "LANG", "TZ")  # harmless basics, when the runner has them
KERNEL_START_SECONDS = 60  # papermill's start_timeout


@dataclass(frozen=True)
class Executed:
    notebook: Path
    lineage: dict[str, tuple[str, ...]]


def import_path() -> str:
    """PYTHONPATH for the subprocess: the runner's own `hub`/`widgets` first, then its own."""
    own = str(Path(widgets.__file__).resolve().parents[1])
    inherited = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    return os.pathsep.join(dict.fromkeys([own, *inherited]))


def run_environment(env: Mapping[str, str], home: Path, locale: str | None) -> dict[str, str]:
    """`env` plus PATH, LANG, TZ, PYTHONPATH and a fresh HOME; widgets static, in `locale`."""
    basics = {name: os.environ[name] for name in PASSED_THROUGH if os.environ.get(name)}
    basics.setdefault("PATH", os.defpath)
    basics.setdefault("LANG", "C.UTF-8")
    forced = {"AGORA_WIDGETS_MODE": "static", "HOME": str(home), "PYTHONPATH": import_path(),
              "JUPYTER_PLATFORM_DIRS": "1"}
    return {**basics, **env, **forced, **({"AGORA_LOCALE": locale} if locale else {})}


def with_lineage_cell(template: Path, out: Path) -> Path:
    """The template plus the runner's lineage cell, written to `out`."""
    nb = nbformat.read(template, as_version=4)
    cell = nbformat.v4.new_code_cell(LINEAGE_CELL)
    cell.metadata["tags"] = [LINEAGE_TAG]
    nb.cells.append(cell)
    nbformat.write(nb, out)
    return out


def lineage_of(notebook) -> dict[str, tuple[str, ...]]:
    for cell in reversed(notebook.cells):
        if LINEAGE_TAG in cell.metadata.get("tags", []):
            for output in cell.get("outputs", []):
                if LINEAGE_MIME in output.get("data", {}):
                    found = output["data"][LINEAGE_MIME]
                    return {name: tuple(versions) for name, versions in found.items()}
    return {}


def follow(proc: subprocess.Popen, progress: Callable[[str], None]) -> None:
    """Turn the subprocess's progress lines into readable steps, until it closes stdout."""
    for line in proc.stdout:
        if line.startswith(PROGRESS):
            step = json.loads(line[len(PROGRESS):])
            progress(f"running cell {step['cell']} of {step['cells']}")
        elif line.strip():
            log.debug("report run: %s", line.rstrip())


def spawn(spec: Path, env: dict[str, str], stderr: Path) -> subprocess.Popen:
    with open(stderr, "w") as errors:
        return subprocess.Popen([sys.executable, "-m", "hub.reports.papermill_run", str(spec)],
                                env=env, stdout=subprocess.PIPE, stderr=errors, text=True,
                                stdin=subprocess.DEVNULL, cwd=env["HOME"])


def run_to_the_end(proc: subprocess.Popen, limit: float, progress) -> int:
    """Follow `proc` until it exits; killed after `limit` seconds (a hung papermill: cells
    have their own timeout) or if the caller is interrupted. Its exit status."""
    timer = threading.Timer(limit, proc.kill)
    timer.start()
    try:
        follow(proc, progress)
        return proc.wait()
    finally:
        timer.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def execute(template: Path, parameters: dict, env: Mapping[str, str], folder: Path, *,
            locale: str | None, cell_timeout: int,
            progress: Callable[[str], None]) -> Executed:
    """Run `template` with `parameters` in `folder` (fresh, removed by the caller)."""
    home = folder / "home"
    home.mkdir(mode=0o700)
    source = with_lineage_cell(template, folder / "input.ipynb")
    spec = {"input": str(source), "output": str(folder / "output.ipynb"), "cwd": str(home),
            "outcome": str(folder / "outcome.json"), "parameters": parameters,
            "cell_timeout": cell_timeout}
    (folder / "spec.json").write_text(json.dumps(spec))
    run_env = run_environment(env, home, locale)
    proc = spawn(folder / "spec.json", run_env, folder / "stderr.txt")
    cells = len(nbformat.read(source, as_version=4).cells)
    status = run_to_the_end(proc, KERNEL_START_SECONDS + cell_timeout * cells + 30, progress)
    return finished(template, status, folder, run_env, cell_timeout)


def finished(template: Path, returncode: int, folder: Path, env: dict[str, str],
             cell_timeout: int) -> Executed:
    """The executed notebook, or ReportFailed saying why there is none."""
    outcome_file = folder / "outcome.json"
    stderr = redact((folder / "stderr.txt").read_text(errors="replace")[-4000:], env)
    if not outcome_file.exists():
        reason = (f"the run was stopped (exit status {returncode}) before it finished"
                  if returncode else "the run ended without saying how")
        raise ReportFailed(template.name, reason, details=stderr)
    outcome = json.loads(outcome_file.read_text())
    if not outcome["ok"]:
        failed = cell_failed(template.name, outcome, env, cell_timeout)
        log.warning("%s\n%s\n%s", failed, failed.details, stderr)
        raise failed
    notebook = nbformat.read(folder / "output.ipynb", as_version=4)
    return Executed(folder / "output.ipynb", lineage_of(notebook))
