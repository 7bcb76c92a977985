"""DatasetBrowser: find a dataset of your catalog, read what it holds, get its code or its data.

The catalog is read once (the listing, then each dataset's metadata for its columns and update
frequency) through widgets/source.py, under your rights; searching happens in the notebook.
"""

from __future__ import annotations

from . import source
from .browser_details import code_block, details, read_code, result_line
from .browser_search import keywords, search, themes
from .i18n import format_number, t
from .render import View
from .style import MUTED, block, css, esc, tag

MAX_SHOWN = 30  # results listed at once; more: "narrow the search"


def read_catalog() -> list[dict]:
    """The metadata of every dataset you may read: the listing's, completed by describe()."""
    found = []
    for item in source.listing():
        try:
            found.append({**item, **source.describe(item["id"])})
        except Exception:  # noqa: BLE001 (one unreadable dataset: still listed, without columns)
            found.append(dict(item))
    return found


class DatasetBrowser(View):
    """Search your datasets by words, theme and keywords; see one's metadata, code and data.

    `datasets`: metadata dicts (as ``describe(id)`` gives them); default: your catalog, read
    from the service. ``search()`` sets the criteria, ``select(id)`` a dataset, ``code()`` is
    the cell that reads it, ``load()`` reads it into ``browser.dataframe``.

    >>> browser = DatasetBrowser([
    ...     {"id": "schools", "title": "Écoles", "theme": "EDUC", "keywords": ["éducation"]},
    ...     {"id": "air", "title": "Qualité de l'air", "theme": "ENVI", "keywords": ["air"]}])
    >>> [m["id"] for m in browser.search("ecole")]
    ['schools']
    >>> browser.select("air"); print(browser.code())
    from widgets import catalog
    df = catalog()["air"].read()
    """

    def __init__(self, datasets=None, *, locale: str | None = None, now=None):
        self.locale, self.now, self.error = locale, now, None
        self.words, self.theme, self.keywords = "", None, ()
        self.selected: str | None = None
        self.dataframe = None
        self.message = ""  # what the last load() said (rows loaded, or why not)
        self.datasets = list(datasets) if datasets is not None else self._read()

    def _read(self) -> list[dict]:
        try:
            return read_catalog()
        except Exception as exc:  # noqa: BLE001 (shown in the widget, never a traceback)
            self.error = str(exc) or type(exc).__name__
            return []

    def refresh(self) -> None:
        self.error = None
        self.datasets = self._read()
        self.redraw()

    def search(self, text: str = "", theme: str | None = None, keywords=()) -> list[dict]:
        """Keep the datasets with every word of `text`, this `theme` and these `keywords`."""
        self.words, self.theme, self.keywords = text or "", theme, tuple(keywords)
        return self.results()

    def results(self) -> list[dict]:
        """The datasets matching the current criteria, sorted by title."""
        return search(self.datasets, self.words, self.theme, self.keywords)

    def themes(self) -> list[str]:
        return themes(self.datasets)

    def all_keywords(self) -> list[str]:
        return keywords(self.datasets)

    def metadata(self, dataset: str | None = None) -> dict | None:
        """The metadata of `dataset` (default: the selected one)."""
        wanted = dataset or self.selected
        return next((m for m in self.datasets if m["id"] == wanted), None)

    def select(self, dataset: str | None) -> None:
        """Show `dataset`'s metadata (None: no dataset); forgets a DataFrame loaded before."""
        if dataset is not None and self.metadata(dataset) is None:
            raise KeyError(f"{dataset!r} is not in your catalog")
        self.selected, self.dataframe, self.message = dataset, None, ""

    def code(self, dataset: str | None = None) -> str:
        """The cell that reads `dataset` (default: the selected one) into a DataFrame."""
        return read_code(dataset or self.selected)

    def load(self):
        """Read the selected dataset into ``self.dataframe`` (None, with a message, on error)."""
        try:
            self.dataframe = source.read(self.selected)
            self.message = t("browser_loaded", self.locale,
                             rows=format_number(len(self.dataframe), 0, self.locale))
        except Exception as exc:  # noqa: BLE001 (shown in the widget, never a traceback)
            self.dataframe = None
            self.message = t("browser_load_error", self.locale, error=str(exc) or type(exc).__name__)
        return self.dataframe

    def status_html(self, found: list[dict]) -> str:
        """Why nothing is listed, or how many datasets are."""
        if self.error:
            text = t("browser_error", self.locale, error=self.error)
        elif not self.datasets:
            text = t("browser_empty", self.locale)
        elif not found:
            text = t("browser_none", self.locale)
        else:
            text = t("browser_found", self.locale, count=len(found))
        return tag("p", esc(text), role="status", style=css(color=MUTED, margin="0.3rem 0"))

    def results_html(self, found: list[dict]) -> str:
        lines = [result_line(m, self.locale, self.now) for m in found[:MAX_SHOWN]]
        if len(found) > MAX_SHOWN:
            lines.append(tag("p", esc(t("browser_more", self.locale,
                                        count=len(found) - MAX_SHOWN)), style=css(color=MUTED)))
        return "".join(lines)

    def selected_html(self) -> str:
        metadata = self.metadata()
        if metadata is None:
            return ""
        return details(metadata, self.locale, self.now) + code_block(self.code(), self.locale)

    def static_html(self) -> str:
        found = self.results()
        heading = tag("h2", esc(t("browser_title", self.locale)),
                      style=css(font_size="1.2rem", margin="0 0 0.3rem"))
        return block(heading, self.status_html(found), self.results_html(found),
                     self.selected_html(), margin="0 0 1rem")

    def interactive(self):
        from .browser_controls import controls

        return controls(self)

    def text(self) -> str:
        found = t("browser_found", self.locale, count=len(self.results()))
        return t("label_value", self.locale, label=t("browser_title", self.locale), value=found)
