"""ReportFailed: why a report could not be made, in words a scheduler can mail to a person.

The message names the template, the cell (numbered from 1, as in the template) and the
error's name and message; the traceback is kept apart (``details``) for the log. Secrets of
the run's environment (its token) are blanked out of both.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSWORD|KEY", re.I)
MESSAGE_LIMIT = 300  # characters of the error's own message kept in the mail
PLAIN = {  # errors whose own message is written for programmers
    "CellTimeoutError": "the cell did not finish within {timeout} s (the cell timeout)",
    "DeadKernelError": "the Python kernel died (out of memory?)",
}


class ReportFailed(RuntimeError):
    """A report run that made no PDF. ``str()`` is the message for a person; ``details`` the
    traceback for the log; ``cell`` the failed cell's number in the template (or None)."""

    def __init__(self, template: str, reason: str, *, cell: int | None = None,
                 error: str | None = None, details: str = ""):
        self.template, self.reason, self.cell, self.error = template, reason, cell, error
        self.details = details
        super().__init__(f"report {template} failed: {reason}")


def redact(text: str, env: Mapping[str, str]) -> str:
    """`text` without the values of `env`'s secret variables (tokens, passwords)."""
    for name, value in env.items():
        if SECRET_NAME.search(name) and value and len(value) >= 6:
            text = text.replace(value, "[hidden]")
    return text


def short(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """The first lines of `text`, one line, at most `limit` characters."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[:limit - 1] + "…"


def cell_failed(template: str, outcome: dict, env: Mapping[str, str],
                timeout: int) -> ReportFailed:
    """ReportFailed from the outcome written by hub/reports/papermill_run.py."""
    name = outcome.get("ename") or "Error"
    message = PLAIN.get(name, "").format(timeout=timeout) or outcome.get("evalue") or ""
    error = f"{name}: {short(redact(message, env))}" if message else name
    where = "the run"
    if outcome.get("cell"):
        where = f"cell {outcome['cell']} of {outcome['cells']}"
        if outcome.get("source"):
            where += f" ({short(redact(outcome['source'], env), 60)})"
    elif outcome.get("cells"):
        where = "the runner's lineage step, after the last cell"
    return ReportFailed(template, f"{where}: {error}", cell=outcome.get("cell"), error=name,
                        details=redact(outcome.get("traceback", ""), env))
