"""A DataFrame page as an accessible HTML table: header cells with scope, numbers aligned
right and written in the reader's language, groups hidden by small-count suppression marked.
"""

from __future__ import annotations

from .i18n import format_date, format_datetime, format_number, is_missing, t
from .source import SUPPRESSED
from .style import BORDER, MUTED, css, esc, tag

CELL = {"padding": "0.25rem 0.6rem", "border_bottom": f"1px solid {BORDER}"}


def kind(series) -> str:
    """"number", "datetime", "date", "bool" or "text": how a column's cells are written."""
    import pandas as pd

    if pd.api.types.is_bool_dtype(series):
        return "bool"
    if pd.api.types.is_numeric_dtype(series):
        return "number"
    if pd.api.types.is_datetime64_any_dtype(series):
        times = series.dropna()
        midnight = (times.dt.hour == 0) & (times.dt.minute == 0) & (times.dt.second == 0)
        return "date" if bool(midnight.all()) else "datetime"
    return "text"


def cell_text(value, how: str, locale: str | None, decimals: int | None = None) -> str:
    if is_missing(value):
        return t("missing", locale)
    if how == "number":
        return format_number(value, decimals, locale)
    if how == "bool":
        return t("yes" if value else "no", locale)
    if how == "date":
        return format_date(value, locale)
    if how == "datetime":
        return format_datetime(value, locale)
    return str(value)


def header(name: str, sort: tuple[str, bool] | None, align: str, text: str | None = None) -> str:
    """A column's <th>: `text` (default: the name) and the sort order of column `name`."""
    order = None
    if sort and sort[0] == name:
        order = "descending" if sort[1] else "ascending"
    arrow = {"ascending": " ▲", "descending": " ▼"}.get(order, "")
    return tag("th", esc(text or name), tag("span", arrow, aria_hidden="true") if arrow else "",
               scope="col", aria_sort=order,
               style=css(text_align=align, border_bottom=f"2px solid {MUTED}",
                         padding="0.3rem 0.6rem", white_space="nowrap"))


def html_table(frame, caption: str | None = None, sort: tuple[str, bool] | None = None,
               locale: str | None = None, decimals: int | None = None,
               headers: dict | None = None) -> str:
    """`frame`'s rows as a <table>; `sort` (column, descending) marks the sorted header;
    `headers`: column -> the text of its header (default: the column's name)."""
    headers = headers or {}
    hidden = frame[SUPPRESSED].fillna(False).astype(bool) if SUPPRESSED in frame else None
    columns = [c for c in frame.columns if c != SUPPRESSED]
    kinds = {c: kind(frame[c]) for c in columns}
    aligns = {c: "right" if kinds[c] == "number" else "left" for c in columns}
    head = tag("thead", tag("tr", *(header(str(c), sort, aligns[c], headers.get(c))
                                  for c in columns)),
               style=css(display="table-header-group"))
    rows = []
    for i, (_, row) in enumerate(frame.iterrows()):
        masked = hidden is not None and bool(hidden.iloc[i])
        cells = [tag("td", esc(t("suppressed_cell", locale) if masked and kinds[c] == "number"
                               and is_missing(row[c])
                               else cell_text(row[c], kinds[c], locale, decimals)),
                     style=css(text_align=aligns[c], **CELL)) for c in columns]
        rows.append(tag("tr", *cells, style=css(background="#f6f6f6") if i % 2 else None))
    title = tag("caption", esc(caption), style=css(text_align="left", font_weight="600",
                                                   padding="0 0 0.4rem")) if caption else ""
    return tag("table", title, head, tag("tbody", *rows),
               style=css(border_collapse="collapse", font_size="0.9rem",
                         font_variant_numeric="tabular-nums"))
