"""The interactive Explorer: menus (dataset, grouping, measure, chart, split), the dataset's
filter panel, the view, and "Copier le code" with the cell in a text box.

Each menu offers only what fits the others (explorer_choices); the controls are kept on
``explorer.ui`` so that code and tests can set them as a click would.
"""

from __future__ import annotations

from types import SimpleNamespace

from .explorer_choices import (
    charts,
    column_words,
    group_label,
    groupings,
    measure_words,
    measures,
    splits,
)
from .i18n import t

LABEL = {"description_width": "8rem"}
MENU = {"width": "26rem"}


def options(explorer) -> dict[str, list[tuple[str, object]]]:
    """(label, value) pairs of each menu for the explorer's dataset and choices."""
    loc, columns, choice = explorer.locale, explorer.columns, explorer.choice
    return {
        "dataset": [(f"{title} ({key})" if title != key else key, key)
                    for key, title in explorer.datasets.items()],
        "group": [(t("explorer_no_group", loc), None)]
                 + [(group_label(g, loc, columns), g) for g in groupings(columns)],
        "measure": [(measure_words(m, loc, columns), m) for m in measures(columns)],
        "chart": [(t(f"chart_{c}", loc), c) for c in charts(columns, choice.group)],
        "split": [(t("explorer_no_split", loc), None)]
                 + [(column_words(s, columns, loc), s) for s in splits(columns, choice.group)],
    }


def controls(explorer):
    """The ipywidget of `explorer` (see the module docstring)."""
    import ipywidgets as w

    loc = explorer.locale
    menus = {name: w.Dropdown(description=t(f"explorer_{name}", loc), style=LABEL,
                              layout=w.Layout(**MENU))
             for name in ("dataset", "group", "measure", "chart", "split")}
    ui = SimpleNamespace(**menus, filters=w.Box(), note=w.HTML(), view=w.Box(),
                         copy=w.Button(description=t("explorer_copy", loc), icon="copy"),
                         code=w.Textarea(layout=w.Layout(width="100%", display="none")),
                         hint=w.HTML())
    explorer.ui, busy = ui, []

    def sync():
        """Menus, filters and view as the explorer now is (without re-entering `changed`)."""
        busy.append(True)
        try:
            if explorer.choice is not None:
                for name, pairs in options(explorer).items():
                    menus[name].options = pairs
                    menus[name].value = getattr(explorer.choice, name)
                menus["split"].layout.display = (
                    None if explorer.choice.chart in ("stacked", "timeseries") else "none")
            ui.filters.children = (explorer.panel.widget(),) if explorer.panel else ()
            ui.note.value = explorer.note_html()
            show_view()
        finally:
            busy.pop()

    def show_view():
        ui.view.children = (explorer.view.widget() if explorer.view is not None
                            else w.HTML(explorer.problem_html()),)
        if ui.code.layout.display != "none":
            ui.code.value = explorer.code()

    def changed(change):
        if busy:
            return
        name = next(k for k, v in menus.items() if v is change["owner"])
        explorer.choose(**{name: change["new"]})
        sync()

    def copy(_=None):
        ui.code.value = explorer.code()
        ui.code.rows = ui.code.value.count("\n") + 2
        ui.code.layout.display = None
        ui.hint.value = t("explorer_code_hint", loc)

    for menu in menus.values():
        menu.observe(changed, names="value")
    ui.copy.on_click(copy)
    explorer.redraw_view = show_view  # a filter change rebuilds the view: show the new one
    sync()
    return w.VBox([w.HBox([w.VBox([menus["dataset"], menus["group"], menus["measure"]]),
                           w.VBox([menus["chart"], menus["split"]])],
                          layout=w.Layout(flex_flow="row wrap")),
                   ui.note, ui.filters, ui.view, ui.copy, ui.hint, ui.code])
