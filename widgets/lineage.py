"""Which datasets, at which snapshot version, this kernel has read: a report's last section.

Every read through the datasets service (``aggregate``, ``records``, ``read``, an Intake
entry's ``read()``) records the dataset and the snapshot version it was answered from.
:func:`lineage` lists them with their title and freshness; :class:`Lineage` shows that list
as a table, so a PDF report or a dashboard says what its numbers come from.
"""

from __future__ import annotations

from .i18n import format_datetime, t
from .render import View
from .style import MUTED, block, css, esc, tag

_used: dict[str, set[str]] = {}  # dataset -> snapshot versions read in this process


def record(dataset: str | None, version: str | None) -> None:
    """Note that `dataset` was read at `version` (None: the service did not say)."""
    if dataset:
        _used.setdefault(dataset, set()).update([version] if version else [])


def forget() -> None:
    """Start a new list (a test, or a notebook that wants only what follows)."""
    _used.clear()


def used() -> dict[str, list[str]]:
    """{dataset: sorted versions read} so far in this process."""
    return {name: sorted(versions) for name, versions in sorted(_used.items())}


def lineage(describe=None):
    """A DataFrame: dataset, title, versions read, current version and when it was made.

    ``describe`` (default: ``widgets.describe``) gives the title and freshness; a dataset it
    cannot describe any more keeps its id and versions.
    """
    import pandas as pd

    from . import source

    describe = describe or source.describe
    rows = []
    for name, versions in used().items():
        try:
            meta = describe(name)
        except Exception:  # noqa: BLE001 (the lineage still names what was read)
            meta = {}
        rows.append({"dataset": name, "title": meta.get("title") or name,
                     "versions": ", ".join(versions) or meta.get("version") or "",
                     "updated": meta.get("updated")})
    return pd.DataFrame(rows, columns=["dataset", "title", "versions", "updated"])


class Lineage(View):
    """"Sources des données": each dataset this kernel read, its snapshot version and date.

    Put it last in a report or a dashboard. Example::

        from widgets import Lineage
        Lineage()      # after the cells that read data
    """

    def __init__(self, *, locale: str | None = None, title: str | None = None):
        self.locale, self.title = locale, title

    def static_html(self) -> str:
        frame, loc = lineage(), self.locale
        heading = tag("div", esc(self.title or t("lineage_title", loc)), role="heading",
                      aria_level="2", style=css(font_weight="600", margin="0 0 0.4rem"))
        if frame.empty:
            return block(heading, tag("p", esc(t("lineage_none", loc)), style=css(color=MUTED)))
        cell = css(padding="0.25rem 0.6rem", border_bottom="1px solid #ddd", text_align="left")
        head = tag("tr", *(tag("th", esc(t(key, loc)), scope="col", style=cell)
                           for key in ("lineage_dataset", "lineage_version", "lineage_updated")))
        rows = [tag("tr", tag("td", esc(row.title), tag("br"), tag(
                    "code", esc(row.dataset), style=css(color=MUTED, font_size="0.8rem")),
                    style=cell), tag("td", esc(row.versions), style=cell),
                    tag("td", esc(format_datetime(row.updated, loc) if row.updated
                                  else t("missing", loc)), style=cell))
                for row in frame.itertuples()]
        table = tag("table", tag("thead", head), tag("tbody", *rows),
                    style=css(border_collapse="collapse", font_size="0.85rem"))
        return block(heading, table, margin="1rem 0")

    def text(self) -> str:
        return t("lineage_title", self.locale) + ": " + ", ".join(used())
