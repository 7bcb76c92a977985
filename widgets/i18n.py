"""The widgets' language and number, percent and date formats: French ("fr") or English ("en").

The locale is, first wins: a widget's own ``locale=`` argument (a report for one reader),
:func:`set_locale` in this process, ``$AGORA_LOCALE`` (the user's setting), then "fr".
Every text a widget shows comes from :func:`t` (the labels are in widgets/labels.py).
"""

from __future__ import annotations

import math
import os
from datetime import datetime

from .labels import LABELS

LOCALES = ("fr", "en")
LOCALE_VARIABLE = "AGORA_LOCALE"
NARROW_NBSP = "\u202f"  # French thousands separator and space before % (and : ; ! ?)
MINUS = "\u2212"  # the minus sign, as Vega's number format writes it
_locale: str | None = None


def _normalise(name: str, where: str) -> str:
    short = name.strip().replace("_", "-").split("-")[0].lower()
    if short not in LOCALES:
        raise ValueError(f"{where}={name!r}: Agora's widgets speak 'fr' or 'en'")
    return short


def set_locale(name: str | None) -> None:
    """Use `name` ("fr" or "en") for every widget of this process; None: back to the default.

    >>> set_locale("en"); locale()
    'en'
    >>> set_locale(None)
    """
    global _locale
    _locale = None if name is None else _normalise(name, "set_locale")


def locale(override: str | None = None) -> str:
    """The language in force: `override` if given, else set_locale's, $AGORA_LOCALE, "fr".

    >>> locale("en-GB")
    'en'
    """
    return _current(override)


def _current(override: str | None = None) -> str:  # for functions whose argument is `locale`
    if override:
        return _normalise(override, "locale")
    if _locale:
        return _locale
    env = os.environ.get(LOCALE_VARIABLE)
    return _normalise(env, f"${LOCALE_VARIABLE}") if env else "fr"


def t(key: str, locale: str | None = None, **values) -> str:
    """The label `key` in the language in force, with `values` filled in. A number given as
    `count` is written in the language's way and picks the singular label ``<key>_one`` when
    there is one (0 and 1 in French, 1 in English).

    >>> t("rows_shown", "en", shown=20, total="134")
    '20 of 134 rows'
    >>> t("quality_issues", "fr", count=1), t("quality_issues", "fr", count=1902)
    ('1 valeur à vérifier', '1\u202f902 valeurs à vérifier')
    """
    loc = _current(locale)
    count = values.get("count")
    if isinstance(count, (int, float)) and not isinstance(count, bool):
        singular = abs(count) < 2 if loc == "fr" else abs(count) == 1
        if singular and f"{key}_one" in LABELS:
            key = f"{key}_one"
        values["count"] = format_number(count, None, loc)
    french, english = LABELS[key]
    text = french if loc == "fr" else english
    return text.format(**values) if values else text


def is_missing(x) -> bool:
    """None, NaN, NaT and pandas.NA: no value to show."""
    if x is None:
        return True
    try:
        return bool(x != x)  # noqa: PLR0124 (NaN and NaT differ from themselves; NA raises)
    except TypeError:
        return True


def _localise(text: str, loc: str) -> str:
    if text.startswith("-"):
        text = text[1:] if not any(c in "123456789" for c in text) else MINUS + text[1:]
    if loc == "fr":
        return text.replace(",", NARROW_NBSP).replace(".", ",")
    return text


def format_number(x, decimals: int | None = None, locale: str | None = None) -> str:
    """``1234.5`` as ``1 234,5`` (narrow no-break spaces) in French, ``1,234.5`` in English.

    `decimals`: a fixed number of decimals; None shows integers as they are and other numbers
    with at most 2 decimals. Negative numbers get a minus sign (−), no value gets "n.d."/"n/a".

    >>> format_number(-1234.5, locale="en"), format_number(float("nan"), locale="fr")
    ('−1,234.5', 'n.d.')
    """
    loc = _current(locale)
    if is_missing(x):
        return t("missing", loc)
    x = float(x)
    if math.isinf(x):
        return ("" if x > 0 else MINUS) + "∞"
    if decimals is None:
        text = f"{x:,.2f}".rstrip("0").rstrip(".")
    else:
        text = f"{x:,.{decimals}f}"
    return _localise(text, loc)


def format_compact(x, locale: str | None = None) -> str:
    """A figure read at a glance: millions and billions with one decimal, thousands as whole
    numbers, tens with one decimal, smaller numbers as :func:`format_number` writes them.

    >>> format_compact(69_375_660.28, "fr"), format_compact(2_500_000_000, "en")
    ('69,4\xa0M', '2.5bn')
    >>> format_compact(12_345.6, "fr"), format_compact(24.81, "en"), format_compact(0.4815)
    ('12\u202f346', '24.8', '0,48')
    """
    loc = _current(locale)
    if is_missing(x) or math.isinf(float(x)):
        return format_number(x, locale=loc)
    size = abs(float(x))
    for scale, (fr, en) in ((1e9, ("Md", "bn")), (1e6, ("M", "M"))):
        if size >= scale:
            number = format_number(float(x) / scale, 1, loc)
            return f"{number}\u00a0{fr}" if loc == "fr" else number + en
    if size >= 1000:
        return format_number(x, 0, loc)
    return format_number(x, 1 if size >= 10 and not float(x).is_integer() else None, loc)


def format_percent(x, decimals: int = 1, signed: bool = False,
                   locale: str | None = None) -> str:
    """A fraction as a percentage: 0.125 -> ``12,5 %`` (fr), ``12.5%`` (en).

    `signed`: a "+" before positive values (for changes).

    >>> format_percent(0.125, locale="fr"), format_percent(-0.03, signed=True, locale="en")
    ('12,5\u202f%', '−3.0%')
    """
    loc = _current(locale)
    if is_missing(x):
        return t("missing", loc)
    number = format_number(float(x) * 100, decimals, loc)
    sign = "+" if signed and number[0] not in (MINUS, "0") and float(x) > 0 else ""
    return sign + number + (NARROW_NBSP + "%" if loc == "fr" else "%")


def as_datetime(d) -> datetime | None:
    """A datetime from a date, datetime, pandas Timestamp or ISO text; None for no value.

    Times with a time zone are shown in the kernel's own time zone (``$TZ``).
    """
    if is_missing(d):
        return None
    if isinstance(d, str):
        d = datetime.fromisoformat(d)
    if hasattr(d, "to_pydatetime"):
        d = d.to_pydatetime()
    if not isinstance(d, datetime):
        d = datetime(d.year, d.month, d.day)
    return d.astimezone() if d.tzinfo else d


def format_date(d, locale: str | None = None) -> str:
    """A date as ``dd/mm/yyyy`` in French and ISO ``yyyy-mm-dd`` in English (unambiguous).

    >>> from datetime import date
    >>> format_date("2026-11-28", "fr"), format_date(date(2026, 11, 28), "en")
    ('28/11/2026', '2026-11-28')
    """
    loc = _current(locale)
    value = as_datetime(d)
    if value is None:
        return t("missing", loc)
    return value.strftime("%d/%m/%Y" if loc == "fr" else "%Y-%m-%d")


def format_period(d, unit: str, locale: str | None = None) -> str:
    """The period starting on `d` for a bucket `unit`: ``janv. 2025``, ``T1 2025``, ``2025``,
    ``sem. du 06/01/2025``; a day as :func:`format_date`.

    >>> format_period("2025-01-01", "month", "fr"), format_period("2025-04-01", "quarter", "en")
    ('janv. 2025', 'Q2 2025')
    """
    loc = _current(locale)
    value = as_datetime(d)
    if value is None:
        return t("missing", loc)
    if unit == "year":
        return str(value.year)
    if unit == "quarter":
        return f"{'T' if loc == 'fr' else 'Q'}{(value.month - 1) // 3 + 1} {value.year}"
    if unit == "month":
        months = vega_time_format_locale(loc)["shortMonths"]
        return f"{months[value.month - 1]} {value.year}"
    if unit == "week":
        return ("sem. du " if loc == "fr" else "week of ") + format_date(value, loc)
    return format_date(value, loc)


def format_datetime(d, locale: str | None = None) -> str:
    """A date and time: ``28/11/2026 13:10`` (fr), ``2026-11-28 13:10`` (en).

    >>> format_datetime("2026-11-28T13:10:55", "fr")
    '28/11/2026 13:10'
    """
    loc = _current(locale)
    value = as_datetime(d)
    if value is None:
        return t("missing", loc)
    return format_date(value, loc) + value.strftime(" %H:%M")


def _age_unit(seconds: float) -> tuple[str, int]:
    for unit, size, until in (("minute", 60, 3600), ("hour", 3600, 86400),
                              ("day", 86400, 60 * 86400), ("month", 30 * 86400, 365 * 86400)):
        if seconds < until:
            return unit, int(seconds // size)
    return "year", int(seconds // (365 * 86400))


def format_ago(when, now: datetime | None = None, locale: str | None = None) -> str:
    """How long ago `when` was: ``il y a 3 jours`` / ``3 days ago``.

    >>> format_ago("2026-11-28T10:00:00+00:00", now=datetime.fromisoformat(
    ...     "2026-12-01T12:00:00+00:00"), locale="en")
    '3 days ago'
    """
    loc = _current(locale)
    value = as_datetime(when)
    if value is None:
        return t("missing", loc)
    now = now or datetime.now(value.tzinfo)
    seconds = (now - value).total_seconds()
    if seconds < 60:
        return t("ago_now", loc)
    unit, count = _age_unit(seconds)
    plural = "s" if count > 1 else ""
    word = t(f"unit_{unit}", loc) + ("" if unit == "month" and loc == "fr" else plural)
    return t("ago", loc, count=count, unit=word)


def vega_format_locale(locale: str | None = None) -> dict:
    """The d3-format locale for Vega (axis and label numbers) matching format_number."""
    if _current(locale) == "fr":
        return {"decimal": ",", "thousands": NARROW_NBSP, "grouping": [3],
                "currency": ["", NARROW_NBSP + "€"], "percent": NARROW_NBSP + "%",
                "minus": MINUS}
    return {"decimal": ".", "thousands": ",", "grouping": [3], "currency": ["", " €"],
            "minus": MINUS}


def vega_time_format_locale(locale: str | None = None) -> dict:
    """The d3-time-format locale for Vega (dates on axes, month and day names)."""
    if _current(locale) == "fr":
        return {"dateTime": "%A %e %B %Y à %X", "date": "%d/%m/%Y", "time": "%H:%M:%S",
                "periods": ["AM", "PM"],
                "days": ["dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi",
                         "samedi"],
                "shortDays": ["dim.", "lun.", "mar.", "mer.", "jeu.", "ven.", "sam."],
                "months": ["janvier", "février", "mars", "avril", "mai", "juin", "juillet",
                           "août", "septembre", "octobre", "novembre", "décembre"],
                "shortMonths": ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.",
                                "août", "sept.", "oct.", "nov.", "déc."]}
    return {"dateTime": "%Y-%m-%d %H:%M:%S", "date": "%Y-%m-%d", "time": "%H:%M:%S",
            "periods": ["AM", "PM"],
            "days": ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
                     "Saturday"],
            "shortDays": ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"],
            "months": ["January", "February", "March", "April", "May", "June", "July",
                       "August", "September", "October", "November", "December"],
            "shortMonths": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep",
                            "Oct", "Nov", "Dec"]}
