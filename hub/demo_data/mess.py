"""The kinds of mess real exports have, as small deterministic functions.

Each dataset module says which of these it applies and to what share of the rows.
"""

from __future__ import annotations

import unicodedata
from datetime import date, datetime

import numpy as np

EXCEL_EPOCH = datetime(1899, 12, 30)


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def name_variant(name: str, rng: np.random.Generator) -> str:
    """A misspelt / re-typed commune name: one of the variants clerks really type."""
    kind = int(rng.integers(0, 6))
    if kind == 0:
        return name.upper()
    if kind == 1:
        return strip_accents(name)
    if kind == 2 and ("Saint" in name or "Sainte" in name):
        return name.replace("Sainte-", "Ste-").replace("Saint-", "St-")
    if kind == 3:
        return f"  {name.lower()} "
    if kind == 4 and len(name) > 5:  # a dropped letter
        i = int(rng.integers(1, len(name) - 1))
        return name[:i] + name[i + 1:]
    return name.replace("-", " ")


def french_decimal(value: float, decimals: int = 1) -> str:
    """22.0 -> '22,0'."""
    return f"{value:.{decimals}f}".replace(".", ",")


def french_amount(value: float, separator: str = " ", currency: bool = True) -> str:
    """1234567.89 -> '1 234 567,89 €' (separator: space, NBSP)."""
    text = f"{abs(value):,.2f}".replace(",", "\x00").replace(".", ",").replace("\x00", separator)
    sign = "-" if value < 0 else ""
    return f"{sign}{text}{' €' if currency else ''}"


def excel_serial(moment: datetime) -> float:
    """Excel's day number (1900 system) as Excel stores a date cell shown as a number."""
    delta = moment - EXCEL_EPOCH
    return round(delta.days + delta.seconds / 86400, 6)


def day_formats(day: date, kind: int) -> str:
    """0: 15/03/2024, 1: 2024-03-15, 2: 15/03/24 (two-digit year)."""
    if kind == 0:
        return day.strftime("%d/%m/%Y")
    if kind == 1:
        return day.isoformat()
    return day.strftime("%d/%m/%y")
