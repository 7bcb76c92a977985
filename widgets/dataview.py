"""The base of widgets that show a DataFrame: given as ``data=``, or read from a dataset.

A view built from a dataset holds a :class:`~widgets.source.Query`; when its filter panel
changes, :meth:`DataView.refresh` runs the query again and redraws the view.
"""

from __future__ import annotations

from .render import View
from .source import SUPPRESSED, Query
from .titles import column_title, measure_label, measure_unit


class DataView(View):
    """A View of a DataFrame (`data`) or of what `query` returns (read when first needed)."""

    needs_data = True  # False: the view can also be given its numbers directly

    def __init__(self, data=None, *, query: Query | None = None, locale: str | None = None,
                 title: str | None = None, labels: dict[str, str] | None = None):
        if data is None and query is None and self.needs_data:
            raise ValueError(f"{type(self).__name__}: give data= (a DataFrame) or build it "
                             f"from a dataset with {type(self).__name__}.of(...)")
        self._data, self.query, self.locale, self.title = data, query, locale, title
        self.labels = dict(labels or {})
        if query is not None and getattr(query.filters, "observe", None):
            query.filters.observe(lambda _panel: self.refresh())

    def label(self, column: str) -> str:
        """What readers call `column`: `labels`' word, else the dataset's title for it (in
        the reader's language), else its name."""
        if column in self.labels:
            return self.labels[column]
        return column_title(self.query.column(column) if self.query else None, column,
                            self.locale)

    def measure_text(self, measure: str) -> str:
        """``"mean:pm10"`` -> "moyenne de PM10", with the column's title."""
        column = measure.partition(":")[2]
        return measure_label(measure, self.locale, self.label(column) if column else None)

    def unit_of(self, measure: str) -> str | None:
        """The unit of an aggregate measure's values, from the dataset's column."""
        column = measure.partition(":")[2]
        return measure_unit(measure, self.query.column(column) if self.query and column
                            else None)

    def fetch(self):
        """The DataFrame for the query (subclasses say which service call)."""
        return self.query.aggregate()

    @property
    def data(self):
        """The DataFrame shown (read from the service the first time, after a refresh)."""
        if self._data is None and self.query is not None:
            self._data = self.fetch()
        return self._data

    def refresh(self) -> None:
        if self.query is not None:
            self._data = None
        self.redraw()


def visible_rows(frame):
    """`frame` without the groups the service suppressed (their measures are null), and
    how many were left out."""
    if SUPPRESSED not in frame.columns:
        return frame, 0
    hidden = frame[SUPPRESSED].fillna(False).astype(bool)
    return frame[~hidden].drop(columns=[SUPPRESSED]), int(hidden.sum())
