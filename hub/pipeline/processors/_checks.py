"""Vectorised value checks used by ``validate`` and ``filter``: types, named formats, Luhn
keys, listed values, ranges of numbers or dates, RE2 patterns.

Each ``bad_*`` check takes a Series and returns a boolean numpy array "value is invalid",
False on nulls (missing values are the ``required`` rule's business).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..interfaces import ProcessingError
from ._common import as_text

TRUE_FALSE = ["true", "false", "1", "0", "oui", "non", "yes", "no", "vrai", "faux", "o", "n"]
LA_POSTE_SIREN = "356000000"  # La Poste's SIRETs use a digit sum multiple of 5 instead of Luhn

FORMATS = {
    "insee_commune": r"(?:[0-9]{2}|2A|2B)[0-9]{3}",
    "siret": r"[0-9]{14}",
    "siren": r"[0-9]{9}",
    "postcode_fr": r"(?:0[1-9]|[1-8][0-9]|9[0-8])[0-9]{3}",
    "email": r"[^@ \t]+@[^@ \t]+\.[^@ \t.]+",
}


def _present(series: pd.Series) -> np.ndarray:
    return series.notna().to_numpy()


def bad_type(series: pd.Series, kind: str) -> np.ndarray:
    """Values that are not of `kind` (integer, number, string, date, boolean)."""
    present = _present(series)
    if kind == "string":
        if pd.api.types.is_string_dtype(series) and series.dtype != object:
            return np.zeros(len(series), dtype=bool)
        return present & ~series.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
    if kind == "date":
        if pd.api.types.is_datetime64_any_dtype(series):
            return np.zeros(len(series), dtype=bool)
        parsed = pd.to_datetime(as_text(series), format="ISO8601", errors="coerce")
        return present & parsed.isna().to_numpy()
    if kind == "boolean":
        if pd.api.types.is_bool_dtype(series):
            return np.zeros(len(series), dtype=bool)
        return present & ~as_text(series).str.lower().isin(TRUE_FALSE).to_numpy(dtype=bool)
    numbers = as_numbers(series)
    bad = present & numbers.isna().to_numpy()
    if kind == "integer":
        bad |= present & (numbers.mod(1) != 0).fillna(False).to_numpy(dtype=bool)
    return bad


def as_numbers(series: pd.Series) -> pd.Series:
    """float64 view of the column (strings parsed plainly, booleans are not numbers)."""
    if pd.api.types.is_bool_dtype(series):
        return pd.Series(np.nan, index=series.index)
    if pd.api.types.is_numeric_dtype(series):
        return series.astype("float64")
    return pd.to_numeric(as_text(series).str.strip(), errors="coerce").astype("float64")


def bad_format(series: pd.Series, name_or_pattern: str, preset: bool) -> np.ndarray:
    """Values not matching a named format (with its check key) or a regular expression."""
    text = as_text(series)
    pattern = FORMATS[name_or_pattern] if preset else name_or_pattern
    bad = _present(series) & ~text.str.fullmatch(pattern).fillna(False).to_numpy(dtype=bool)
    if preset and name_or_pattern in ("siret", "siren"):
        bad |= _bad_key(text, ~bad & _present(series), 14 if name_or_pattern == "siret" else 9)
    return bad


def _bad_key(text: pd.Series, candidates: np.ndarray, width: int) -> np.ndarray:
    """Luhn check (La Poste's digit-sum rule for its SIRETs) on the well-formed values."""
    bad = np.zeros(len(text), dtype=bool)
    values = text.to_numpy(dtype=object)[candidates]
    if not len(values):
        return bad
    digits = np.frombuffer("".join(values).encode("ascii"), dtype=np.uint8).reshape(-1, width) - 48
    doubled = digits * 2
    doubled = np.where(doubled > 9, doubled - 9, doubled)
    from_right = (width - 1 - np.arange(width)) % 2 == 1
    luhn_ok = np.where(from_right, doubled, digits).sum(axis=1) % 10 == 0
    if width == 14:
        la_poste = text[candidates].str.startswith(LA_POSTE_SIREN).to_numpy(dtype=bool)
        luhn_ok = np.where(la_poste, digits.sum(axis=1) % 5 == 0, luhn_ok)
    bad[candidates] = ~luhn_ok
    return bad


def luhn_ok(value: str) -> bool:
    """Scalar Luhn check, handy for tests and docs (the processor uses the vectorised one)."""
    total = 0
    for i, char in enumerate(reversed(value)):
        digit = int(char) * (2 if i % 2 else 1)
        total += digit - 9 if digit > 9 else digit
    return total % 10 == 0


def re2_problem(pattern: str) -> str | None:
    """Why `pattern` is not a regular expression pyarrow's RE2 accepts (None when it is)."""
    try:
        pc.match_substring_regex(pa.array([""]), pattern)
    except pa.ArrowInvalid as exc:
        return f"invalid regular expression (RE2 syntax): {exc}"
    return None


def listed(series: pd.Series, values: list) -> pd.Series:
    """Values equal to one of `values`, or whose text is (3 and "3" match each other). A
    true/false among `values` for a column that is not yes/no is refused: YAML 1.1 read an
    unquoted NO, ON, YES or OFF (Norway's code, a word) as a boolean."""
    flags = [v for v in values if isinstance(v, bool)]
    if flags and not pd.api.types.is_bool_dtype(series):
        raise ProcessingError(
            f"column {series.name!r} holds text or numbers, but the recipe compares it with "
            f"{str(flags[0]).lower()}: YAML reads no, on, yes and off unquoted (any case) as true "
            'or false -> quote the value in the recipe, e.g. "NO"')
    found = series.isin(values)
    text = as_text(series)
    if text is series and all(isinstance(v, str) for v in values):
        return found  # the text comparison would be the same one again
    return found | text.isin([str(v) for v in values])


def comparable(series: pd.Series, low, high, as_dates: bool):
    """(values, low, high) as datetimes for a date column or `as_dates` (text read as ISO
    dates), as floats otherwise; a bound None stays None."""
    if as_dates or pd.api.types.is_datetime64_any_dtype(series):
        values = series if pd.api.types.is_datetime64_any_dtype(series) else \
            pd.to_datetime(as_text(series), format="ISO8601", errors="coerce")
        tz = getattr(values.dt, "tz", None)
        bound = lambda b: None if b is None else pd.Timestamp(str(b), tz=tz)  # noqa: E731
        return values, bound(low), bound(high)
    number = lambda b: None if b is None else float(b)  # noqa: E731
    return as_numbers(series), number(low), number(high)
