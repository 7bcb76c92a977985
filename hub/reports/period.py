"""A report's period: a day ("2026-11-29"), an ISO week ("2026-W48") or a month ("2026-11").

A scheduled run covers the last complete period before it fires (:func:`covered_by`): a
run on Monday 2026-11-30 07:00 covers 2026-W48, a monthly one on 1 December covers 2026-11,
a daily one the day before. The label is part of the run's key (schedule, period,
recipient), so a slot caught up after downtime and the same slot seen again are one run.

>>> p = parse_period("2026-W48")
>>> p.start.isoformat(), p.end.isoformat()
('2026-11-23', '2026-11-29')
>>> p.words("fr"), p.words("en")
('semaine 48 de 2026, du 23 au 29 novembre 2026', 'week 48 of 2026, 23 to 29 November 2026')
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from widgets.i18n import vega_time_format_locale

Kind = Literal["day", "week", "month"]
KINDS: tuple[Kind, ...] = ("day", "week", "month")
DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
MONTH = re.compile(r"^(\d{4})-(\d{2})$")
EXAMPLES = 'an ISO week like "2026-W48", a month like "2026-11" or a day like "2026-11-29"'
EXAMPLE = {"day": "2026-11-29", "week": "2026-W48", "month": "2026-11"}


class PeriodError(ValueError):
    """A period that is not an ISO week nor a month; the message says what would be right."""


@dataclass(frozen=True)
class Period:
    text: str  # the label: "2026-W48"
    kind: Kind
    start: date  # first day
    end: date  # last day (included)

    @property
    def label(self) -> str:
        return self.text

    def words(self, locale: str = "fr") -> str:
        """The period for a reader: "semaine 48 de 2026, du 23 au 29 novembre 2026"."""
        months = vega_time_format_locale(locale)["months"]
        if self.kind == "day":
            return _day(self.start, months)
        if self.kind == "month":
            return f"{months[self.start.month - 1]} {self.start.year}"
        week, year = self.start.isocalendar()[1], self.start.isocalendar()[0]
        first, last = _day(self.start, months), _day(self.end, months)
        if (self.start.month, self.start.year) == (self.end.month, self.end.year):
            first = str(self.start.day)
        elif self.start.year == self.end.year:
            first = first.rsplit(" ", 1)[0]
        if locale == "fr":
            return f"semaine {week} de {year}, du {first} au {last}"
        return f"week {week} of {year}, {first} to {last}"


def _day(day: date, months: list[str]) -> str:
    return f"{day.day} {months[day.month - 1]} {day.year}"


def parse_period(text: str, kind: Kind | None = None) -> Period:
    """The Period a label names (of `kind`, when given); PeriodError saying what is right."""
    try:
        period = _parsed(str(text).strip().upper())
    except PeriodError:
        if not kind:
            raise
        period = None
    if kind and (period is None or period.kind != kind):
        raise PeriodError(f"period {text!r} is not a {kind}: write it like {EXAMPLE[kind]}")
    return period


def _parsed(value: str) -> Period:
    if match := WEEK.match(value):
        year, week = int(match[1]), int(match[2])
        try:
            start = date.fromisocalendar(year, week, 1)
        except ValueError:
            last = date(year, 12, 28).isocalendar()[1]
            raise PeriodError(f"period {value!r}: {year} has weeks 1 to {last}; use "
                              f"{EXAMPLES}") from None
        return starting("week", start)
    try:
        if match := DAY.match(value):
            return starting("day", date(int(match[1]), int(match[2]), int(match[3])))
        if match := MONTH.match(value):
            return starting("month", date(int(match[1]), int(match[2]), 1))
    except ValueError:
        pass
    raise PeriodError(f"period {value!r} is not a period: use {EXAMPLES}")


def starting(kind: Kind, start: date) -> Period:
    """The period of `kind` whose first day is `start`."""
    if kind == "day":
        return Period(start.isoformat(), kind, start, start)
    if kind == "week":
        year, week, _ = start.isocalendar()
        return Period(f"{year}-W{week:02d}", kind, start, start + timedelta(days=6))
    following = (start.replace(day=1) + timedelta(days=32)).replace(day=1)
    return Period(start.isoformat()[:7], kind, start, following - timedelta(days=1))


def first_day(kind: Kind, day: date) -> date:
    """The first day of the (maybe incomplete) period `day` is in."""
    if kind == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1) if kind == "month" else day


def covered_by(fire: datetime, kind: Kind) -> Period:
    """The last complete period before `fire` (read in its own zone: pass a local time)."""
    before = first_day(kind, fire.date()) - timedelta(days=1)
    return starting(kind, first_day(kind, before))
