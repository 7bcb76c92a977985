"""Excel serial day numbers (1900 date system) -> datetimes, vectorised.

Excel counts days from 1900-01-01 = 1 and wrongly believes 1900 was a leap year, so serial 60
is the non-existent 1900-02-29 (null here) and serials from 61 on are offset by one day:
they count from 1899-12-30. A fractional part is the time of day. Only plain numbers
("45291", "45291.5", or numeric cells) in the range 1 .. 2958465 (9999-12-31) are taken.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

MAX_SERIAL = 2958465
NUMBER = r"^[0-9]+([.,][0-9]+)?$"


def from_excel_serial(raw: pd.Series) -> pd.Series:
    """Datetimes for the values that are Excel serials, NaT elsewhere."""
    if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
        serial = raw.astype("float64")
    else:
        text = raw.astype("str").str.strip()
        looks_numeric = text.str.fullmatch(NUMBER).fillna(False).astype(bool)
        serial = pd.to_numeric(text.where(looks_numeric).str.replace(",", "."), errors="coerce")
    serial = serial.where((serial >= 1) & (serial <= MAX_SERIAL) & (serial.floordiv(1) != 60))
    origin = np.where(serial < 60, np.datetime64("1899-12-31"), np.datetime64("1899-12-30"))
    days = pd.to_timedelta(serial.to_numpy(dtype="float64") * 86_400_000_000, unit="us")
    values = pd.Series(origin.astype("datetime64[us]"), index=raw.index) + days
    return values.dt.round("s").astype("datetime64[us]")
