"""Minimal locale helpers (placeholder: replaced by the full module at merge)."""

from __future__ import annotations

import os

NARROW_NBSP = "\u202f"


def locale() -> str:
    """The workspace language: $AGORA_LOCALE ("fr" or "en"), "fr" by default."""
    return os.environ.get("AGORA_LOCALE", "fr")


def format_number(x, decimals: int | None = None) -> str:
    """``1234.5`` as ``1 234,5`` in French (narrow no-break space), ``1,234.5`` in English.

    `decimals`: fixed number of decimals; None shows an integer as such and anything else
    with at most 2 decimals.
    """
    if decimals is None:
        decimals = 0 if float(x).is_integer() else 2
        text = f"{x:,.{decimals}f}".rstrip("0").rstrip(".") if decimals else f"{x:,.0f}"
    else:
        text = f"{x:,.{decimals}f}"
    if locale() == "fr":
        return text.replace(",", NARROW_NBSP).replace(".", ",")
    return text
