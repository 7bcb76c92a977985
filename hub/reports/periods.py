"""The period a report run covers: the last complete day, ISO week or month before it fires.

A run that fires on Monday 2026-11-30 at 07:00 covers the week 2026-W48 (Monday 23 to Sunday
29 November); a monthly one that fires on 1 December covers 2026-11; a daily one, the day
before. The label is part of the run's key (schedule, period, recipient), so a slot caught up
after downtime and the same slot seen again are one run.

Labels: ``2026-11-29`` (day), ``2026-W48`` (ISO 8601 week), ``2026-11`` (month). A template
receives the label and the bounds as parameters (:meth:`Period.parameters`); the end is
exclusive.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

Kind = Literal["day", "week", "month"]
KINDS: tuple[Kind, ...] = ("day", "week", "month")
EXAMPLES = {"day": "2026-11-29", "week": "2026-W48", "month": "2026-11"}
PATTERNS = {"day": r"(\d{4})-(\d{2})-(\d{2})", "week": r"(\d{4})-W(\d{2})",
            "month": r"(\d{4})-(\d{2})"}


@dataclass(frozen=True)
class Period:
    kind: Kind
    start: date
    end: date  # exclusive

    @property
    def label(self) -> str:
        if self.kind == "week":
            year, week, _ = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        return self.start.isoformat()[:7] if self.kind == "month" else self.start.isoformat()

    def parameters(self) -> dict[str, str]:
        """What a template receives about its period."""
        return {"period": self.label, "period_start": self.start.isoformat(),
                "period_end": self.end.isoformat()}


def _month_after(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def period_starting(kind: Kind, start: date) -> Period:
    if kind == "day":
        return Period(kind, start, start + timedelta(days=1))
    if kind == "week":
        return Period(kind, start, start + timedelta(days=7))
    return Period(kind, start, _month_after(start))


def current_start(kind: Kind, day: date) -> date:
    """The first day of the (incomplete) period `day` is in."""
    if kind == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1) if kind == "month" else day


def covered_by(fire: datetime, kind: Kind) -> Period:
    """The last complete period before `fire` (read in its own zone: pass a local time)."""
    before = current_start(kind, fire.date()) - timedelta(days=1)
    return period_starting(kind, current_start(kind, before))


def parse_period(label: str, kind: Kind) -> Period:
    """The period a label names; ValueError saying what a label of this kind looks like."""
    match = re.fullmatch(PATTERNS[kind], label.strip())
    problem = f"{label!r} is not a {kind}: write it like {EXAMPLES[kind]}"
    if not match:
        raise ValueError(problem)
    numbers = [int(part) for part in match.groups()]
    try:
        if kind == "week":
            start = date.fromisocalendar(numbers[0], numbers[1], 1)
        else:
            start = date(numbers[0], numbers[1], numbers[2] if kind == "day" else 1)
    except ValueError:
        raise ValueError(problem) from None
    return period_starting(kind, start)
