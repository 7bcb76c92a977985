"""`agora report list | history NAME | run NAME [--period P]`: the report schedules from a
terminal on the hub's machine.

`run` runs a schedule now, in this process, with the scheduler service's executor (the same
short-lived tokens, worker processes, archive and delivery), printing one line per step; it
needs the hub running (tokens come from it). Exit codes: 0 ok, 1 a run failed, 2 a
configuration problem or an unknown schedule or period.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime

from ..config.loading import load_settings
from ..reports.period import covered_by, parse_period
from ..reports.service import build_scheduler, service_token
from ..reports.store import Run, utc_now
from ..reports.tokens import HubError
from .refresh_output import shorten, table


def report_arguments(parser) -> None:
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser("list", help="the schedules, where they are defined, their next run")
    history = actions.add_parser("history", help="the latest runs of a schedule")
    history.add_argument("name", metavar="NAME")
    history.add_argument("--limit", type=int, default=30, help="how many runs (default 30)")
    run = actions.add_parser("run", help="run a schedule now, with progress")
    run.add_argument("name", metavar="NAME")
    run.add_argument("--period", help="the period to cover, e.g. 2026-W48, 2026-11 or "
                     "2026-11-29 (default: the last complete one)")


def local(moment: datetime | None) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M") if moment else ""


def recipients_text(schedule) -> str:
    r = schedule.recipients
    return ", ".join([*r.users, *(f"group {g}" for g in r.groups), *r.emails])


def list_command(scheduler) -> int:
    schedules = scheduler.book.all()
    for problem in scheduler.book.problems:
        print(f"problem: {problem}", file=sys.stderr)
    if not schedules:
        print("no report schedules")
        return 2 if scheduler.book.problems else 0
    now = utc_now()
    rows = [(s.name, s.template, f"{s.cron} ({s.timezone})", s.period, s.run_as,
             shorten(recipients_text(s), 40), s.owner, "yes" if s.enabled else "no",
             "file" if s.from_file else "api",
             s.parsed_cron.next_after(now).strftime("%Y-%m-%d %H:%M") if s.enabled else "")
            for s in schedules.values()]
    print(table(("schedule", "template", "cron", "period", "run as", "recipients", "owner",
                 "enabled", "defined", "next run"), rows))
    for warning in scheduler.book.warnings():
        print(f"warning: {warning}")
    return 2 if scheduler.book.problems else 0


def history_rows(runs: list[Run]) -> list[tuple]:
    return [(r.id, r.period, r.recipient, r.status, r.attempts, local(r.finished_at),
             r.pages or "", r.delivery or "", shorten(r.error or r.delivery_error, 60))
            for r in runs]


def history_command(scheduler, name: str, limit: int) -> int:
    if scheduler.book.get(name) is None and not scheduler.store.runs(name, 1):
        print(f"agora report history: no schedule named {name!r}; see `agora report list`",
              file=sys.stderr)
        return 2
    runs = scheduler.store.runs(name, limit)
    if not runs:
        print(f"{name}: no runs yet")
        return 0
    print(table(("run", "period", "recipient", "status", "attempts", "finished", "pages",
                 "delivery", "error"), history_rows(runs)))
    return 0


def printer(run: Run, message: str) -> None:
    print(f"{run.recipient:<20} attempt {run.attempts}  {message}", flush=True)


async def run_with_hub(scheduler, schedule, period) -> list[Run]:
    await scheduler.hub.ping()  # a stopped hub: say so now, not after the retries' backoff
    try:
        return await scheduler.run_now(schedule, period)
    finally:
        scheduler.executor.close()


def run_command(settings, name: str, label: str | None) -> int:
    if service_token(settings.reports_dir, create=False) is None:
        print("agora report run: the scheduler's hub token is not there yet "
              f"({settings.reports_dir}); start Agora once with `agora up`", file=sys.stderr)
        return 2
    scheduler = build_scheduler(settings, progress=printer)
    schedule = scheduler.book.get(name)
    if schedule is None:
        print(f"agora report run: no schedule named {name!r}; see `agora report list`",
              file=sys.stderr)
        return 2
    try:
        period = parse_period(label, schedule.period) if label else \
            covered_by(utc_now().astimezone(schedule.zone), schedule.period)
    except ValueError as exc:
        print(f"agora report run: --period: {exc}", file=sys.stderr)
        return 2
    print(f"{schedule.name}: {schedule.display_title}, period {period.label} "
          f"({period.start} to {period.end}), run as {schedule.run_as}", flush=True)
    try:
        runs = asyncio.run(run_with_hub(scheduler, schedule, period))
    except HubError as exc:
        print(f"agora report run: {exc}; is Agora running (`agora up`)?", file=sys.stderr)
        return 1
    print()
    print(table(("run", "period", "recipient", "status", "attempts", "finished", "pages",
                 "delivery", "error"), history_rows(runs)) if runs else "no recipient")
    for run in runs:
        if run.pdf:
            print(f"{run.recipient}: {run.pdf}")
    return 1 if any(run.status == "failed" for run in runs) else 0


def cmd_report(args) -> int:
    """List report schedules, show a schedule's history, or run one now."""
    settings = load_settings(args.config)
    if args.action == "run":
        return run_command(settings, args.name, args.period)
    scheduler = build_scheduler(settings, hub=object())  # listing needs no hub
    if args.action == "history":
        return history_command(scheduler, args.name, args.limit)
    return list_command(scheduler)
