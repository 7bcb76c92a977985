"""The base of Agora's charts: an Altair chart drawn as an inline SVG image with a text
alternative (static) or as an offline JupyterChart (interactive), titled in HTML text.

Subclasses (TimeSeries, BarChart) write ``layers()`` and ``alt_text()``.
"""

from __future__ import annotations

import base64
import json
import re

from . import vega
from .dataview import DataView, visible_rows
from .i18n import locale as current_locale
from .i18n import t
from .style import MUTED, block, css, esc, tag


def values(frame) -> list[dict]:
    """A DataFrame as Vega data: one dict per row, times as ISO text, NaN as null."""
    return json.loads(frame.to_json(orient="records", date_format="iso", date_unit="s"))


def svg_image(svg: str, alt: str) -> str:
    """An <img> of `svg` inline (a data: URI, so ids of several charts never clash)."""
    size = re.search(r'<svg[^>]*\bwidth="([\d.]+)"[^>]*\bheight="([\d.]+)"', svg)
    width, height = (round(float(v)) for v in size.groups()) if size else (None, None)
    source = "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
    return (f'<img src="{source}" alt="{esc(alt)}" width="{width}" height="{height}" '
            f'style="max-width:100%;height:auto;display:block">')


class Chart(DataView):
    """A chart of a DataFrame. Common options: `title`, `locale`, `width`, `height` (pixels)."""

    width, height = 640, 280

    def __init__(self, data=None, *, query=None, title=None, locale=None, width=None,
                 height=None, labels=None):
        super().__init__(data, query=query, locale=locale, title=title, labels=labels)
        self.width, self.height = width or self.width, height or self.height

    @property
    def shown(self):
        """The rows drawn: the data without groups the service suppressed."""
        return visible_rows(self.data)[0]

    def layers(self):
        """The Altair chart, before Agora's look and size are applied."""
        raise NotImplementedError

    def alt_text(self) -> str:
        """One or two sentences saying what the chart shows: what, range, highest value."""
        raise NotImplementedError

    def lang(self) -> str:
        return current_locale(self.locale)

    def altair(self):
        """The Altair chart as drawn (to customise or save with Altair's own tools)."""
        chart = self.layers().properties(width=self.width, height=self.height,
                                         description=self.alt_text())
        return chart.configure(**vega.config())

    def spec(self) -> dict:
        """The Vega-Lite specification, data inline."""
        return self.altair().to_dict()

    def svg(self) -> str:
        """The chart as an SVG document, drawn offline."""
        return vega.svg(self.spec(), self.lang())

    def notes(self) -> str:
        hidden = visible_rows(self.data)[1]
        if not hidden:
            return ""
        return tag("p", esc(t("suppressed_note", self.locale, count=hidden)),
                   style=css(color=MUTED, font_size="0.85rem", margin="0.3rem 0 0"))

    def caption(self, name: str = "figcaption") -> str:
        """The title as text: a figcaption (static), a heading above the widget (interactive)."""
        if not self.title:
            return ""
        heading = {"role": "heading", "aria_level": "3"} if name != "figcaption" else {}
        return tag(name, esc(self.title), **heading,
                   style=css(font_weight="600", font_size="1.05rem", margin="0 0 0.4rem"))

    def empty(self) -> str:
        return tag("p", esc(t("no_data", self.locale)), style=css(color=MUTED))

    def static_html(self) -> str:
        body = self.empty() if self.shown.empty else svg_image(self.svg(), self.alt_text())
        return block(tag("figure", self.caption(), body, self.notes(),
                         style=css(margin="0")), margin="0 0 1rem")

    def interactive(self):
        import ipywidgets

        if self.shown.empty:
            return ipywidgets.HTML(self.static_html())
        chart = vega.jupyter_chart(self.altair(), self.lang())
        parts = [ipywidgets.HTML(block(self.caption("div")))] if self.title else []
        return ipywidgets.VBox(parts + [chart] + ([ipywidgets.HTML(self.notes())]
                                                  if self.notes() else []))

    def text(self) -> str:
        return self.alt_text() if not self.shown.empty else t("no_data", self.locale)
