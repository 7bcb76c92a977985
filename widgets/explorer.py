"""Explorer: pick a dataset, filters, a grouping, a measure and a chart from menus, see the view
at once, and copy the Python cell that makes the same view (for a dashboard notebook).

The view is an ordinary widget (BarChart.of, TimeSeries.of, Table.of, KPICard.of) built from
the same call as the copied code; every read goes through widgets/source.py.
"""

from __future__ import annotations

from dataclasses import replace

from . import source
from .browser_details import code_block
from .explorer_choices import (
    Choice,
    column_words,
    fitted,
    group_label,
    groupings,
    measure_words,
    numbers,
    widget_call,
)
from .explorer_code import cell
from .filters import FilterPanel
from .i18n import t
from .render import View
from .style import MUTED, STATUS, block, css, esc, tag


def _message(exc: Exception) -> str:
    return str(exc) or type(exc).__name__


class Explorer(View):
    """A view of a dataset built from menus, with its code one click away.

    `dataset`: the dataset shown first (default: the first of your catalog); `datasets`:
    the ids offered (default: every dataset you may read). ``choose(group=..., measure=...,
    chart=..., split=...)`` sets menus from code; ``explorer.view`` is the widget shown and
    ``explorer.code()`` the cell that makes it. Example (in an Agora workspace)::

        from widgets import Explorer
        explorer = Explorer("air_quality")
        explorer.choose(group="measured_at:month", measure="mean:pm10", chart="timeseries")
        explorer            # menus, filters and the chart; "Copier le code" gives the cell
        print(explorer.code())
    """

    def __init__(self, dataset: str | None = None, *, datasets=None, locale: str | None = None):
        self.locale, self.error, self.note = locale, None, ""
        self.columns: list[dict] = []
        self.panel, self.view = None, None
        self.datasets = self._offered(datasets)
        first = dataset or next(iter(self.datasets), None)
        self.choice = Choice(first) if first else None
        if first:
            self._open(first)

    def _offered(self, datasets) -> dict[str, str]:
        """id -> title of the datasets offered."""
        if datasets is not None:
            return {d: d for d in datasets}
        try:
            return {m["id"]: m.get("title") or m["id"] for m in source.listing()}
        except Exception as exc:  # noqa: BLE001 (shown in the widget, never a traceback)
            self.error = _message(exc)
            return {}

    def _open(self, dataset: str) -> None:
        """Read `dataset`'s columns and filters, then show its first view."""
        self.error, self.view, self.panel, self.columns = None, None, None, []
        try:
            self.columns = list(source.describe(dataset).get("columns") or [])
            self.panel = FilterPanel.of(dataset, locale=self.locale)
        except Exception as exc:  # noqa: BLE001
            self.error = _message(exc)
            return
        self.panel.observe(lambda _panel: self.update())
        self.note = "" if numbers(self.columns) else t("explorer_no_number", self.locale)
        self.choice = fitted(Choice(dataset, group=self._first_group()), self.columns)
        self.update()

    def _first_group(self) -> str | None:
        found = groupings(self.columns)
        return found[0] if found else None

    def choose(self, **changes) -> None:
        """Set menus: dataset, group, measure, chart, split; the view follows."""
        if "dataset" in changes and changes["dataset"] != self.choice.dataset:
            self._open(changes.pop("dataset"))
        changes.pop("dataset", None)
        if changes and self.panel is not None:
            self.choice = fitted(replace(self.choice, **changes), self.columns)
            self.update()

    def current(self) -> Choice:
        """The choices, with the filter panel's conditions as they are now."""
        return replace(self.choice, where=tuple(self.panel.where if self.panel else ()))

    def update(self) -> None:
        """Build the view for the current choices and read its data (errors become text)."""
        import widgets

        self.choice, self.error = self.current(), None
        name, arguments = widget_call(self.choice, self.locale, self.columns)
        try:
            self.view = getattr(widgets, name).of(**arguments)
            self.view.data  # noqa: B018 (read now, so a service error shows here)
        except Exception as exc:  # noqa: BLE001
            self.view, self.error = None, _message(exc)
        self.redraw_view()

    def redraw_view(self) -> None:
        """Hook of the interactive controls (they replace the shown view)."""

    def code(self) -> str:
        """The Python cell that makes the current view in a notebook."""
        return cell(self.current(), self.locale, self.columns)

    def problem_html(self) -> str:
        text = (t("explorer_error", self.locale, error=self.error) if self.error
                else t("explorer_empty", self.locale))
        colour, background, _ = STATUS["bad"]
        return tag("p", esc(text), role="alert",
                   style=css(color=colour, background=background, padding="0.5rem 0.8rem",
                             border_radius="6px"))

    def note_html(self) -> str:
        return tag("p", esc(self.note), style=css(color=MUTED, font_size="0.85rem",
                                                  margin="0.2rem 0")) if self.note else ""

    def view_html(self) -> str:
        if self.view is None:
            return self.problem_html()
        try:
            return self.view.static_html()
        except Exception as exc:  # noqa: BLE001
            self.error = _message(exc)
            return self.problem_html()

    def summary_html(self) -> str:
        if self.choice is None:
            return ""
        rows = [("explorer_dataset", self.datasets.get(self.choice.dataset, self.choice.dataset)),
                ("explorer_group", group_label(self.choice.group, self.locale, self.columns)),
                ("explorer_measure", measure_words(self.choice.measure, self.locale,
                                                   self.columns)),
                ("explorer_chart", t(f"chart_{self.choice.chart}", self.locale))]
        if self.choice.split:
            rows.append(("explorer_split", column_words(self.choice.split, self.columns,
                                                        self.locale)))
        text = " · ".join(t("label_value", self.locale, label=t(k, self.locale), value=v)
                          for k, v in rows)
        return tag("p", esc(text), style=css(color=MUTED, font_size="0.9rem", margin="0 0 0.4rem"))

    def static_html(self) -> str:
        if self.choice is None or self.panel is None:
            return block(self.problem_html())
        return block(self.summary_html(), self.panel.static_html(), self.note_html(),
                     self.view_html(), code_block(self.code(), self.locale,
                                                  "explorer_code_hint"), margin="0 0 1rem")

    def interactive(self):
        from .explorer_controls import controls

        return controls(self)

    def text(self) -> str:
        return self.view.text() if self.view is not None else (
            t("explorer_error", self.locale, error=self.error) if self.error
            else t("explorer_empty", self.locale))
