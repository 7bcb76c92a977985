"""The interactive DatasetBrowser: search box, theme and keyword menus, results with a
"Details" button each, then the chosen dataset's metadata, code and data on a click.

The controls are kept on ``browser.ui`` (a SimpleNamespace) so that code and tests can set
them as a click would.
"""

from __future__ import annotations

from types import SimpleNamespace

from .browser import MAX_SHOWN
from .browser_details import details, result_line
from .i18n import t
from .style import MUTED, css, esc, tag

LABEL = {"description_width": "initial"}
PREVIEW_ROWS = 10


def _menus(browser):
    import ipywidgets as w

    loc = browser.locale
    words = w.Text(value=browser.words, description=t("browser_search", loc), style=LABEL,
                   placeholder=t("browser_search_hint", loc), continuous_update=False,
                   layout=w.Layout(width="24rem"))
    theme = w.Dropdown(options=[(t("browser_any_theme", loc), None)]
                       + [(x, x) for x in browser.themes()], value=browser.theme,
                       description=t("browser_theme", loc), style=LABEL)
    keywords = w.SelectMultiple(options=browser.all_keywords(), value=browser.keywords,
                                rows=4, description=t("browser_keywords", loc), style=LABEL)
    return words, theme, keywords


def controls(browser):
    """The ipywidget of `browser` (see the module docstring)."""
    import ipywidgets as w

    loc = browser.locale
    words, theme, keywords = _menus(browser)
    ui = SimpleNamespace(words=words, theme=theme, keywords=keywords, status=w.HTML(),
                         results=w.VBox(), details=w.HTML(), code=w.Textarea(),
                         message=w.HTML(), data=w.VBox(),
                         show_code=w.Button(description=t("browser_code", loc), icon="code"),
                         load=w.Button(description=t("browser_load", loc), icon="table"))
    ui.code.layout = w.Layout(width="100%", display="none")
    actions = w.HBox([ui.show_code, ui.load])
    browser.ui = ui

    def row(metadata):
        button = w.Button(description=t("browser_show", loc), icon="info-circle",
                          tooltip=metadata.get("title") or metadata["id"],
                          layout=w.Layout(width="auto", flex="0 0 auto"))
        button.on_click(lambda _: show_selected(metadata["id"]))
        return w.HBox([w.HTML(result_line(metadata, loc, browser.now),
                              layout=w.Layout(flex="1 1 auto")), button],
                      layout=w.Layout(align_items="center"))

    def show_results(_=None):
        found = browser.search(words.value, theme.value, keywords.value)
        ui.status.value = browser.status_html(found)

        more = ([w.HTML(tag("p", esc(t("browser_more", loc, count=len(found) - MAX_SHOWN)),
                            style=css(color=MUTED)))] if len(found) > MAX_SHOWN else [])
        ui.results.children = [row(m) for m in found[:MAX_SHOWN]] + more

    def show_selected(dataset):
        browser.select(dataset)
        ui.details.value = details(browser.metadata(), loc, browser.now)
        ui.code.value, ui.code.layout.display = "", "none"
        ui.message.value, ui.data.children = "", ()
        actions.layout.display = None

    def show_code(_=None):
        ui.code.value = browser.code()
        ui.code.rows = ui.code.value.count("\n") + 2
        ui.code.layout.display = None

    def load(_=None):
        from .table import Table

        frame = browser.load()
        ui.message.value = tag("p", esc(browser.message), role="status")
        ui.data.children = ([Table(frame, page_size=PREVIEW_ROWS, name=browser.selected,
                                   locale=loc).widget()] if frame is not None else [])

    for control in (words, theme, keywords):
        control.observe(show_results, names="value")
    ui.show_code.on_click(show_code)
    ui.load.on_click(load)
    ui.select = show_selected
    show_results()
    actions.layout.display = "none" if browser.selected is None else None
    if browser.selected is not None:
        show_selected(browser.selected)
    return w.VBox([w.HTML(tag("h2", esc(t("browser_title", loc)),
                              style=css(font_size="1.2rem", margin="0"))),
                   w.HBox([words, theme], layout=w.Layout(flex_flow="row wrap")), keywords,
                   ui.status, ui.results, ui.details, actions, ui.code, ui.message, ui.data])
