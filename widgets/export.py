"""Exports of a Table as it is shown (its filters, columns and order, every page).

A dataset's table links to the service's ``export.csv`` / ``export.xlsx`` with the same
parameters: the browser sends the reader's own login, so the file holds what they may see,
and the link holds no token. A DataFrame's table makes the file in the kernel and offers it
as a ``data:`` link.
"""

from __future__ import annotations

import base64
import io

from .data import AgoraError
from .i18n import format_number, t
from .source import export_url
from .style import css, esc, tag

FORMATS = {"csv": "text/csv;charset=utf-8",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
LINK = css(margin_right="1rem", font_weight="600")


def service_urls(table) -> dict[str, str]:
    """Export URL per format for a dataset's table (same where, select and order_by)."""
    query = table.query
    return {fmt: export_url(query.dataset, fmt, where=query.conditions(),
                            select=table.columns or (), order_by=table.order_by())
            for fmt in FORMATS}


def export_links(table) -> str:
    """HTML links to the service's exports; a note instead when the service is unknown."""
    try:
        urls = service_urls(table)
    except AgoraError:
        return tag("span", esc(t("export_unavailable", table.locale)))
    return "".join(tag("a", esc(t(f"export_{fmt}", table.locale)), href=url, style=LINK,
                       download="") for fmt, url in urls.items())


def _plain_times(frame):
    """Excel has no time zones: zoned times become the same instant in local time."""
    frame = frame.copy()
    for name in frame.columns:
        if getattr(frame[name].dtype, "tz", None) is not None:
            frame[name] = frame[name].dt.tz_convert(None)
    return frame


def file_bytes(frame, fmt: str) -> bytes:
    """`frame` as a CSV (UTF-8, like the service's) or XLSX file."""
    if fmt == "csv":
        return frame.to_csv(index=False).encode("utf-8")
    buffer = io.BytesIO()
    _plain_times(frame).to_excel(buffer, index=False)
    return buffer.getvalue()


def download_link(frame, fmt: str, name: str, locale: str | None = None) -> str:
    """A link that saves `frame` as `name`.`fmt` from the page itself (no server involved)."""
    body = file_bytes(frame, fmt)
    href = f"data:{FORMATS[fmt]};base64,{base64.b64encode(body).decode()}"
    size = format_number(max(1, round(len(body) / 1024)), 0, locale)
    text = t("download_file", locale, file=f"{name}.{fmt}", size=size)
    return tag("a", esc(text), href=href, download=f"{name}.{fmt}", style=LINK)
