"""Words around numbers: measure names, axis titles and the sentences of text alternatives."""

from __future__ import annotations

import re

from .i18n import t

QUANTILE = re.compile(r"^p(\d{1,3})$")


def measure_label(measure: str, locale: str | None = None) -> str:
    """A readable name for an aggregate measure: ``"mean:pm10"`` -> ``"moyenne de pm10"``.

    >>> measure_label("sum:amount", "en"), measure_label("p90:delay", "fr")
    ('total amount', '90e centile de delay')
    """
    function, _, column = measure.partition(":")
    quantile = QUANTILE.match(function)
    if quantile:
        return t("measure_quantile", locale, p=quantile.group(1), column=column)
    if function == "count":
        return t("measure_count_col", locale, column=column) if column else t("measure_count",
                                                                               locale)
    return t(f"measure_{function}", locale, column=column)


def axis_title(title: str, unit: str | None) -> str:
    """``"PM10"`` and ``"µg/m³"`` -> ``"PM10 (µg/m³)"``."""
    if not unit:
        return title
    return f"{title} ({unit})" if title else unit


def sentence(parts: list[str]) -> str:
    """Parts joined as sentences: each starts with a capital letter and ends with a full stop."""
    return " ".join(p[:1].upper() + p[1:] + ("" if p.endswith(".") else ".") for p in parts if p)
