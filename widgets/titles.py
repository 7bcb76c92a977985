"""Words around numbers: measure names, axis titles and the sentences of text alternatives."""

from __future__ import annotations

import re

from .i18n import locale as current
from .i18n import t

QUANTILE = re.compile(r"^p(\d{1,3})$")


UNIT_KEEPING = ("sum", "mean", "min", "max")  # measures in the unit of their column


def column_title(column: dict | None, name: str, locale: str | None = None) -> str:
    """The column's title from the recipe (``describe(id)["columns"]``) in the reader's
    language, else its name.

    >>> column_title({"name": "pm10", "title": {"fr": "PM10", "en": "PM10"}}, "pm10")
    'PM10'
    >>> column_title(None, "commune_code")
    'commune_code'
    """
    titles = (column or {}).get("title") or {}
    return titles.get(current(locale)) or titles.get("fr") or name


def measure_unit(measure: str, column: dict | None) -> str | None:
    """The unit of a measure's values: its column's unit for sums, means, extremes and
    percentiles; none for counts."""
    function = measure.partition(":")[0]
    if function in UNIT_KEEPING or QUANTILE.match(function):
        return (column or {}).get("unit")
    return None


def measure_label(measure: str, locale: str | None = None, title: str | None = None) -> str:
    """A readable name for an aggregate measure: ``"mean:pm10"`` -> ``"moyenne de pm10"``;
    `title`: what to call the column (default: its name).

    >>> measure_label("sum:amount", "en"), measure_label("p90:delay", "fr")
    ('total amount', '90e centile de delay')
    >>> measure_label("mean:pm10", "fr", title="PM10"), measure_label("mean:r", "en", "Rate")
    ('moyenne de PM10', 'mean rate')
    """
    function, _, column = measure.partition(":")
    column = in_sentence(title) if title else column
    quantile = QUANTILE.match(function)
    if quantile:
        return t("measure_quantile", locale, p=quantile.group(1), column=column)
    if function == "count":
        return t("measure_count_col", locale, column=column) if column else t("measure_count",
                                                                               locale)
    return t(f"measure_{function}", locale, column=column)


def in_sentence(title: str) -> str:
    """A title inside a sentence: "Taux de couverture" -> "taux de couverture"; acronyms and
    names that are not capitalised words stay ("PM10", "NO₂", "iPhone")."""
    if len(title) > 1 and title[0].isupper() and title[1].islower():
        return title[0].lower() + title[1:]
    return title


def axis_title(title: str, unit: str | None) -> str:
    """``"PM10"`` and ``"µg/m³"`` -> ``"PM10 (µg/m³)"``."""
    if not unit:
        return title
    return f"{title} ({unit})" if title else unit


def sentence(parts: list[str]) -> str:
    """Parts joined as sentences: each starts with a capital letter and ends with a full stop."""
    return " ".join(p[:1].upper() + p[1:] + ("" if p.endswith(".") else ".") for p in parts if p)
