"""Which language a page speaks, and its words: French by default, English on request.

First wins: ``?lang=fr|en`` (the visible switch; remembered in a cookie), the cookie, the
browser's ``Accept-Language`` (the first of fr/en it names, by preference), then French.
"""

from __future__ import annotations

from . import labels

LANGUAGES = ("fr", "en")
DEFAULT = "fr"
COOKIE = "agora-portal-lang"


def supported(value: str | None) -> str | None:
    """'fr' or 'en' for a language tag such as 'en-GB', else None."""
    short = (value or "").strip().replace("_", "-").split("-")[0].lower()
    return short if short in LANGUAGES else None


def from_accept_language(header: str | None) -> str | None:
    """The preferred supported language of an Accept-Language header.

    >>> from_accept_language("de-DE,en-GB;q=0.8,fr;q=0.5")
    'en'
    """
    ranked = []
    for position, part in enumerate((header or "").split(",")):
        tag, _, params = part.partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if supported(tag) and quality > 0:
            ranked.append((-quality, position, supported(tag)))
    return min(ranked)[2] if ranked else None


def choose(query: str | None, cookie: str | None, accept_language: str | None) -> str:
    return (supported(query) or supported(cookie) or from_accept_language(accept_language)
            or DEFAULT)


def pick(pair: tuple[str, str], lang: str) -> str:
    return pair[0] if lang == "fr" else pair[1]


def t(key: str, lang: str, **values) -> str:
    """The portal's label `key` in `lang`, with `values` filled in."""
    text = pick(labels.LABELS[key], lang)
    return text.format(**values) if values else text


def word(table: dict[str, tuple[str, str]], key: str | None, lang: str) -> str | None:
    """`key` in plain words from one of the labels' tables; the key itself if unknown."""
    if not key:
        return None
    pair = table.get(key)
    return pick(pair, lang) if pair else key


def translator(lang: str):
    """A ``t(key, **values)`` for templates, bound to `lang`."""
    return lambda key, **values: t(key, lang, **values)
