"""FilterPanel: filters built from a dataset's columns, pushed to the service by linked views.

``panel.where`` is the list of conditions, in the records/aggregate form; views built with
``.of(dataset, ..., filters=panel)`` ask the service again when a filter changes (nothing is
filtered in the notebook). ``panel.observe(callback)`` and :func:`link` follow changes too.
"""

from __future__ import annotations

from . import source
from .filter_controls import (
    CategoryFilter,
    DateRangeFilter,
    RangeFilter,
    TextFilter,
    reset,
    watch,
)
from .i18n import as_datetime, t
from .render import View
from .style import MUTED, block, css, esc, tag
from .titles import column_title

MAX_OPTIONS = 200  # more distinct values than this: a "contains" text filter instead
NUMBER_TYPES = ("int", "uint", "float", "double", "decimal")


def column_kind(arrow_type: str) -> str | None:
    """How to filter a column of this (Arrow) type: "date", "number", "category" or None.

    >>> column_kind("timestamp[us, tz=UTC]"), column_kind("int64"), column_kind("geometry")
    ('date', 'number', None)
    """
    if arrow_type.startswith(("date", "timestamp")):
        return "date"
    if arrow_type.startswith(NUMBER_TYPES):
        return "number"
    if arrow_type.startswith(("string", "large_string", "bool", "dictionary")):
        return "category"
    return None


def frame_schema(frame) -> list[dict]:
    """describe()-style columns ([{name, type}]) of a DataFrame."""
    import pyarrow as pa

    schema = pa.Schema.from_pandas(frame, preserve_index=False)
    return [{"name": f.name, "type": str(f.type)} for f in schema]


def link(panel, *views) -> None:
    """Refresh `views` whenever `panel`'s filters change (``.of(..., filters=panel)`` does it).

    Example, for a view that reads ``panel.where`` in its own refresh()::

        link(panel, my_map)
    """
    for view in views:
        panel.observe(lambda _panel, view=view: view.refresh())


class FilterPanel(View):
    """Filters for chosen columns: categories (multiple choice), numeric ranges, periods.

    `schema`: the columns as ``describe(id)["columns"]`` gives them; `options`: the values of
    category columns; `bounds`: (low, high) of numeric and date columns; `names`: per column,
    what to show for a value (``{"status": {"in service": "en service"}}``). Build it from a
    dataset with ``FilterPanel.of(id, columns=[...])`` or from a DataFrame with ``data=``.

    >>> import pandas as pd
    >>> panel = FilterPanel(data=pd.DataFrame({"commune": ["Lyon", "Bron"], "pm10": [3, 9]}))
    >>> panel.set("commune", ["Lyon"]); panel.where
    [('commune', 'in', ['Lyon'])]
    """

    def __init__(self, schema=None, *, data=None, columns=None, options=None, bounds=None,
                 locale: str | None = None, names: dict | None = None):
        if data is not None:
            schema = schema or frame_schema(data)
            options, bounds = options or frame_options(data), bounds or frame_bounds(data)
        self.locale, self.callbacks, self.names = locale, [], names or {}
        self.filters = {}
        for column in schema or ():
            if (columns is None or column["name"] in columns) and column.get("rule") != (
                    "pseudonymised"):
                item = self._filter(column, options or {}, bounds or {})
                if item is not None:
                    self.filters[column["name"]] = item
                    watch(item, self._changed)

    def _filter(self, column: dict, options: dict, bounds: dict):
        name, kind = column["name"], column_kind(column["type"])
        label = column_title(column, name, self.locale)
        if kind == "date":
            first, last = (as_datetime(v) for v in bounds.get(name, (None, None)))
            return DateRangeFilter(name, first and first.date(), last and last.date(),
                                   self.locale, label)
        if kind == "number" and name in bounds and None not in bounds[name]:
            low, high = bounds[name]
            return RangeFilter(name, low, high, column["type"].startswith(("int", "uint")),
                               self.locale, label)
        if kind == "category":
            values = options.get(name)
            if values is None or len(values) >= MAX_OPTIONS:
                return TextFilter(name, self.locale, label)
            return CategoryFilter(name, values, self.locale, label, self.names.get(name))
        return None

    @classmethod
    def of(cls, dataset: str, columns=None, **options) -> FilterPanel:
        """Filters for `columns` (default: every column that can be filtered) of a dataset;
        the values and bounds are asked of the service, under your rights."""
        schema = [c for c in source.describe(dataset)["columns"]
                  if columns is None or c["name"] in columns]
        kinds = {c["name"]: column_kind(c["type"]) for c in schema if not c.get("rule")}
        return cls(schema, columns=columns, options=service_options(dataset, kinds),
                   bounds=service_bounds(dataset, kinds), **options)

    @property
    def where(self) -> list[tuple]:
        """The conditions of every filter set, e.g. ``[("commune", "in", ["Lyon"])]``."""
        return [c for item in self.filters.values() for c in item.where()]

    def observe(self, callback) -> None:
        """Call ``callback(panel)`` after every change of a filter."""
        self.callbacks.append(callback)

    def unobserve(self, callback) -> None:
        self.callbacks.remove(callback)

    def _changed(self, _change=None) -> None:
        for callback in list(self.callbacks):
            callback(self)

    def set(self, column: str, value) -> None:
        """Set a filter from code: values (category), (low, high) (range or period)."""
        item = self.filters[column]
        if isinstance(item, DateRangeFilter):
            item.start.value, item.end.value = value
        else:
            item.control.value = tuple(value) if not isinstance(value, str) else value

    def reset(self) -> None:
        """Clear every filter (one change notified)."""
        callbacks, self.callbacks = self.callbacks, []
        try:
            for item in self.filters.values():
                reset(item)
        finally:
            self.callbacks = callbacks
        self._changed()

    def summary(self) -> list[str]:
        return [self.filters[name].summary() for name in self.filters
                if self.filters[name].where()]

    def static_html(self) -> str:
        active = self.summary()
        text = (t("filters_active", self.locale,
                   filters=t("separator", self.locale).join(active)) if active
                else t("filters_none", self.locale))
        return block(tag("p", esc(text), style=css(color=MUTED, font_size="0.9rem",
                                                   margin="0 0 0.6rem")))

    def interactive(self):
        import ipywidgets as w

        clear = w.Button(description=t("filters_reset", self.locale), icon="times")
        clear.on_click(lambda _: self.reset())
        return w.VBox([item.control for item in self.filters.values()] + [clear])

    def text(self) -> str:
        return "; ".join(self.summary()) or t("filters_none", self.locale)


def frame_options(frame) -> dict:
    """Sorted distinct values of a DataFrame's text and boolean columns."""
    return {c: sorted(frame[c].dropna().unique().tolist(), key=str)[:MAX_OPTIONS]
            for c in frame.columns
            if frame[c].dtype.kind not in "iufcmM"}


def frame_bounds(frame) -> dict:
    """(min, max) of a DataFrame's numeric and date columns."""
    def plain(x):
        return x.item() if hasattr(x, "item") else x

    return {c: (plain(frame[c].min()), plain(frame[c].max())) for c in frame.columns
            if frame[c].dtype.kind in "iufmM" and frame[c].notna().any()}


def service_options(dataset: str, kinds: dict) -> dict:
    """The values of the category columns, most frequent first (one aggregate per column)."""
    found = {}
    for name in (n for n, k in kinds.items() if k == "category"):
        groups = source.aggregate(dataset, by=[name], measures=["count"], order_by=["-count"],
                                  limit=MAX_OPTIONS)
        found[name] = sorted(groups[name].dropna().tolist(), key=str)
    return found


def service_bounds(dataset: str, kinds: dict) -> dict:
    """(min, max) of the number and date columns, in one aggregate."""
    names = [n for n, k in kinds.items() if k in ("number", "date")]
    if not names:
        return {}
    measures = [f"{f}:{n}" for n in names for f in ("min", "max")]
    row = source.aggregate(dataset, measures=measures).iloc[0]
    return {n: (row[f"min_{n}"], row[f"max_{n}"]) for n in names}
