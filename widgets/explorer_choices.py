"""What the Explorer offers for a dataset's columns, and the widget call one set of choices
gives (the same call builds the view and is written as the code to copy).

Groupings: text columns (never a pseudonymised one: the service refuses it) and time buckets
of date columns; measures: counts of anything, sums, means, extremes and the 90th percentile of
numeric columns without a column rule; charts: only those that fit the grouping.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .filters import column_kind
from .i18n import t
from .titles import column_title, in_sentence, measure_label

UNITS = ("day", "week", "month", "quarter", "year")
NUMBER_MEASURES = ("sum", "mean", "min", "max", "p90")
WIDGETS = {"bar": "BarChart", "stacked": "BarChart", "timeseries": "TimeSeries",
           "table": "Table", "kpi": "KPICard"}


@dataclass(frozen=True)
class Choice:
    """One explorer view: dataset, grouping (column, ``column:unit`` or None), measure, chart,
    split column (stacked bars, series) and filter conditions."""

    dataset: str
    group: str | None = None
    measure: str = "count"
    chart: str | None = None  # None: the first that fits
    split: str | None = None
    where: tuple = ()

    @property
    def bucket(self) -> str | None:
        return self.group if self.group and ":" in self.group else None


def _pseudonymised(column: dict) -> bool:
    return column.get("rule") == "pseudonymised"


def categories(columns: list[dict]) -> list[str]:
    """Columns one may group by: text and booleans, not pseudonymised."""
    return [c["name"] for c in columns
            if column_kind(c["type"]) == "category" and not _pseudonymised(c)]


def groupings(columns: list[dict]) -> list[str]:
    """Category columns, then ``column:unit`` time buckets of the date columns."""
    dates = [c["name"] for c in columns if column_kind(c["type"]) == "date" and not c.get("rule")]
    return categories(columns) + [f"{name}:{unit}" for name in dates for unit in UNITS]


def numbers(columns: list[dict]) -> list[str]:
    """Numeric columns without a column rule."""
    return [c["name"] for c in columns if column_kind(c["type"]) == "number" and not c.get("rule")]


def measures(columns: list[dict]) -> list[str]:
    """``count``, distinct counts of text columns, numeric measures of numeric columns.

    >>> measures([{"name": "id", "type": "string", "rule": "pseudonymised"},
    ...           {"name": "amount", "type": "double"}])
    ['count', 'distinct:id', 'sum:amount', 'mean:amount', 'min:amount', 'max:amount', 'p90:amount']
    """
    counted = [f"distinct:{c['name']}" for c in columns if column_kind(c["type"]) == "category"]
    return ["count", *counted, *(f"{f}:{n}" for n in numbers(columns) for f in NUMBER_MEASURES)]


def splits(columns: list[dict], group: str | None) -> list[str]:
    """Columns to split a grouping by (stacks, series): the other category columns."""
    return [name for name in categories(columns) if name != group] if group else []


def charts(columns: list[dict], group: str | None) -> list[str]:
    """The chart types that fit a grouping, the most telling first."""
    if group is None:
        return ["kpi", "table"]
    if ":" in group:
        return ["timeseries", "kpi", "table"]
    return ["bar", *(["stacked"] if splits(columns, group) else []), "table"]


def fitted(choice: Choice, columns: list[dict]) -> Choice:
    """`choice` with every menu set to a value its dataset and grouping offer."""
    group = choice.group if choice.group in groupings(columns) else None
    measure = choice.measure if choice.measure in measures(columns) else "count"
    chart = choice.chart if choice.chart in charts(columns, group) else charts(columns, group)[0]
    split = choice.split if choice.split in splits(columns, group) else None
    if chart == "stacked" and split is None:
        split = splits(columns, group)[0]
    if chart not in ("stacked", "timeseries"):
        split = None
    return Choice(choice.dataset, group, measure, chart, split, tuple(choice.where))


def column_words(name: str, columns=(), locale: str | None = None) -> str:
    """What readers call column `name`: its title among `columns` (describe's), or its name."""
    return column_title(next((c for c in columns if c["name"] == name), None), name, locale)


def measure_words(measure: str, locale: str | None = None, columns=()) -> str:
    """``"mean:pm10"`` -> ``"moyenne de PM10"`` (the column's title among `columns`)."""
    column = measure.partition(":")[2]
    return measure_label(measure, locale, column_words(column, columns, locale) if column
                         else None)


def group_label(group: str | None, locale: str | None = None, columns=()) -> str:
    """``"measured_at:month"`` -> ``"Date de mesure (mois)"``; a column is said by its title."""
    if not group:
        return t("explorer_no_group", locale)
    column, _, unit = group.partition(":")
    words = column_words(column, columns, locale)
    return t(f"bucket_{unit}", locale, column=words) if unit else words


def title(choice: Choice, locale: str | None = None, columns=()) -> str:
    """The view's title: ``"Moyenne de PM10 par commune"``."""
    measure = measure_words(choice.measure, locale, columns)
    what = measure[:1].upper() + measure[1:]
    if choice.group is None:
        return what
    return t("explorer_by", locale, measure=what,
             group=in_sentence(group_label(choice.group, locale, columns)))


def widget_call(choice: Choice, locale: str | None = None, columns=()) -> tuple[str, dict]:
    """(widget class name, arguments of its ``.of``) for `choice`, unset ones left out;
    `columns` (describe's) give the words of the title."""
    where = list(choice.where) or None
    named = {"title": title(choice, locale, columns), "locale": locale}
    if choice.chart in ("bar", "stacked"):
        args = {"by": choice.group, "measure": choice.measure, "stack": choice.split}
    elif choice.chart == "timeseries":
        args = {"bucket": choice.group, "measure": choice.measure, "series": choice.split}
    elif choice.chart == "table":
        args = {"by": None if choice.bucket else choice.group, "bucket": choice.bucket,
                "measure": choice.measure}
    else:  # a card: the measure (of the last period with a bucket); up or down, not good or bad
        args = {"measure": choice.measure, "bucket": choice.bucket}
        named = {"label": title(replace(choice, group=None), locale, columns), "locale": locale}
    arguments = {"dataset": choice.dataset, **args, "where": where, **named}
    arguments = {k: v for k, v in arguments.items() if v is not None}
    if choice.chart == "kpi":
        arguments["better"] = None  # the explorer cannot tell whether a rise is good news
    return WIDGETS[choice.chart], arguments
