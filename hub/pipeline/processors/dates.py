"""normalise_dates: parse messy date columns into real datetimes.

Each non-null value is tried, in this order, until one way parses it: Excel serial numbers
(``excel_serial: true``), the explicit ``formats``, ISO 8601, the usual day-first (or
month-first) French layouts, and finally a lenient parser on the remaining DISTINCT values
(French month names understood). Each format is parsed vectorised over the rows still null.

Time zones (a choice, written down): naive source values are wall-clock times in ``timezone``
(default Europe/Paris). ``output: naive`` (default) keeps that wall-clock time without a zone,
which is right for dates without time (a birth date must not become "the day before, 23:00
UTC"); ``output: utc`` stores an aware UTC instant (right for timestamps, e.g. sensor
readings); ``output: local`` an aware time in ``timezone``. Values carrying an offset
("2025-03-01T10:00+01:00") are converted to ``timezone`` first. Ambiguous autumn times take the
summer-time reading; times skipped in spring move forward.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dateutil.parser
import numpy as np
import pandas as pd
from pydantic import Field, field_validator

from ..interfaces import Params, ProcessContext, Processor
from ._common import as_text, distinct, note_count, require_columns, spread
from ._excel import from_excel_serial

DAY_FIRST = ["%d/%m/%Y", "%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%y"]
MONTH_FIRST = ["%m/%d/%Y", "%m/%d/%Y %H:%M", "%m/%d/%Y %H:%M:%S", "%m-%d-%Y", "%m/%d/%y"]
SAMPLE_SIZE = 200
OFFSET = r"(?:Z|[+-][0-9]{2}:?[0-9]{2})$"
FRENCH_WORDS = {"janvier": "Jan", "février": "Feb", "fevrier": "Feb", "mars": "Mar", "avril": "Apr",
                 "mai": "May", "juin": "Jun", "juillet": "Jul", "août": "Aug", "aout": "Aug",
                 "septembre": "Sep", "octobre": "Oct", "novembre": "Nov", "décembre": "Dec",
                 "decembre": "Dec", "1er": "1", "le": "",
                "lundi": "", "mardi": "", "mercredi": "", "jeudi": "", "vendredi": "",
                "samedi": "", "dimanche": ""}
# one pass for all the words (no replacement is itself a French word, so the result is the
# same as replacing them one after the other)
FRENCH_WORD = re.compile(r"\b(" + "|".join(map(re.escape, FRENCH_WORDS)) + r")\b")
DEFAULT_DAY = datetime(2000, 1, 1)
MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
# "3 Mar 2024", what "3 mars 2024" becomes once translated: read directly, the way dateutil
# reads it (a day, a month name, a 4-digit year), without its tokenizer (~50 µs a value)
DAY_MONTH_YEAR = re.compile(
    r"(0?[1-9]|[12][0-9]|3[01]) (" + "|".join(MONTHS) + r") ((?:19|20)[0-9]{2})", re.IGNORECASE)


class NormaliseDatesParams(Params):
    columns: list[str] = Field(min_length=1)
    formats: list[str] = Field(default_factory=list)
    dayfirst: bool = True
    iso: bool = True
    excel_serial: bool = False
    lenient: bool = True
    timezone: str = "Europe/Paris"
    output: Literal["naive", "utc", "local"] = "naive"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r} (e.g. Europe/Paris, UTC)") from exc
        return value


class NormaliseDates(Processor):
    """Parse date/time columns (formats, day-first, ISO 8601, Excel serials) into datetimes.

    Unparseable values become null and are counted as ``unparseable_dates`` with examples.

        - normalise_dates: {columns: [measured_at], dayfirst: true, excel_serial: true}
    """

    name = "normalise_dates"
    column_local = True
    summary = "Parse dates: explicit formats, day-first, ISO 8601, Excel serials, time zones"
    Params = NormaliseDatesParams

    def apply(self, frame: pd.DataFrame, context: ProcessContext) -> pd.DataFrame:
        require_columns(frame, self.params.columns, self.name)
        out = frame.copy(deep=False)  # copy-on-write: replaced columns only
        for column in self.params.columns:
            raw = frame[column]
            if pd.api.types.is_datetime64_any_dtype(raw):
                out[column] = self._zone(raw)
                continue
            text = as_text(raw).str.strip().replace("", None)
            if pd.api.types.is_numeric_dtype(raw):
                parsed = self._parse(raw, text)
            else:
                codes, values = distinct(text)
                parsed = spread(self._parse(values, values), codes, raw.index)
            failed = text.notna() & parsed.isna()
            note_count(context, column, "unparseable_dates", failed, text)
            out[column] = self._zone(parsed)
        return out

    def _parse(self, raw: pd.Series, text: pd.Series) -> pd.Series:
        """Naive wall-clock datetimes in `timezone`, NaT where nothing parsed."""
        p = self.params
        result = pd.Series(pd.NaT, index=text.index, dtype="datetime64[us]")
        if p.excel_serial:
            result = result.fillna(from_excel_serial(raw))
        for fmt in p.formats:
            result = _fill(result, text, fmt)
        layouts = (["ISO8601"] if p.iso else []) + (DAY_FIRST if p.dayfirst else MONTH_FIRST)
        for fmt in _most_frequent_first(layouts, text[result.isna() & text.notna()]):
            result = self._iso(result, text) if fmt == "ISO8601" else _fill(result, text, fmt)
        if p.lenient:
            result = result.fillna(_lenient(text[result.isna() & text.notna()], p.dayfirst))
        return result

    def _iso(self, result: pd.Series, text: pd.Series):
        """ISO 8601; values with an offset are converted to wall-clock time in `timezone`."""
        todo = result.isna() & text.notna()
        with_offset = todo & text.str.contains(OFFSET, regex=True).fillna(False)
        aware = pd.to_datetime(text[with_offset], format="ISO8601", utc=True, errors="coerce")
        local = aware.dt.tz_convert(self.params.timezone).dt.tz_localize(None)
        result = result.fillna(local.astype("datetime64[us]"))
        result = _fill(result, text.mask(with_offset), "ISO8601")
        return result

    def _zone(self, values: pd.Series) -> pd.Series:
        """Apply the `output` choice to wall-clock (or already aware) values."""
        zone, output = self.params.timezone, self.params.output
        if values.dt.tz is None and output != "naive":
            flags = np.ones(len(values), dtype=bool)
            values = values.dt.tz_localize(zone, ambiguous=flags, nonexistent="shift_forward")
        elif values.dt.tz is not None and output == "naive":
            return values.dt.tz_convert(zone).dt.tz_localize(None)
        if output == "utc":
            return values.dt.tz_convert("UTC")
        return values.dt.tz_convert(zone) if output == "local" else values


def _most_frequent_first(layouts: list[str], todo: pd.Series) -> list[str]:
    """The built-in layouts ordered by how many of a small sample each parses.

    They never match the same text, so the order changes only the speed: a column of
    "31/12/2025 14:30" is parsed by its layout first instead of failing through the others.
    """
    sample = todo.iloc[:: max(1, len(todo) // SAMPLE_SIZE)]
    hits = {fmt: _parsed_count(sample, fmt) for fmt in layouts} if len(sample) else {}
    return sorted(layouts, key=lambda fmt: -hits.get(fmt, 0))


def _parsed_count(sample: pd.Series, fmt: str) -> int:
    parsed = pd.to_datetime(sample, format=fmt, errors="coerce", utc=fmt == "ISO8601")
    return int(parsed.notna().sum())


def _fill(result: pd.Series, text: pd.Series, fmt: str) -> pd.Series:
    """Parse with `fmt` the values still null in `result`."""
    todo = result.isna() & text.notna()
    if not todo.any():
        return result
    parsed = pd.to_datetime(text[todo], format=fmt, errors="coerce")
    if getattr(parsed.dt, "tz", None) is not None:
        return result
    return result.fillna(parsed.astype("datetime64[us]"))


def _lenient(text: pd.Series, dayfirst: bool) -> pd.Series:
    """dateutil on the DISTINCT leftover values that name a month in words and a 4-digit year.

    Missing parts default to the 1st / January (never to today's date), French month and
    weekday names are translated.
    """
    candidates = text[text.str.contains("[A-Za-zéû]", regex=True) & text.str.contains("[0-9]{4}")]
    lookup = {value: _parse_words(value, dayfirst) for value in candidates.unique()}
    return candidates.map(lookup).astype("datetime64[us]")


def _parse_words(value: str, dayfirst: bool):
    words = FRENCH_WORD.sub(lambda found: FRENCH_WORDS[found.group(1)], value.lower())
    simple = DAY_MONTH_YEAR.fullmatch(words)
    if simple:
        day, month, year = simple.groups()
        try:
            return datetime(int(year), MONTHS.index(month.lower()) + 1, int(day))
        except ValueError:  # "31 Apr 2024": dateutil refuses it too
            return pd.NaT
    try:
        return dateutil.parser.parse(words, dayfirst=dayfirst, default=DEFAULT_DAY)
    except (ValueError, OverflowError):
        return pd.NaT
