"""PDF reports from Papermill templates, each run under one person's rights (issue #15).

``render_report(template, parameters, env, out_pdf)`` runs a template of report_templates/
in a subprocess whose environment is `env` (the run-as user's token), then writes a PDF
without code: see render.py for the steps and docs/reports.md for templates. The names
below are imported when first used, so the run's subprocess (papermill_run.py) does not
load nbconvert and WeasyPrint.
"""

from importlib import import_module

_EXPORTS = {"Period": "period", "PeriodError": "period", "parse_period": "period",
            "ReportFailed": "failure", "RenderResult": "render", "render_report": "render"}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module 'hub.reports' has no attribute {name!r}")
