"""The interactive Table: sort controls, previous/next buttons, the page, export buttons.

The controls change the table's `sort` and `page` and rewrite the page in place (the
buttons keep the keyboard focus); export links follow the current order.
"""

from __future__ import annotations

from .export import FORMATS, download_link
from .i18n import t


def _sort_options(table) -> list[tuple[str, str | None]]:
    columns = table.columns or [str(c) for c in table.page_rows(0, 1).columns]
    options = [(t("sort_none", table.locale), None)]
    for column in columns:
        name = table.header(column)
        options += [(f"{name} ▲", column), (f"{name} ▼", f"-{column}")]
    return options


def _current_sort(table) -> str | None:
    return None if not table.sort else ("-" if table.sort[1] else "") + table.sort[0]


def controls(table):
    """The ipywidget of `table` (see the module docstring)."""
    import ipywidgets as w

    from .table import parse_sort

    loc = table.locale
    body, status, exports = w.HTML(), w.HTML(), w.HTML()
    previous = w.Button(description=t("previous", loc), icon="arrow-left")
    following = w.Button(description=t("next", loc), icon="arrow-right")
    sort = w.Dropdown(options=_sort_options(table), value=_current_sort(table),
                      description=t("sort_by", loc))

    def show(_=None):
        rows = table.page_rows()
        body.value = table.table_html(rows) if not rows.empty else t("no_data", loc)
        first = table.page * table.page_size
        status.value = table.count_note(len(rows), first) if not rows.empty else ""
        total = table.total()
        previous.disabled = table.page == 0
        following.disabled = (first + len(rows) >= total) if total is not None else (
            len(rows) < table.page_size)
        exports.value = table.links() if table.links() is not None else exports.value

    def turn(step):
        def click(_):
            table.page = max(0, table.page + step)
            show()
        return click

    def resort(change):
        table.sort, table.page = parse_sort(change["new"]), 0
        show()

    previous.on_click(turn(-1))
    following.on_click(turn(1))
    sort.observe(resort, names="value")
    show()
    status.layout.margin = "0 0.5rem"
    parts = [body, w.HBox([previous, status, following, sort])]
    return w.VBox(parts + [exports if table.reads_pages else _frame_exports(table)])


def _frame_exports(table):
    """Buttons that make the DataFrame table's file when clicked (not on every page turn)."""
    import ipywidgets as w

    link = w.HTML()
    buttons = []
    for fmt in FORMATS:
        button = w.Button(description=t(f"export_{fmt}", table.locale), icon="download")

        def make(_, fmt=fmt):
            link.value = download_link(table.sorted_frame(), fmt, table.name, table.locale)

        button.on_click(make)
        buttons.append(button)
    return w.HBox(buttons + [link])
