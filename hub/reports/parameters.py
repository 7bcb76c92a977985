"""A run's parameters, checked against the template's ``parameters`` cell before any kernel.

Three parameters mean something to the runner as well as to the template: ``period``
(hub/reports/period.py; the runner adds ``period_start`` and ``period_end``, ISO dates, for
a template that declares them), ``locale`` ("fr" or "en": the title page's language and the
widgets', set as ``AGORA_LOCALE`` in the run) and ``recipient`` (a name for the title page).
A template need not declare them; any other parameter must be declared, so a misspelt one
fails before the run, not silently.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import nbformat

from widgets.i18n import locale as checked_locale

from .failure import ReportFailed
from .period import Period, PeriodError, parse_period

RUNNER_PARAMETERS = ("period", "locale", "recipient")


@dataclass(frozen=True)
class RunParameters:
    values: dict  # what papermill injects into the template
    locale: str
    period: Period | None
    recipient: str


def declared(template: Path) -> dict[str, object]:
    """{name: default value} of the template's ``parameters`` cell (None: not a literal)."""
    from papermill.translators import PythonTranslator

    notebook = nbformat.read(template, as_version=4)
    cell = next((c for c in notebook.cells
                 if "parameters" in c.get("metadata", {}).get("tags", [])), None)
    if cell is None:
        raise ReportFailed(template.name, "the template has no cell tagged 'parameters' "
                           "(report_templates/README.md says how to write one)")
    return {p.name: _literal(p.default) for p in PythonTranslator.inspect(cell)}


def _literal(source):
    try:
        return ast.literal_eval(source) if source else None
    except (ValueError, SyntaxError):
        return None


def check(template: Path, given: dict, env_locale: str | None = None) -> RunParameters:
    """`given` checked and completed for `template`; ReportFailed saying what is wrong.

    The language: `given`'s locale, else `env_locale` (the run-as user's AGORA_LOCALE), else
    the template's default, else French."""
    defaults = declared(template)
    unknown = sorted(set(given) - set(defaults) - set(RUNNER_PARAMETERS))
    if unknown:
        raise ReportFailed(template.name, f"unknown parameter {', '.join(unknown)}: the "
                           f"template declares {', '.join(defaults)}")
    merged = {**defaults, **given}
    try:
        period = parse_period(merged["period"]) if merged.get("period") else None
        locale = checked_locale(given.get("locale") or env_locale or defaults.get("locale")
                                or "fr")
    except (PeriodError, ValueError) as exc:
        raise ReportFailed(template.name, str(exc)) from None
    values = {k: v for k, v in given.items() if k in defaults}
    derived = {"locale": locale}
    if period:
        derived |= {"period_start": period.start.isoformat(), "period_end": period.end.isoformat()}
    values |= {k: v for k, v in derived.items() if k in defaults}
    return RunParameters(values, locale, period, str(merged.get("recipient") or ""))
