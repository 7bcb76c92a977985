"""``python -m hub.reports.worker JOB.json``: one report run's own process.

The executor starts it in a new session with the run's environment only (its short-lived
token, the datasets service's URL, the language: executor.run_environment), never the
scheduler's. It imports the renderer named in the job (``reports.renderer``, module:function,
with the signature of ``hub.reports.render.render_report``), calls it, and tells the executor
what happened, one JSON object per line on stdout::

    {"progress": "executing cell 3/12"}
    {"result": {"pages": 4, "lineage": [...]}}          exit 0
    {"failed": "a message a person can read"}           exit 3 (the renderer's ReportFailed)
    {"failed": "cannot import the renderer ..."}        exit 4
    (nothing)                                           exit 1: a crash, traceback on stderr

Its standard input stays open for as long as the executor lives: when it closes (the
scheduler was killed), the worker kills its whole process group at once, so no orphan keeps
rendering. The PDF is written by the renderer at the job's path, which is in a staging folder:
only the executor moves it into the archive, after a clean exit.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import os
import signal
import sys
import threading
import traceback
from pathlib import Path

EXIT_FAILED, EXIT_NO_RENDERER, EXIT_CRASH = 3, 4, 1


def say(**event) -> None:
    sys.stdout.write(json.dumps(event, default=str) + "\n")
    sys.stdout.flush()


def jsonable(value):
    """Lineage and the like as JSON values (dataclasses, pydantic models, paths...)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return jsonable(dataclasses.asdict(value))
    if hasattr(value, "model_dump"):
        return jsonable(value.model_dump())
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [jsonable(v) for v in value]
    return value if isinstance(value, (str, int, float, bool, type(None))) else str(value)


def die_with_parent() -> None:
    """Kill this process group when stdin closes: the executor that started us is gone."""
    def watch():
        try:
            while os.read(0, 1024):  # the raw descriptor: no buffer lock held at exit
                pass
        finally:
            os.killpg(os.getpgrp(), signal.SIGKILL)
    threading.Thread(target=watch, daemon=True, name="agora-report-watchdog").start()


def load_renderer(spec: str):
    """(render function, exception classes that mean 'a failure a person should read')."""
    module_name, _, name = spec.partition(":")
    module = importlib.import_module(module_name)
    failures = [getattr(module, "ReportFailed", None)]
    try:
        failures.append(importlib.import_module("hub.reports.render").ReportFailed)
    except (ImportError, AttributeError):
        pass
    return getattr(module, name), tuple(f for f in failures if isinstance(f, type))


def progress(event) -> None:
    say(progress=str(getattr(event, "message", event)))


def run(job: dict) -> int:
    try:
        render, failures = load_renderer(job["renderer"])
    except (ImportError, AttributeError, ValueError) as exc:
        say(failed=f"cannot load the report renderer {job['renderer']} ({exc}); check "
                   "reports.renderer")
        return EXIT_NO_RENDERER
    try:
        result = render(Path(job["template"]), job["parameters"], dict(os.environ),
                        Path(job["out_pdf"]), cell_timeout=job["cell_timeout"],
                        progress=progress)
    except failures as exc:
        say(failed=str(exc))
        return EXIT_FAILED
    if not Path(job["out_pdf"]).is_file():
        say(failed="the renderer finished without writing the PDF")
        return EXIT_FAILED
    say(result={"pages": getattr(result, "pages", None),
                "lineage": jsonable(getattr(result, "lineage", []))})
    return 0


def main(argv: list[str]) -> int:
    die_with_parent()
    job = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
    try:
        return run(job)
    except Exception:
        traceback.print_exc()
        return EXIT_CRASH


if __name__ == "__main__":
    from hub.lifecycle import exit_now
    from hub.reports.process import skip_uri_grammar

    skip_uri_grammar()
    exit_now(main(sys.argv))
