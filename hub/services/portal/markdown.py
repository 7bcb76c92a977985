"""Recipe descriptions (Markdown) as safe HTML: CommonMark with raw HTML escaped.

markdown-it-py never passes HTML through with ``html`` off, and its link check refuses
``javascript:``, ``vbscript:``, ``file:`` and non-image ``data:`` URLs, so a recipe's text
cannot run code in a visitor's page.
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt
from markupsafe import Markup

_renderer = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
MARKS = re.compile(r"[*`#>]+")  # not "_": identifiers such as commune_code keep theirs


def to_html(text: str | None) -> Markup:
    """`text` rendered from Markdown, safe to put in a page."""
    return Markup(_renderer.render(text or ""))


def first_paragraph(text: str | None, limit: int = 240) -> str:
    """The first paragraph as plain text (no Markdown marks), cut at `limit` characters."""
    paragraph = re.split(r"\n\s*\n", (text or "").strip(), maxsplit=1)[0]
    plain = " ".join(MARKS.sub("", paragraph).split())
    return plain if len(plain) <= limit else plain[:limit].rsplit(" ", 1)[0] + "…"
