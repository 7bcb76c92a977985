"""parse_numbers: read numbers written the French way (and the others) into floats.

Accepted: "1 234,56" (space, NBSP U+00A0 or narrow NBSP U+202F as thousands separator),
"1.234,56", "1,234.56", "12,5 %", "€ 3 400", "3 400 €", "-12", "−12" (U+2212), "(12)" as -12
with ``parentheses_negative``, "1.5e3". Null tokens ("", "-", "n/a", "nc", "s" = secret
statistique...) become null silently; anything else that does not parse becomes null and is
counted as ``unparseable_numbers`` with examples.

``decimal: auto`` decides PER COLUMN from the unambiguous values ("1,5", "1.234,5", "3.14",
"1.234.567"...), defaulting to the comma; values that only parse with the other separator
are still read with it, so a column merging two sources is not lost. "1.234" is ambiguous:
it is 1234 in a comma column and 1.234 in a dot column.
"""

from __future__ import annotations

import re
from functools import partial
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from ..interfaces import Params, ProcessContext, Processor
from ..parallel import by_parts
from ._common import as_text, collapse_spaces, distinct, note_count, require_columns, spread

# digits, single spaces or NBSPs between them, one decimal mark, maybe a euro sign: most
# values of a French export, see ParseNumbers._core
PLAIN_SHAPE = "[0-9]+(?:[ \u00a0][0-9]+)*(?:[,.][0-9]+)?(?:[ \u00a0]?€)?"
PLAIN_SHAPE_CHARS = set("0123456789 \u00a0,.€")
SHORT_DECIMAL, SHORT_DECIMAL_CHARS = r"^-?[0-9]+(?:\.[0-9]+)?$", 15  # see _to_float
CURRENCIES = ["€", "EUR", "euros", "euro", "$", "USD", "£"]
NULL_TOKENS = ["", "-", "–", "—", "n/a", "na", "nan", "nc", "nd", "n.d.", "s", "secret", "null"]


class ParseNumbersParams(Params):
    columns: list[str] = Field(min_length=1)
    decimal: Literal["auto", ",", "."] = "auto"
    thousands: Literal["auto", " ", ".", ",", "'", "none"] = "auto"
    percent: Literal["keep", "fraction"] = "keep"
    parentheses_negative: bool = False
    units: list[str] = Field(default_factory=list)
    null_values: list[str] = Field(default_factory=lambda: list(NULL_TOKENS))
    integer: bool = False


class ParseNumbers(Processor):
    """Parse numbers in French (and other) formats; unparseable values -> null, counted.

    ``percent: fraction`` turns "12,5 %" into 0.125 (``keep``: 12.5). ``units`` lists extra
    words to strip ("km", "hab."). ``integer: true`` gives a nullable Int64 column and counts
    non-whole values as unparseable.

        - parse_numbers: {columns: [montant, taux], decimal: auto, percent: fraction}
    """

    name = "parse_numbers"
    column_local = True
    summary = "Parse numbers: French decimal comma, spaces/NBSP, %, currency, parentheses"
    Params = ParseNumbersParams

    def apply(self, frame: pd.DataFrame, context: ProcessContext) -> pd.DataFrame:
        require_columns(frame, self.params.columns, self.name)
        out = frame.copy(deep=False)  # copy-on-write: replaced columns only
        for column in self.params.columns:
            raw = frame[column]
            if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
                out[column] = raw.astype("Int64" if self.params.integer else "float64")
                continue
            text = as_text(raw)
            codes, values = distinct(text)
            numbers, given = self._parse(values)
            numbers, given = spread(numbers, codes, raw.index), spread(given, codes, raw.index)
            failed = given & numbers.isna()
            note_count(context, column, "unparseable_numbers", failed, text)
            out[column] = numbers
        return out

    def _parse(self, text: pd.Series) -> tuple[pd.Series, pd.Series]:
        """(numbers, mask of values that were not null tokens).

        The row-wise parts run in parallel slices (:func:`by_parts`); the decimal mark guess
        and the conversion to floats (:func:`_to_float`) look at the whole column."""
        p = self.params
        core, given, percent, negative = by_parts(self._core, text)
        decimal = p.decimal if p.decimal != "auto" else _guess_decimal(core)
        numbers = _read(core, decimal, self._thousands(decimal))
        if p.decimal == "auto":
            other = "." if decimal == "," else ","
            numbers = numbers.fillna(_read(core, other, self._thousands(other)))
        numbers = numbers.where(~negative, -numbers)
        if p.percent == "fraction":
            numbers = numbers.where(~percent, numbers / 100)
        if p.integer:
            numbers = numbers.where(numbers.mod(1) == 0).astype("Int64")
        return numbers, given.fillna(False).astype(bool)

    def _core(self, text: pd.Series) -> tuple[pd.Series, ...]:
        """(core, given, percent, negative): the number's text without decorations, null for
        null tokens; which values were not null tokens; ended with %; were in parentheses.

        Values of the usual shape ("1 234,56", "1\u00a0234.5 €", "12"; see PLAIN_SHAPE) take
        a short cut: their core is the value without "€", with NBSP as a space, right-trimmed,
        which is what every step of the long way gives them (it has nothing else to remove,
        collapse or recognise in them) when no unit or null token could match inside them."""
        shaped = self._plain_shaped(text)
        if shaped is None or not shaped.any():
            return self._decorated_core(text)
        core, given, percent, negative = self._decorated_core(text.mask(shaped))
        short = text.str.replace("€", "", regex=False).str.replace("\u00a0", " ", regex=False)
        return core.where(~shaped, short.str.rstrip(" ")), given | shaped, percent, negative

    def _plain_shaped(self, text: pd.Series) -> pd.Series | None:
        """Mask of the values of PLAIN_SHAPE; None when a unit or null token could match in
        such a value (then the long way decides for every value)."""
        p = self.params
        if any(set(unit) <= PLAIN_SHAPE_CHARS for unit in p.units) or any(
                char.isdigit() for token in p.null_values for char in token):
            return None
        return text.str.fullmatch(PLAIN_SHAPE).fillna(False).astype(bool)

    def _decorated_core(self, text: pd.Series) -> tuple[pd.Series, ...]:
        """:meth:`_core` the long way: currencies and units removed, spaces collapsed..."""
        p = self.params
        cleaned = self._strip_decorations(text)
        given = cleaned.notna() & ~cleaned.str.lower().isin([v.lower() for v in p.null_values])
        percent = cleaned.str.endswith("%").fillna(False).astype(bool)
        core = cleaned.str.rstrip("%").str.strip().where(given)
        negative = pd.Series(False, index=core.index)
        if p.parentheses_negative:
            negative = core.str.fullmatch(r"\(.*\)").fillna(False).astype(bool)
            core = core.str.strip("()")
        return core, given, percent, negative

    def _strip_decorations(self, text: pd.Series) -> pd.Series:
        words = sorted(CURRENCIES + self.params.units, key=len, reverse=True)
        pattern = "|".join(re.escape(word) for word in words)
        cleaned = text.str.replace(pattern, "", regex=True).str.replace("−", "-", regex=False)
        cleaned = collapse_spaces(cleaned).str.strip()
        return cleaned.str.replace(r"^\+", "", regex=True)

    def _thousands(self, decimal: str) -> str:
        """Characters accepted as thousands separators when `decimal` is the decimal mark."""
        t = self.params.thousands
        if t == "auto":
            return " '" + ("." if decimal == "," else ",")
        return "" if t == "none" or t == decimal else t


def _read(core: pd.Series, decimal: str, thousands: str) -> pd.Series:
    """Strictly parse `core`: digits grouped by 3 between thousands separators, one decimal.

    The text work runs in parallel slices; the conversion to floats runs once on the whole
    column, so its result never depends on how the column was sliced."""
    plain = by_parts(partial(_plain, decimal=decimal, thousands=thousands), core)
    return _to_float(plain)


def _to_float(plain: pd.Series) -> pd.Series:
    """``pd.to_numeric(plain, errors="coerce")`` as float64, bit for bit.

    When every value is a plain decimal of at most 15 characters ("-1234.56"), pyarrow's cast
    reads the column about ten times faster: such digits fit a double exactly, and both
    parsers then round once (a division by a power of ten), to the same value. Longer values
    keep pandas' parser, whose rounding of 16+ digits may differ from pyarrow's.
    """
    text = pa.array(as_text(plain).array)
    short = pc.and_(pc.match_substring_regex(text, SHORT_DECIMAL),
                    pc.less_equal(pc.utf8_length(text), SHORT_DECIMAL_CHARS))
    if not pc.all(short).as_py():
        return pd.to_numeric(plain, errors="coerce").astype("float64")
    numbers = pc.cast(text, pa.float64()).to_numpy(zero_copy_only=False)
    return pd.Series(numbers, index=plain.index, name=plain.name)


def _plain(core: pd.Series, decimal: str, thousands: str) -> pd.Series:
    """The values that are numbers written this way, as text that ``to_numeric`` reads
    ("-1234.5"); null for the others."""
    dec = re.escape(decimal)
    groups = f"|[0-9]{{1,3}}(?:[{re.escape(thousands)}][0-9]{{3}})+" if thousands else ""
    integer = f"(?:[0-9]+{groups})"
    pattern = f"-? ?(?:{integer}(?:{dec}[0-9]*)?|{dec}[0-9]+)(?:[eE][-+]?[0-9]+)?"
    valid = core.str.fullmatch(pattern).fillna(False).astype(bool)
    plain = core.where(valid).str.replace(" ", "", regex=False)
    for sep in thousands.replace(" ", ""):
        plain = plain.str.replace(sep, "", regex=False)
    return plain.str.replace(decimal, ".", regex=False)


def _guess_decimal(core: pd.Series) -> str:
    """"," or "." from the values whose decimal mark is unambiguous; "," when in doubt."""
    comma_votes = core.str.contains(r"^[^,]*\.[0-9]{3}.*,|,[0-9]{1,2}$|,[0-9]{4,}$|\.[0-9]{3}\.")
    dot_votes = core.str.contains(r"^[^.]*,[0-9]{3}.*\.|\.[0-9]{1,2}$|\.[0-9]{4,}$|,[0-9]{3},")
    comma, dot = int(np.sum(comma_votes.fillna(False))), int(np.sum(dot_votes.fillna(False)))
    return "." if dot > comma else ","
