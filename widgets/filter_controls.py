"""One filter per column: its control (an ipywidget), its conditions, its summary.

Conditions use the records/aggregate form ``(column, op, value)``. A filter left as it
started (nothing chosen, the whole range) gives no condition.
"""

from __future__ import annotations

from datetime import date, timedelta

from .i18n import format_date, format_number, t

LABEL = {"description_width": "initial"}  # the column's whole name, not "commune…"


class CategoryFilter:
    """Values to keep (a multiple selection): ``(column, "in", [values])``. `names`: what to
    show for a value (``{"in service": "en service"}``); the value itself by default."""

    def __init__(self, column: str, options, locale: str | None = None,
                 label: str | None = None, names: dict | None = None):
        import ipywidgets as w

        self.column, self.locale, self.label = column, locale, label or column
        self.names = names or {}
        shown = [(str(self.names.get(v, v)), v) for v in options] if names else list(options)
        self.control = w.SelectMultiple(options=shown, description=self.label, style=LABEL,
                                        rows=min(6, max(2, len(shown))))

    def where(self) -> list[tuple]:
        chosen = [str(v).lower() if isinstance(v, bool) else v for v in self.control.value]
        return [(self.column, "in", chosen)] if chosen else []

    def summary(self) -> str:
        return t("filter_in", self.locale, column=self.label,
                 values=", ".join(str(self.names.get(v, v)) for v in self.control.value))


class TextFilter:
    """Text the column must contain (for columns with too many values to list)."""

    def __init__(self, column: str, locale: str | None = None, label: str | None = None):
        import ipywidgets as w

        self.column, self.locale, self.label = column, locale, label or column
        self.control = w.Text(description=self.label, placeholder=t("contains", locale), style=LABEL,
                              continuous_update=False)

    def where(self) -> list[tuple]:
        text = self.control.value.strip()
        return [(self.column, "contains", text)] if text else []

    def summary(self) -> str:
        return t("filter_contains", self.locale, column=self.label, text=self.control.value)


class RangeFilter:
    """A numeric range between the column's bounds: ``ge`` / ``le`` for the moved ends."""

    def __init__(self, column: str, low, high, integer: bool = False,
                 locale: str | None = None, label: str | None = None):
        import ipywidgets as w

        self.column, self.locale, self.label = column, locale, label or column
        self.bounds = (low, high)
        kind = w.IntRangeSlider if integer else w.FloatRangeSlider
        step = 1 if integer else ((high - low) / 100 or 1)
        self.control = kind(min=low, max=high, value=(low, high), step=step,
                            description=self.label, continuous_update=False, style=LABEL)

    def where(self) -> list[tuple]:
        (low, high), (start, end) = self.bounds, self.control.value
        return ([(self.column, "ge", start)] if start > low else []) + (
            [(self.column, "le", end)] if end < high else [])

    def summary(self) -> str:
        start, end = (format_number(v, locale=self.locale) for v in self.control.value)
        return t("filter_range", self.locale, column=self.label, start=start, end=end)


class DateRangeFilter:
    """A period: from a first day to a last day, both included (``ge`` first, ``lt`` the day
    after the last, so a time column keeps the whole last day)."""

    def __init__(self, column: str, first: date | None = None, last: date | None = None,
                 locale: str | None = None, label: str | None = None):
        import ipywidgets as w

        self.column, self.locale, self.label = column, locale, label or column
        self.bounds = (first, last)
        self.start = w.DatePicker(description=t("date_from", locale))
        self.end = w.DatePicker(description=t("date_to", locale))
        # the data's dates as a hint, not as limits: a later snapshot may hold newer days
        span = (f" ({format_date(first, locale)} – {format_date(last, locale)})"
                if first and last else "")
        self.control = w.VBox([w.Label(self.label + span), w.HBox([self.start, self.end])])

    def observe(self, callback) -> None:
        for picker in (self.start, self.end):
            picker.observe(callback, names="value")

    def where(self) -> list[tuple]:
        start, end = self.start.value, self.end.value
        return ([(self.column, "ge", start.isoformat())] if start else []) + (
            [(self.column, "lt", (end + timedelta(days=1)).isoformat())] if end else [])

    def summary(self) -> str:
        start, end = self.start.value, self.end.value
        return t("filter_dates", self.locale, column=self.label,
                 start=format_date(start, self.locale) if start else "…",
                 end=format_date(end, self.locale) if end else "…")

    def reset(self) -> None:
        self.start.value = self.end.value = None


def watch(item, callback) -> None:
    """Call `callback` whenever `item`'s control changes value."""
    if hasattr(item, "observe"):
        item.observe(callback)
    else:
        item.control.observe(callback, names="value")


def reset(item) -> None:
    """Put `item` back as it started (no condition)."""
    if hasattr(item, "reset"):
        item.reset()
    elif isinstance(item, RangeFilter):
        item.control.value = item.bounds
    else:
        item.control.value = () if isinstance(item, CategoryFilter) else ""
