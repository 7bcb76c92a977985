"""BarChart: one value per category, vertical or horizontal, optionally stacked by a column."""

from __future__ import annotations

from .chart import Chart, values
from .i18n import format_date, format_number, format_period, t
from .source import Query, bucket_column, measure_column
from .style import PALETTE
from .titles import axis_title, sentence

MAX_LABELLED = 25  # bars with their value written on them (more would crowd the chart)


class BarChart(Chart):
    """Bars of `value` per `category`; `stack`: a column whose values stack in each bar.

    `horizontal`: bars drawn left to right (better for long names or many categories);
    `sort`: "value" (largest first, the default), "category" (in the category's order) or
    None (as in the data); `unit` is shown on the axis and in the text alternative.

    >>> import pandas as pd
    >>> frame = pd.DataFrame({"commune": ["Lyon", "Bron", "Caluire"],
    ...                       "sum_amount": [1234.5, 310.0, 98.25]})
    >>> bars = BarChart(frame, category="commune", value="sum_amount", unit="k€",
    ...                 horizontal=True, title="Dépenses", locale="fr")
    >>> print(bars.alt_text())  # doctest: +NORMALIZE_WHITESPACE
    Diagramme en barres de sum_amount (k€) par commune (3 barres).
    La plus haute\u00a0: Lyon (1\u202f234,5 k€)\u00a0; la plus basse\u00a0: Caluire (98,25 k€).
    """

    def __init__(self, data=None, *, category: str, value: str, stack: str | None = None,
                 horizontal: bool = False, sort: str | None = "value",
                 unit: str | None = None, value_title: str | None = None,
                 category_title: str | None = None, **options):
        super().__init__(data, **options)
        self.auto_height = horizontal and options.get("height") is None
        self.auto_width = not horizontal and options.get("width") is None
        self.category, self.value, self.stack = category, value, stack
        self.horizontal, self.sort, self.unit = horizontal, sort, unit
        self.value_title, self.category_title = value_title, category_title
        self.measure: str | None = None
        self.period: str | None = None  # a bucket's unit: categories are periods
        self.period_of: str | None = None  # the bucketed date column

    @classmethod
    def of(cls, dataset: str, *, by: str | None = None, bucket: str | None = None,
           measure: str = "count", stack: str | None = None, where=(), filters=None,
           limit: int | None = None, **options) -> BarChart:
        """Bars of an aggregate `measure` per value of `by`, or per period of `bucket`
        (``"date:month"``, in time order), and of `stack`, in a dataset.

        `limit`: keep the groups with the largest measure. Examples:
        ``BarChart.of("budget", by="commune", measure="sum:amount", limit=10)``,
        ``BarChart.of("budget", bucket="paid_on:year", measure="sum:amount", stack="section")``
        """
        if (by is None) == (bucket is None):
            raise TypeError("BarChart.of: give by= (a column) or bucket= (a period), not both")
        order = [f"-{measure_column(measure)}"] if limit else None
        params = {"by": [c for c in (by, stack) if c] or None, "bucket": bucket,
                  "measures": [measure], "order_by": order, "limit": limit}
        if bucket:
            options.setdefault("sort", "category")
        chart = cls(query=Query(dataset, tuple(where), filters, params),
                    category=by or bucket_column(bucket), value=measure_column(measure),
                    stack=stack, **options)
        chart.measure = measure
        chart.period_of = bucket.partition(":")[0] if bucket else None
        chart.period = bucket.partition(":")[2] if bucket else None
        return chart

    def axis(self) -> str:
        title = self.value_title or (self.measure_text(self.measure) if self.measure
                                     else self.label(self.value))
        return axis_title(title, self.value_unit())

    def value_unit(self) -> str | None:
        """`unit`, else the unit of the measured column (a dataset's chart)."""
        return self.unit or (self.unit_of(self.measure) if self.measure else None)

    def category_name(self) -> str:
        if self.category_title or self.category in self.labels or not self.period:
            return self.category_title or self.label(self.category)
        return t(f"bucket_{self.period}", self.locale, column=self.label(self.period_of))

    def bars(self):
        """The rows drawn, categories as text (dates written in the reader's language)."""
        frame = self.shown
        if frame[self.category].dtype.kind == "M":
            def written(d):
                if self.period:
                    return format_period(d, self.period, self.locale)
                return format_date(d, self.locale)

            frame = frame.sort_values(self.category, kind="stable").assign(**{
                self.category: frame[self.category].map(written)})
        return frame.assign(**{self.category: frame[self.category].astype(str)})

    def totals(self):
        """Each category's value (summed over the stack), largest first."""
        frame = self.bars().dropna(subset=[self.value])
        return frame.groupby(self.category, sort=False)[self.value].sum().sort_values(
            ascending=False, kind="stable")

    def order(self) -> list | None:
        """The categories in drawing order (an explicit list: layers then agree on it)."""
        if self.sort == "value":
            return [str(c) for c in self.totals().index]
        if self.sort == "category":
            dates = self.shown[self.category].dtype.kind == "M"  # bars() put them in order
            names = self.bars()[self.category]
            return list(dict.fromkeys(names)) if dates else sorted(set(names))
        return list(dict.fromkeys(self.bars()[self.category]))

    def layers(self):
        import altair as alt

        count = self.bars()[self.category].nunique()
        if self.auto_height:  # one line per bar
            self.height = max(40, 26 * count)
        if self.auto_width:  # bars no wider than about 60 pixels
            self.width = min(Chart.width, max(160, 80 * count))
        category = (alt.Y if self.horizontal else alt.X)(
            f"{self.category}:N", sort=self.order(), title=self.category_name(),
            axis=alt.Axis(labelLimit=220, labelAngle=0 if self.horizontal or count <= 8 else -40))
        numbers = self.bars()[self.value].dropna()
        whole = bool(len(numbers)) and bool((numbers == numbers.round()).all())
        value = (alt.X if self.horizontal else alt.Y)(  # counts: no 0,5 tick
            f"{self.value}:Q", title=self.axis(), axis=alt.Axis(tickMinStep=1) if whole
            else alt.Undefined)
        tooltip = [alt.Tooltip(f"{self.category}:N", title=self.category_name()),
                   alt.Tooltip(f"{self.value}:Q", title=self.axis(), format=",.2~f")]
        base = alt.Chart(alt.Data(values=values(self.bars())))
        stack = self.label(self.stack) if self.stack else None
        colour = {"color": alt.Color(f"{self.stack}:N", title=stack)} if self.stack else {}
        if self.stack:
            tooltip.insert(1, alt.Tooltip(f"{self.stack}:N", title=stack))
        edges = {"stroke": "white", "strokeWidth": 0.5} if self.stack else {}  # apart in grey
        bars = base.mark_bar(color=PALETTE[0], **edges).encode(category, value, tooltip=tooltip,
                                                               **colour)
        if self.stack or count > MAX_LABELLED:
            return bars
        return alt.layer(bars, *self.value_labels(base, category, value))

    def value_labels(self, base, category, value) -> list:
        """Each bar's value at its end: outside the bar, on the side it grows towards."""
        import altair as alt

        text = alt.Text(f"{self.value}:Q", format=",.2~f")
        layers = []
        mark = ({"align": "left", "baseline": "middle", "dx": 3} if self.horizontal else
                {"align": "center", "baseline": "bottom", "dy": -2})
        at_zero = (alt.XDatum if self.horizontal else alt.YDatum)(0)
        for test, where in ((">= 0", value), ("< 0", at_zero)):  # a negative bar: by the axis
            layers.append(base.mark_text(fontSize=11, **mark).encode(category, where, text=text)
                          .transform_filter(f"datum[{self.value!r}] {test}"))
        return layers

    def alt_text(self) -> str:
        totals, loc = self.totals(), self.locale
        if totals.empty:
            return t("no_data", loc)
        unit = f" {self.value_unit()}" if self.value_unit() else ""
        named = {"what": self.axis(), "category": self.category_name(),
                 "count": len(totals)}
        first = t("alt_bars" if len(totals) > 1 else "alt_bar", loc, **named)
        if self.stack:
            first += t("alt_stacked", loc, stack=self.label(self.stack))

        def item(name):
            return f"{name} ({format_number(totals[name], locale=loc)}{unit})"

        extremes = t("alt_extremes", loc, top=item(totals.index[0]),
                     bottom=item(totals.index[-1])) if len(totals) > 1 else item(totals.index[0])
        return sentence([first, extremes])
