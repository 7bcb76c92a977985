"""A report's period: an ISO week ("2026-W48") or a month ("2026-11"), its first and last day.

>>> p = parse_period("2026-W48")
>>> p.start.isoformat(), p.end.isoformat()
('2026-11-23', '2026-11-29')
>>> p.words("fr"), p.words("en")
('semaine 48 de 2026, du 23 au 29 novembre 2026', 'week 48 of 2026, 23 to 29 November 2026')
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from widgets.i18n import vega_time_format_locale

WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
MONTH = re.compile(r"^(\d{4})-(\d{2})$")
EXAMPLES = 'an ISO week like "2026-W48" or a month like "2026-11"'


class PeriodError(ValueError):
    """A period that is not an ISO week nor a month; the message says what would be right."""


@dataclass(frozen=True)
class Period:
    text: str  # as given: "2026-W48"
    kind: str  # "week" or "month"
    start: date  # first day
    end: date  # last day (included)

    def words(self, locale: str = "fr") -> str:
        """The period for a reader: "semaine 48 de 2026, du 23 au 29 novembre 2026"."""
        months = vega_time_format_locale(locale)["months"]
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


def parse_period(text: str) -> Period:
    """The Period of "2026-W48" (Monday to Sunday) or "2026-11"; PeriodError otherwise."""
    value = str(text).strip().upper()
    if match := WEEK.match(value):
        year, week = int(match[1]), int(match[2])
        try:
            start = date.fromisocalendar(year, week, 1)
        except ValueError:
            last = date(year, 12, 28).isocalendar()[1]
            raise PeriodError(f"period {value!r}: {year} has weeks 1 to {last}; use "
                              f"{EXAMPLES}") from None
        return Period(value, "week", start, start + timedelta(days=6))
    if (match := MONTH.match(value)) and 1 <= int(match[2]) <= 12:
        start = date(int(match[1]), int(match[2]), 1)
        following = date(start.year + start.month // 12, start.month % 12 + 1, 1)
        return Period(value, "month", start, following - timedelta(days=1))
    raise PeriodError(f"period {value!r} is not a period: use {EXAMPLES}")
