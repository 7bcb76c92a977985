"""Scheduled PDF reports: each recipient's report built under their own rights, archived, mailed.

The flow, module by module:

- schedules.py: the schedule model and its YAML files; book.py: every schedule (files + API);
- period.py: the period a run covers (2026-W48...); planning.py: what is due (cron in the
  schedule's time zone, catch-up once), the runs a slot makes;
- store.py: SQLite (WAL): API schedules, runs keyed (schedule, period, recipient), history;
- tokens.py: the hub API: a short-lived data-only token per run, group members;
- executor.py + worker.py: one run in its own process with only its own environment, the
  PDF moved into the archive after a clean exit;
- scheduler.py: the asyncio loop (plan, deliver, dispatch within the cap, retry, prune);
- contacts.py + mail.py: addresses and languages, SMTP delivery, failure notices;
- api.py: the scheduler service's HTTP API; service.py: everything built from the settings.

The PDF itself is made by ``reports.renderer`` (default ``hub.reports.render:render_report``:
render.py, with parameters.py, period.py, execute.py + papermill_run.py, html.py, pdf.py,
failure.py), imported only in the run's own process; the names below load when first used.
docs/reports.md is the guide, docs/decisions/0005-reports.md the reasoning about tokens.
"""

from importlib import import_module

_EXPORTS = {"Period": "period", "PeriodError": "period", "parse_period": "period",
            "ReportFailed": "failure", "RenderResult": "render", "render_report": "render"}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module 'hub.reports' has no attribute {name!r}")
