"""render_report: one Papermill template, one recipient's environment, one PDF.

Three steps, each timed: execute (hub/reports/execute.py: Papermill in a subprocess with the
run's environment), html (hub/reports/html.py: nbconvert, no code, a title page) and pdf
(hub/reports/pdf.py: WeasyPrint, offline, written atomically). Any failure raises
ReportFailed and leaves no file at `out_pdf`.
"""

from __future__ import annotations

import tempfile
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import nbformat

from widgets.i18n import LOCALE_VARIABLE

from .execute import execute
from .failure import ReportFailed, short
from .html import notebook_html, title_page
from .parameters import check
from .pdf import html_to_pdf


@dataclass(frozen=True)
class RenderResult:
    """A PDF made: its path and pages, what data it read, and how long each step took."""

    pdf: Path
    pages: int
    lineage: dict[str, tuple[str, ...]]  # dataset -> snapshot versions read
    durations: dict[str, float]  # seconds: "execute", "html", "pdf"


def readable_name(template: Path) -> str:
    return template.stem.replace("-", " ").replace("_", " ").capitalize()


def render_report(template: Path, parameters: dict, env: Mapping[str, str], out_pdf: Path, *,
                  cell_timeout: int = 300,
                  progress: Callable[[str], None] | None = None) -> RenderResult:
    """Run `template` with `parameters` under `env` (the run-as user's AGORA_TOKEN,
    AGORA_DATASETS_URL, ...) and write its PDF at `out_pdf`; `progress` gets each step in
    words. Raises ReportFailed (a message for a person) when no PDF could be made."""
    template, out_pdf, say = Path(template), Path(out_pdf), progress or (lambda _: None)
    if not template.is_file():
        raise ReportFailed(template.name, f"no template at {template}")
    if cell_timeout <= 0:
        raise ValueError(f"cell_timeout={cell_timeout!r}: give a number of seconds above 0")
    run = check(template, dict(parameters), env.get(LOCALE_VARIABLE))
    durations: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="agora-report-") as folder:
        say(f"starting {template.name}")
        started = time.monotonic()
        executed = execute(template, run.values, env, Path(folder), locale=run.locale,
                           cell_timeout=cell_timeout, progress=say)
        durations["execute"] = time.monotonic() - started
        say("converting to HTML")
        started = time.monotonic()
        page = title_page(nbformat.read(template, as_version=4), locale=run.locale,
                          fallback=readable_name(template), recipient=run.recipient,
                          period=run.period.words(run.locale) if run.period else "")
        html = _step(template, "HTML", notebook_html, executed.notebook, page)
        durations["html"] = time.monotonic() - started
        say("writing the PDF")
        started = time.monotonic()
        pages = _step(template, "PDF", html_to_pdf, html, out_pdf)
        durations["pdf"] = time.monotonic() - started
    say(f"done: {out_pdf.name}, {pages} pages in {sum(durations.values()):.1f} s")
    return RenderResult(out_pdf, pages, executed.lineage, durations)


def _step(template: Path, what: str, function, *args):
    try:
        return function(*args)
    except Exception as exc:  # noqa: BLE001 (becomes the one error a scheduler reports)
        raise ReportFailed(template.name, f"the {what} could not be made: "
                           f"{type(exc).__name__}: {short(str(exc))}",
                           details=traceback.format_exc()) from exc
