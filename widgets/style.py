"""Colours and HTML building shared by every widget: one palette, one set of status colours.

The palette is Okabe-Ito's (safe for the common colour-vision deficiencies), blue first; the
status colours are darkened for a contrast of at least 4.5:1 and always come with a word and a
symbol, never alone. HTML is written with inline styles only, so it prints as it shows.
"""

from __future__ import annotations

import html

# Okabe & Ito (2008), ordered so that the first series have the most contrast on white.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#F0E442",
           "#000000")
TEXT, MUTED, BORDER = "#1a1a1a", "#555555", "#d0d0d0"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', sans-serif"
# status -> (text colour, background colour, symbol); contrast text/background >= 5.6:1
STATUS = {
    "good": ("#00634a", "#e3f3ee", "✓"),
    "bad": ("#a33a00", "#fbe8df", "✗"),
    "warn": ("#6b5300", "#fdf3d3", "!"),
    "neutral": ("#3d3d3d", "#eeeeee", "•"),
}


def esc(value) -> str:
    """`value` as HTML text (quotes escaped too)."""
    return html.escape(str(value), quote=True)


def css(**properties) -> str:
    """Inline CSS from keyword arguments: ``css(font_size="1.2rem")`` -> ``font-size:1.2rem``."""
    return ";".join(f"{k.replace('_', '-')}:{v}" for k, v in properties.items() if v is not None)


def tag(name: str, *children: str, **attributes) -> str:
    """An HTML element; attributes ``class_`` -> ``class``, ``aria_label`` -> ``aria-label``.

    Children are HTML (escape text with :func:`esc`); a None attribute is left out.

    >>> tag("th", "Commune", scope="col")
    '<th scope="col">Commune</th>'
    """
    parts = [name] + [f'{k.rstrip("_").replace("_", "-")}="{esc(v)}"'
                      for k, v in attributes.items() if v is not None]
    return f"<{' '.join(parts)}>{''.join(children)}</{name}>"


def pill(status: str, text: str) -> str:
    """A status label: symbol + words on a coloured background (the colour is not the cue)."""
    colour, background, symbol = STATUS[status]
    return tag("span", tag("span", symbol, aria_hidden="true"), " ", esc(text),
               style=css(color=colour, background=background, padding="0.1rem 0.5rem",
                         border_radius="0.8rem", font_size="0.85rem", font_weight="600",
                         white_space="nowrap"))


def block(*children: str, role: str | None = None, aria_label: str | None = None,
          **properties) -> str:
    """A div that does not break across printed pages, in Agora's font; `properties` are CSS."""
    return tag("div", *children, role=role, aria_label=aria_label,
               style=css(font_family=FONT, color=TEXT, break_inside="avoid",
                         page_break_inside="avoid", **properties))
