"""The catalogue page's search, server side: words, a theme, a keyword; and its facets.

Search is accent- and case-insensitive and every word must appear somewhere in the dataset's
title, description, keywords or theme (code or name in the page's language), so "qualite air"
finds "Qualité de l'air". Items are the datasets service's listing (``GET api/datasets``),
already limited to what the visitor may read.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from dataclasses import dataclass

from hub.services.datasets.published.vocabularies import THEMES, theme_uri

from .language import pick


def folded(text: str) -> str:
    """Lower case without accents: 'Qualité' -> 'qualite'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def theme_code(theme: str | None) -> str | None:
    """The EU data-theme code of a recipe's theme (code or known label), else the theme."""
    uri = theme_uri(theme)
    return uri.rsplit("/", 1)[1] if uri else (theme or None)


def theme_name(theme: str | None, lang: str) -> str | None:
    code = theme_code(theme)
    return pick(THEMES[code], lang) if code in THEMES else code


def haystack(item: dict, lang: str) -> str:
    parts = [item.get("id"), item.get("title"), item.get("description"), item.get("theme"),
             theme_name(item.get("theme"), lang), *(item.get("keywords") or ())]
    return folded(" ".join(p for p in parts if p))


@dataclass(frozen=True)
class Search:
    text: str = ""
    theme: str = ""
    keyword: str = ""

    @property
    def active(self) -> bool:
        return bool(self.text or self.theme or self.keyword)

    def matches(self, item: dict, lang: str) -> bool:
        if self.theme and theme_code(item.get("theme")) != self.theme:
            return False
        if self.keyword and folded(self.keyword) not in {folded(k) for k in
                                                         item.get("keywords") or ()}:
            return False
        words = folded(self.text).split()
        text = haystack(item, lang) if words else ""
        return all(word in text for word in words)


def search(items: list[dict], query: Search, lang: str) -> list[dict]:
    """The items matching `query`, by title."""
    return sorted((i for i in items if query.matches(i, lang)),
                  key=lambda i: folded(i.get("title") or i.get("id", "")))


def themes(items: list[dict], lang: str) -> list[tuple[str, str, int]]:
    """(code, name, count) of the themes present, by name."""
    counts = Counter(theme_code(i.get("theme")) for i in items if i.get("theme"))
    return sorted(((code, theme_name(code, lang), n) for code, n in counts.items()),
                  key=lambda t: folded(t[1]))


def keywords(items: list[dict]) -> list[str]:
    """Every keyword of the items once (the first spelling met), alphabetically."""
    seen: dict[str, str] = {}
    for item in items:
        for keyword in item.get("keywords") or ():
            seen.setdefault(folded(keyword), keyword)
    return [seen[k] for k in sorted(seen)]
