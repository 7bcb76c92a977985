"""Step 2 of a report: the executed notebook as one HTML page for print, without any code.

nbconvert's HTML exporter with Agora's template (hub/reports/nbconvert/agora-report): a
title page, then the outputs of every cell; inputs, prompts, warnings on stderr and the
runner's own cells are left out, and so is any cell tagged ``remove-cell``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter
from nbconvert.preprocessors import TagRemovePreprocessor

from widgets.i18n import format_datetime, vega_time_format_locale

from .marks import INJECTED, LINEAGE_TAG

TEMPLATES = Path(__file__).with_name("nbconvert")
REMOVED_TAGS = {LINEAGE_TAG, INJECTED, "remove-cell", "remove_cell"}
WORDS = {"fr": {"kind": "Rapport Agora", "for": "Destinataire : {}",
                "generated": "Produit le {date} à {time}"},
         "en": {"kind": "Agora report", "for": "Prepared for {}",
                "generated": "Generated on {date} at {time}"}}


@dataclass(frozen=True)
class TitlePage:
    """What the first page says. Made by :func:`title_page`."""

    lang: str
    title: str
    kind: str
    period: str
    recipient: str
    generated: str


def report_title(notebook, locale: str, fallback: str) -> str:
    """The notebook's ``metadata.agora.title`` in `locale` (a text or {"fr": .., "en": ..})."""
    title = notebook.metadata.get("agora", {}).get("title")
    if isinstance(title, dict):
        title = title.get(locale) or next(iter(title.values()), None)
    return title or fallback


def long_date(moment: datetime, locale: str) -> tuple[str, str]:
    months = vega_time_format_locale(locale)["months"]
    day = f"{moment.day} {months[moment.month - 1]} {moment.year}"
    zone = f" {moment.tzname()}" if moment.tzinfo and moment.tzname() else ""
    return day, format_datetime(moment, locale)[-5:] + zone


def title_page(notebook, *, locale: str, fallback: str, period: str = "",
               recipient: str = "", now: datetime | None = None) -> TitlePage:
    words = WORDS[locale]
    day, time = long_date(now or datetime.now().astimezone(), locale)
    return TitlePage(locale, report_title(notebook, locale, fallback), words["kind"], period,
                     words["for"].format(recipient) if recipient else "",
                     words["generated"].format(date=day, time=time))


def exporter() -> HTMLExporter:
    html = HTMLExporter(template_name="agora-report", extra_template_basedirs=[str(TEMPLATES)],
                        exclude_input=True, exclude_input_prompt=True,
                        exclude_output_prompt=True)
    html.register_preprocessor(TagRemovePreprocessor(remove_cell_tags=REMOVED_TAGS,
                                                     enabled=True), enabled=True)
    return html


def notebook_html(executed: Path, page: TitlePage) -> str:
    """The executed notebook at `executed` as a whole HTML document, title page first."""
    notebook = nbformat.read(executed, as_version=4)
    body, _ = exporter().from_notebook_node(notebook, resources={"report": asdict(page)})
    return body
