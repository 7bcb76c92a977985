"""The subprocess of a report run: Papermill executes the notebook, this module reports.

``python -m hub.reports.papermill_run SPEC.json`` runs with the run's own environment (the
recipient's token, static widgets) and its kernel inherits it. It prints one line
``agora-progress {"cell": n, "cells": total}`` on stdout as each cell starts, and writes an
outcome file: ``{"ok": true}``, or the failed cell (numbered as in the template, from 1), the
error's name and message and the traceback (for the log). When its parent dies, it removes
the run folder and exits.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import threading
import time
import traceback
from pathlib import Path

from hub.reports.marks import INJECTED, LINEAGE_TAG, PROGRESS


def template_cells(cells: list) -> list[int]:
    """Indexes of the cells that come from the template (not papermill's nor ours)."""
    return [i for i, cell in enumerate(cells)
            if not {INJECTED, LINEAGE_TAG} & set(cell.get("metadata", {}).get("tags", []))]


def where(cells: list, index: int) -> dict:
    """The cell at `index` as the template's author numbers it, and its first line."""
    numbered, source = template_cells(cells), cells[index].get("source", "")
    number = numbered.index(index) + 1 if index in numbered else None
    first = next((line.strip() for line in source.splitlines() if line.strip()), "")
    return {"cell": number, "cells": len(numbered), "source": first}


_started: dict = {}  # the cells being run (papermill's error cells come later), the last one started


def failure(exc: BaseException) -> dict:
    """The outcome of a failed run: which cell, what error, and the traceback for the log."""
    from papermill.exceptions import PapermillExecutionError, strip_color

    found = {"ok": False, "ename": type(exc).__name__, "evalue": str(exc).strip(),
             "traceback": "".join(traceback.format_exception(exc))}
    index = _started.get("index")
    if isinstance(exc, PapermillExecutionError):
        index = exc.cell_index
        found.update(ename=exc.ename, evalue=exc.evalue,
                     traceback=strip_color("\n".join(exc.traceback)))
    return found | (where(_started["cells"], index) if index is not None else {})


def announce(nb_man) -> None:
    """Note each cell papermill starts; print a progress line for the template's cells."""
    _started["cells"] = list(nb_man.nb.cells)
    start, cells = nb_man.cell_start, template_cells(_started["cells"])

    def cell_start(cell, cell_index=None, **kwargs):
        _started["index"] = cell_index
        if cell_index in cells:
            line = {"cell": cells.index(cell_index) + 1, "cells": len(cells)}
            print(PROGRESS + json.dumps(line), flush=True)
        return start(cell, cell_index, **kwargs)

    nb_man.cell_start = cell_start


def register_engine() -> str:
    from papermill.engines import NBClientEngine, papermill_engines

    class ReportEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, **kwargs):
            announce(nb_man)
            return super().execute_managed_notebook(nb_man, kernel_name, **kwargs)

    papermill_engines.register("agora-report", ReportEngine)
    return "agora-report"


def exit_with_parent(folder: Path) -> None:
    """When the runner dies: remove its run folder (the notebook holds a person's data) and
    stop, which stops the kernel too (it watches this process)."""
    parent = os.getppid()

    def watch():
        while os.getppid() == parent:
            time.sleep(0.5)
        shutil.rmtree(folder, ignore_errors=True)
        os._exit(70)

    threading.Thread(target=watch, daemon=True).start()


def run(spec: dict) -> dict:
    import papermill

    try:
        papermill.execute_notebook(
            spec["input"], spec["output"], parameters=spec["parameters"],
            engine_name=register_engine(), kernel_name=spec.get("kernel", "python3"),
            execution_timeout=spec["cell_timeout"], progress_bar=False, log_output=False,
            cwd=spec["cwd"])
    except Exception as exc:  # noqa: BLE001 (every failure becomes an outcome to report)
        return failure(exc)
    return {"ok": True}


def main(argv: list[str]) -> int:
    exit_with_parent(Path(argv[0]).parent)
    spec = json.loads(Path(argv[0]).read_text())
    outcome = run(spec)
    Path(spec["outcome"]).write_text(json.dumps(outcome))
    return 0 if outcome["ok"] else 1


if __name__ == "__main__":
    from hub.lifecycle import exit_now
    from hub.reports.process import skip_uri_grammar

    skip_uri_grammar()
    exit_now(main(sys.argv[1:]))
