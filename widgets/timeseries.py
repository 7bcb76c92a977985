"""TimeSeries: one or several series over time, with labelled threshold lines (e.g. limits)."""

from __future__ import annotations

import math
from collections.abc import Mapping

from .chart import Chart, values
from .i18n import format_date, format_number, t
from .source import Query, bucket_column, measure_column
from .style import PALETTE, TEXT
from .titles import axis_title, sentence

DASHES = ([1, 0], [6, 3], [2, 2], [8, 3, 2, 3])  # a second cue besides colour (grey print)


def thresholds_list(thresholds) -> list[tuple[float, str]]:
    """(value, label) pairs from ``{"label": value}``, ``[(value, "label")]`` or numbers."""
    if not thresholds:
        return []
    if isinstance(thresholds, Mapping):
        return [(float(v), str(k)) for k, v in thresholds.items()]
    pairs = [item if isinstance(item, tuple) else (item, "") for item in thresholds]
    return [(float(v), str(label)) for v, label in pairs]


def time_ticks(days: float, width: int, locale: str) -> dict:
    """Axis ticks and label format for a time span: years, months, weeks, days or hours."""
    day_format = "%-d %b" if locale == "fr" else "%b %-d"
    ticks = max(2, width // 110)
    for interval, size, label in (("year", 365.25, "%Y"), ("month", 30.44, "%b %Y"),
                                  ("week", 7, day_format), ("day", 1, day_format)):
        if days >= 3 * size:
            count = {"interval": interval, "step": max(1, math.ceil(days / size / ticks))}
            break
    else:  # under three days: Vega-Lite's "hour" interval fails in Vega, a count does not
        count, label = ticks, "%H:%M"
    return {"format": label, "tickCount": count, "labelAngle": 0, "labelOverlap": True,
            "labelSeparation": 6}


class TimeSeries(Chart):
    """A line chart over time of one or several series, optional threshold lines.

    `time`: the date column; `value`: the column to draw, or a list of columns (one series
    each); `series`: a column whose values are the series (long data); `thresholds`:
    ``{"EU daily limit": 50}``; `unit`: shown on the axis and in the text alternative.

    >>> import pandas as pd
    >>> frame = pd.DataFrame({"day": pd.date_range("2026-01-01", periods=3),
    ...                       "pm10": [20.5, 61.2, 33.0]})
    >>> chart = TimeSeries(frame, time="day", value="pm10", unit="µg/m³",
    ...                    thresholds={"Valeur limite": 50}, title="PM10", locale="fr")
    >>> chart.alt_text()[:30]
    'Courbe de pm10 (µg/m³) du 01/0'

    In a notebook, ``chart`` as the last line of a cell draws it.
    """

    def __init__(self, data=None, *, time: str, value, series: str | None = None,
                 thresholds=None, unit: str | None = None, value_title: str | None = None,
                 series_title: str | None = None, **options):
        super().__init__(data, **options)
        self.time, self.series, self.unit, self.value_title = time, series, unit, value_title
        self.series_title = series_title
        self.value = [value] if isinstance(value, str) else list(value)
        self.thresholds = thresholds_list(thresholds)
        self.measures: list[str] = []

    @classmethod
    def of(cls, dataset: str, *, bucket: str, measure="count", series: str | None = None,
           where=(), filters=None, **options) -> TimeSeries:
        """A time series of aggregate `measure` (one or a list) per `bucket` of a dataset.

        ``TimeSeries.of("air_quality", bucket="measured_at:day", measure="mean:pm10",
        series="sensor_id", filters=panel, thresholds={"Limite UE": 50})``
        """
        measures = [measure] if isinstance(measure, str) else list(measure)
        params = {"measures": measures, "bucket": bucket, "by": [series] if series else None}
        chart = cls(query=Query(dataset, tuple(where), filters, params),
                    time=bucket_column(bucket), value=[measure_column(m) for m in measures],
                    series=series, **options)
        chart.measures = measures
        return chart

    def long(self):
        """The data as rows of (time, value, series), in time order."""
        import pandas as pd

        frame = self.shown
        if len(self.value) > 1:
            names = dict(zip(self.value, self.value_labels()))
            frame = frame.melt(id_vars=[self.time], value_vars=self.value, var_name="series")
            frame["series"] = frame["series"].map(names)
        else:
            columns = {self.time: "time", self.value[0]: "value"}
            frame = frame.rename(columns={**columns, **({self.series: "series"}
                                                        if self.series else {})})
        frame = frame.rename(columns={self.time: "time"})
        frame["time"] = pd.to_datetime(frame["time"])
        keep = ["time", "value"] + (["series"] if "series" in frame else [])
        return (frame[keep].dropna(subset=["value"]).sort_values("time", kind="stable")
                .reset_index(drop=True))

    def value_labels(self) -> list[str]:
        if self.measures:
            return [self.measure_text(m) for m in self.measures]
        return [self.label(v) for v in self.value]

    def value_unit(self) -> str | None:
        """`unit`, else the measured columns' unit when they share one (a dataset's chart)."""
        if self.unit or not self.measures:
            return self.unit
        units = {self.unit_of(m) for m in self.measures}
        return units.pop() if len(units) == 1 else None

    def axis(self) -> str:
        labels = self.value_labels()
        return axis_title(self.value_title or (labels[0] if len(labels) == 1 else ""),
                          self.value_unit())

    def layers(self):
        import altair as alt

        frame, axis = self.long(), self.axis()
        several = "series" in frame and frame["series"].nunique() > 1
        lines = frame["series"].nunique() if several else 1
        line = alt.Chart(alt.Data(values=values(frame))).mark_line(
            strokeWidth=2, color=PALETTE[0],
            point={"filled": True, "color": PALETTE[0]} if len(frame) <= 40 * lines else False)
        days = (frame["time"].max() - frame["time"].min()).total_seconds() / 86400
        ticks = time_ticks(days, self.width, self.lang())
        encoding = {"x": alt.X("time:T", title=None, axis=alt.Axis(**ticks)),
                    "y": alt.Y("value:Q", title=axis or None),
                    "tooltip": [alt.Tooltip("time:T", title=t("date", self.locale), format="%x"),
                                alt.Tooltip("value:Q", title=axis or "value",
                                            format=",.2~f")]}
        if several:
            title = self.series_title or (self.label(self.series) if self.series else None)
            encoding |= {"color": alt.Color("series:N", title=title),
                         "strokeDash": alt.StrokeDash("series:N", title=title,
                                                      scale=alt.Scale(range=DASHES))}
            encoding["tooltip"].insert(0, alt.Tooltip("series:N", title=title or ""))
        chart = line.encode(**encoding)
        return alt.layer(chart, *self.threshold_layers()) if self.thresholds else chart

    def threshold_layers(self):
        import altair as alt

        rows = [{"value": v, "label": self.threshold_text(v, label)}
                for v, label in self.thresholds]
        base = alt.Chart(alt.Data(values=rows)).encode(y="value:Q")
        rule = base.mark_rule(color=TEXT, strokeDash=[4, 3], strokeWidth=1.5)
        text = base.mark_text(align="right", baseline="bottom", dx=-2, dy=-3, color=TEXT,
                              fontSize=11).encode(x=alt.value(self.width), text="label:N")
        return [rule, text]

    def threshold_text(self, value: float, label: str) -> str:
        number = format_number(value, locale=self.locale)
        return t("label_value", self.locale, label=label, value=number) if label else number

    def alt_text(self) -> str:
        frame = self.long()
        if frame.empty:
            return t("no_data", self.locale)
        loc, unit = self.locale, f" {self.value_unit()}" if self.value_unit() else ""
        what = self.axis() or ", ".join(self.value_labels())
        parts = [t("alt_timeseries", loc, what=what, start=format_date(frame["time"].min(), loc),
                   end=format_date(frame["time"].max(), loc))]
        if "series" in frame and frame["series"].nunique() > 1:
            names = [str(s) for s in frame["series"].unique()]
            parts.append(t("alt_series", loc, count=len(names), names=", ".join(names[:6])))
        peak = frame.iloc[int(frame["value"].to_numpy().argmax())]
        where = f" ({peak['series']})" if len(parts) > 1 else ""
        parts.append(t("alt_peak", loc, value=format_number(peak["value"], locale=loc) + unit,
                       date=format_date(peak["time"], loc)) + where)
        for value, label in self.thresholds:
            parts.append(t("alt_threshold", loc, label=label or format_number(value, locale=loc),
                           value=format_number(value, locale=loc) + unit,
                           count=int((frame["value"] > value).sum())))
        return sentence(parts)
