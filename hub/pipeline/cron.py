"""A small 5-field cron expression, evaluated in the wall-clock time of a zone (by default
Europe/Paris, the zone of the recipes' refresh schedules; report schedules name their own).

Why not APScheduler: we need two operations only (validate, next fire time after an instant),
and a 100-line matcher with tests avoids a runtime dependency. Syntax: ``minute hour
day-of-month month day-of-week`` with ``*``, ``a``, ``a-b``, ``*/n``, ``a-b/n``, lists with ``,``,
month and weekday names (``jan``, ``mon``; Sunday is 0 or 7) and the macros ``@hourly``,
``@daily``, ``@weekly``, ``@monthly``, ``@yearly``. As in classic cron, when both day fields are
restricted a day matches if either matches.

Daylight saving time: a wall-clock time skipped in spring fires at the same instant one hour
later (02:30 -> 03:30); a time repeated in autumn fires once, at its first occurrence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

TIMEZONE = ZoneInfo("Europe/Paris")
MACROS = {"@hourly": "0 * * * *", "@daily": "0 0 * * *", "@midnight": "0 0 * * *",
          "@weekly": "0 0 * * 0", "@monthly": "0 0 1 * *", "@yearly": "0 0 1 1 *",
          "@annually": "0 0 1 1 *"}
MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
WEEKDAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
# (name, lowest, highest, names for lowest, lowest+1, ...)
FIELDS = [("minute", 0, 59, []), ("hour", 0, 23, []), ("day of month", 1, 31, []),
          ("month", 1, 12, MONTHS), ("day of week", 0, 7, WEEKDAYS)]
SEARCH_LIMIT = timedelta(days=366 * 5)


def _value(text: str, field: tuple) -> int:
    name, low, high, names = field
    if text.lower() in names:
        return low + names.index(text.lower())
    if not text.isdigit() or not low <= int(text) <= high:
        raise ValueError(f"{name}: {text!r} is not a number from {low} to {high}")
    return int(text)


def _part(text: str, field: tuple) -> set[int]:
    """One comma-separated part: *, a, a-b, with an optional /step."""
    name, low, high, _ = field
    span, _, step_text = text.partition("/")
    if step_text and (not step_text.isdigit() or int(step_text) == 0):
        raise ValueError(f"{name}: step {step_text!r} must be a positive number")
    step = int(step_text or 1)
    if span == "*":
        first, last = low, high
    elif "-" in span:
        first, last = (_value(v, field) for v in span.split("-", 1))
        if first > last:
            raise ValueError(f"{name}: range {span!r} goes backwards")
    else:
        first = _value(span, field)
        last = high if step_text else first
    return set(range(first, last + 1, step))


def _field(text: str, field: tuple) -> frozenset[int]:
    values: set[int] = set()
    for part in text.split(","):
        values |= _part(part, field)
    return frozenset(values)


@dataclass(frozen=True)
class Cron:
    text: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday
    any_day: bool  # day of month is "*"
    any_weekday: bool  # day of week is "*"
    zone: ZoneInfo = TIMEZONE  # whose wall clock the fields describe

    @classmethod
    def parse(cls, text: str, zone: ZoneInfo = TIMEZONE) -> Cron:
        """Parse a cron expression read in `zone`; raise ValueError with a readable message."""
        fields = MACROS.get(text.strip().lower(), text).split()
        if len(fields) != 5:
            raise ValueError(f"{text!r} has {len(fields)} fields; cron needs 5 "
                             "(minute hour day-of-month month day-of-week)")
        sets = [_field(f, spec) for f, spec in zip(fields, FIELDS)]
        weekdays = frozenset(d % 7 for d in sets[4])
        cron = cls(text, *sets[:4], weekdays, fields[2] == "*", fields[4] == "*", zone)
        cron.next_after(datetime(2026, 1, 1, tzinfo=zone))  # rejects "never" (e.g. 31 feb)
        return cron

    def day_matches(self, day: datetime) -> bool:
        by_date = day.day in self.days
        by_weekday = (day.isoweekday() % 7) in self.weekdays
        if self.any_day or self.any_weekday:
            return by_date and by_weekday
        return by_date or by_weekday

    def next_after(self, instant: datetime) -> datetime:
        """The first fire time strictly after `instant` (an aware datetime), in the zone."""
        local = instant.astimezone(self.zone).replace(tzinfo=None, second=0, microsecond=0)
        wall, limit = local + timedelta(minutes=1), local + SEARCH_LIMIT
        while wall <= limit:
            if wall.month not in self.months:
                wall = (wall.replace(day=1) + timedelta(days=32)).replace(day=1, hour=0, minute=0)
            elif not self.day_matches(wall):
                wall = wall.replace(hour=0, minute=0) + timedelta(days=1)
            elif wall.hour not in self.hours:
                wall = wall.replace(minute=0) + timedelta(hours=1)
            elif wall.minute not in self.minutes:
                wall += timedelta(minutes=1)
            else:
                fire = wall.replace(tzinfo=self.zone).astimezone(UTC)  # compare instants
                if fire > instant.astimezone(UTC):
                    return fire.astimezone(self.zone)
                wall += timedelta(minutes=1)
        raise ValueError(f"{self.text!r} never fires (no matching date within 5 years)")
