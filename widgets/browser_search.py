"""How the DatasetBrowser finds datasets in a catalog: free text, a theme, keywords.

Free text matches the title, description, id, keywords, theme and column names, ignoring case
and accents ("ecole" finds "Écoles"); every word typed must match. Pure functions over the
datasets' metadata (``describe(id)``-style dicts), so they are tested without widgets.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable


def fold(text) -> str:
    """`text` without accents, in lower case: ``"Écoles"`` -> ``"ecoles"``.

    >>> fold("Qualité de l'AIR")
    "qualite de l'air"
    """
    decomposed = unicodedata.normalize("NFKD", str(text or ""))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def haystack(metadata: dict) -> str:
    """Every searchable word of a dataset, folded, in one text."""
    parts = [metadata.get("id"), metadata.get("title"), metadata.get("description"),
             metadata.get("theme"), *(metadata.get("keywords") or ()),
             *(c.get("name") for c in metadata.get("columns") or ())]
    return fold(" ".join(str(p) for p in parts if p))


def matches(metadata: dict, text: str = "", theme: str | None = None,
            keywords: Iterable[str] = ()) -> bool:
    """True when the dataset has every word of `text`, the `theme` and every keyword chosen.

    >>> matches({"title": "Écoles", "keywords": ["éducation"]}, "ecole", keywords=["Éducation"])
    True
    """
    words = haystack(metadata)
    if not all(term in words for term in fold(text).split()):
        return False
    if theme and fold(metadata.get("theme")) != fold(theme):
        return False
    own = {fold(k) for k in metadata.get("keywords") or ()}
    return all(fold(k) in own for k in keywords)


def search(datasets: Iterable[dict], text: str = "", theme: str | None = None,
           keywords: Iterable[str] = ()) -> list[dict]:
    """The datasets that match, sorted by title (accents ignored)."""
    keywords = list(keywords)
    found = [m for m in datasets if matches(m, text, theme, keywords)]
    return sorted(found, key=lambda m: fold(m.get("title") or m.get("id")))


def themes(datasets: Iterable[dict]) -> list[str]:
    """The catalog's themes, each once, sorted."""
    return sorted({m["theme"] for m in datasets if m.get("theme")}, key=fold)


def keywords(datasets: Iterable[dict]) -> list[str]:
    """The catalog's keywords, each once whatever its case or accents, sorted."""
    found: dict[str, str] = {}
    for metadata in datasets:
        for keyword in metadata.get("keywords") or ():
            found.setdefault(fold(keyword), keyword)
    return sorted(found.values(), key=fold)
