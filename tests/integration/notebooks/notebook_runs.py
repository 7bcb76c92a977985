"""Running a notebook in a user's workspace kernel, and the policy's answer without the service.

:func:`run_notebook` feeds every code cell of a notebook, in order, to a fresh kernel of the
user's own single-user server (tests/support.py's WorkspaceKernel: the Jupyter Server REST API
and the kernel websocket, as JupyterLab does), then runs a probe in the same kernel and reads
the JSON it prints. :class:`Policy` computes what each user may read from the recipes, the
hub's groups and the snapshot files (tests/access_oracle.py), never asking the service.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from tests.access_oracle import CATALOGS, Snapshot, accounts_from_hub, expected_access, oracle_view
from tests.support import WorkspaceKernel, admin_api_token, tagged_result, user_api_token

NOTEBOOKS = Path(__file__).resolve().parents[3] / "notebooks"
USERS = ("analyst", "elu-rivemont", "partner")
CELL_TIMEOUT = 180  # the first cell imports pandas/intake in a cold kernel on a busy machine
ANSI = re.compile(r"\x1b\[[0-9;]*m")  # IPython colours its tracebacks
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
STATE_TAG = "NOTEBOOK-STATE"


def code_cells(path: Path) -> list[str]:
    cells = json.loads(path.read_text())["cells"]
    return ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]


@dataclass
class NotebookRun:
    executions: list  # (source, Execution) per code cell run, in order
    state: dict | None  # what the probe printed; None when a cell failed

    def failure(self) -> str | None:
        """The failed cell and its traceback, or None."""
        for source, execution in self.executions:
            if execution.error:
                return source + "\n" + ANSI.sub("", "\n".join(execution.error["traceback"]))
        return None

    def stderr_tracebacks(self) -> list[str]:
        return [o["text"] for _, e in self.executions for o in e.outputs
                if o["output_type"] == "stream" and o["name"] == "stderr" and "Traceback" in o["text"]]

    def shows_widget(self, count: int) -> bool:
        """Whether the code cell run `count`-th (1-based) shows an ipywidget."""
        return bool(self.executions[count - 1][1].data(WIDGET_MIME))


def run_notebook(agora, session, user: str, path: Path, probe: str) -> NotebookRun:
    """Every code cell of `path` in a fresh kernel of `user`'s workspace, then `probe`, which
    must print ``NOTEBOOK-STATE <json>``; cells stop at the first error, as nbclient does."""
    token = user_api_token(session, agora.url, user, f"{path.stem} test")
    with WorkspaceKernel(agora.url, user, token, timeout=CELL_TIMEOUT) as kernel:
        executions = []
        for source in code_cells(path):
            executions.append((source, kernel.execute(source)))
            if executions[-1][1].error:
                return NotebookRun(executions, None)
        result = kernel.execute(probe, store_history=False)
        assert not result.error, ANSI.sub("", "\n".join(result.error["traceback"]))
        return NotebookRun(executions, tagged_result(result.text, STATE_TAG))


class Policy:
    """The policy's answer for each user and dataset, computed without the service."""

    def __init__(self, agora, users):
        admin = admin_api_token(agora, "notebook tests")
        self.accounts = accounts_from_hub(agora, admin, users)
        self.recipes = {p.stem: yaml.safe_load(p.read_text())
                        for p in sorted(CATALOGS.glob("*.yaml"))}
        self.store = agora.data_dir / "store"
        self._snapshots: dict = {}
        self._views: dict = {}

    def expected(self, user: str, dataset: str):
        return expected_access(self.accounts[user], self.recipes[dataset].get("access"))

    def readable(self, user: str) -> list[str]:
        return sorted(d for d in self.recipes if self.expected(user, d).allowed)

    def snapshot(self, dataset: str) -> Snapshot:
        if dataset not in self._snapshots:
            self._snapshots[dataset] = Snapshot(self.store, dataset)
        return self._snapshots[dataset]

    def view(self, user: str, dataset: str):
        if (user, dataset) not in self._views:
            # pseudonymised values are not compared here: any key will do
            self._views[user, dataset] = oracle_view(self.snapshot(dataset),
                                                     self.expected(user, dataset), b"unused")
        return self._views[user, dataset]

    def frame(self, user: str, dataset: str) -> pd.DataFrame:
        """The snapshot's rows `user` may read, as pandas (row rules applied, hidden columns
        dropped), to recompute a notebook's figures with plain pandas."""
        expected = self.expected(user, dataset)
        assert expected.allowed, f"{user} may not read {dataset}"
        frame = self.snapshot(dataset).frame
        for column, values in expected.row_filters:
            frame = frame[frame[column].astype(str).isin(values)]
        return frame.drop(columns=sorted(expected.hidden & set(frame.columns)))
