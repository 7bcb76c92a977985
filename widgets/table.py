"""Table: rows page by page, sorted by any column, exported as CSV or Excel exactly as shown.

A table of a dataset asks the service for one page at a time (filters and sort pushed to the
service) and exports through the service's export URLs, under the reader's own rights; a table
of a DataFrame pages, sorts and exports the DataFrame itself. On paper: the first rows and
"N of M rows".
"""

from __future__ import annotations

from .cells import html_table
from .dataview import DataView
from .export import export_links
from .i18n import format_number, t
from .source import Query, bucket_column, measure_column
from .style import MUTED, block, css, esc, tag
from .titles import axis_title


def parse_sort(sort: str | None) -> tuple[str, bool] | None:
    """``"-pm10"`` -> ``("pm10", True)`` (descending); None stays None."""
    if not sort:
        return None
    return (sort[1:], True) if sort.startswith("-") else (sort, False)


class Table(DataView):
    """A paged, sortable table with CSV/XLSX export.

    `columns`: the columns shown (default: all); `page_size`: rows per page; `sort`: a column,
    ``"-column"`` for descending; `static_rows`: rows printed in static mode (default: a page).

    >>> import pandas as pd
    >>> frame = pd.DataFrame({"commune": ["Lyon", "Bron", "Caluire"], "pm10": [61.2, 12.5, 55]})
    >>> table = Table(frame, sort="-pm10", page_size=2, locale="en")
    >>> table.page_rows()["commune"].tolist(), table.total()
    (['Lyon', 'Caluire'], 3)
    """

    def __init__(self, data=None, *, columns=None, page_size: int = 20, sort: str | None = None,
                 static_rows: int | None = None, decimals: int | None = None,
                 name: str = "table", **options):
        super().__init__(data, **options)
        self.columns = list(columns) if columns else None
        self.page_size, self.static_rows, self.decimals = page_size, static_rows, decimals
        self.sort, self.page, self.name = parse_sort(sort), 0, name
        self.grouped = False  # True: a table of an aggregate's groups (Table.of(by=...))
        self._pages: dict = {}
        self._total: int | None = None

    @classmethod
    def of(cls, dataset: str, *, select=(), where=(), filters=None, sort: str | None = None,
           by=None, bucket: str | None = None, measure=None, **options) -> Table:
        """A table of a dataset's rows, read from the service a page at a time; with `by`,
        `bucket` or `measure`, a table of the groups of an aggregate instead (one row each).

        ``Table.of("air_quality", select=["sensor_id", "measured_at", "pm10"],
        sort="-pm10", filters=panel, page_size=25)``;
        ``Table.of("air_quality", by="commune_code", measure=["count", "mean:pm10"])``
        """
        if by is None and bucket is None and measure is None:
            return cls(query=Query(dataset, tuple(where), filters), columns=select or None,
                       sort=sort, name=dataset, **options)
        measures = [measure] if isinstance(measure, str) else list(measure or ["count"])
        params = {"by": [by] if isinstance(by, str) else (list(by) if by else None),
                  "bucket": bucket, "measures": measures,
                  "order_by": [bucket_column(bucket)] if bucket else None}
        table = cls(query=Query(dataset, tuple(where), filters, params), sort=sort,
                    name=dataset, **options)
        table.grouped = True
        return table

    def header(self, column: str) -> str:
        """A column's header: its title and unit ("Puissance (kW)"); in a table of groups, a
        measure in words ("moyenne de PM10 (µg/m³)") and a period with its unit of time."""
        if column in self.labels or self.query is None:
            return self.label(column)
        params = self.query.params if self.grouped else {}
        for measure in params.get("measures") or ():
            if measure_column(measure) == column:
                return axis_title(self.measure_text(measure), self.unit_of(measure))
        bucket = params.get("bucket")
        if bucket and bucket_column(bucket) == column:
            name, _, unit = bucket.partition(":")
            return t(f"bucket_{unit}", self.locale, column=self.label(name))
        return axis_title(self.label(column), (self.query.column(column) or {}).get("unit"))

    @property
    def reads_pages(self) -> bool:
        """True for a table of a dataset's rows (pages and exports from the service)."""
        return self.query is not None and not self.grouped

    def fetch(self):
        if self.grouped:  # a table of groups: all of them at once (at most 10,000)
            return self.query.aggregate()
        return None  # a dataset's table reads pages, never the whole dataset

    def order_by(self) -> list[str]:
        return [("-" if self.sort[1] else "") + self.sort[0]] if self.sort else []

    def sorted_frame(self):
        """A DataFrame table's rows in the table's order, with its columns."""
        frame = self.data[self.columns] if self.columns else self.data
        if self.sort:
            frame = frame.sort_values(self.sort[0], ascending=not self.sort[1], kind="stable")
        return frame

    def page_rows(self, page: int | None = None, size: int | None = None):
        """The rows of one page (default: the current one)."""
        page, size = self.page if page is None else page, size or self.page_size
        if not self.reads_pages:
            return self.sorted_frame().iloc[page * size:(page + 1) * size]
        key = (page, size, self.sort)
        if key not in self._pages:
            self._pages[key] = self.query.records(select=self.columns, order_by=self.order_by(),
                                                  limit=size, offset=page * size)
        return self._pages[key]

    def total(self) -> int | None:
        """How many rows the table has (None when the service could not count them)."""
        if not self.reads_pages:
            return len(self.data)
        if self._total is None:
            try:
                counted = self.query.aggregate(measures=["count"])
                self._total = int(counted["count"].sum())
            except Exception:  # noqa: BLE001 (a count is a nicety: the rows still show)
                return None
        return self._total

    def refresh(self) -> None:
        self._pages, self._total, self.page = {}, None, 0
        super().refresh()

    def count_note(self, shown: int, first: int | None = None) -> str:
        """"20 of 134 rows", or with `first` (a page's first row) "rows 21–40 of 134"."""
        def number(n):
            return format_number(n, 0, self.locale)

        total = self.total()
        if total is None:
            return t("rows_shown_unknown", self.locale, shown=number(shown))
        if first is not None:
            return t("rows_range", self.locale, first=number(first + 1),
                     last=number(first + shown), total=number(total))
        return t("rows_shown", self.locale, shown=number(shown), total=number(total))

    def table_html(self, rows) -> str:
        headers = {c: self.header(str(c)) for c in rows.columns}
        return html_table(rows, self.title, self.sort, self.locale, self.decimals, headers)

    def static_html(self) -> str:
        rows = self.page_rows(0, self.static_rows)
        if rows.empty:
            return block(tag("p", esc(t("no_data", self.locale)), style=css(color=MUTED)))
        note = tag("p", esc(self.count_note(len(rows))),
                   style=css(color=MUTED, font_size="0.85rem", margin="0.3rem 0 0"))
        return block(self.table_html(rows), note, margin="0 0 1rem")

    def interactive(self):
        from .table_controls import controls

        return controls(self)

    def text(self) -> str:
        return f"{self.title or self.name}: {self.count_note(len(self.page_rows()))}"

    def links(self) -> str | None:
        """Export links of the service (a dataset's table), None for a DataFrame's table."""
        return export_links(self) if self.reads_pages else None
