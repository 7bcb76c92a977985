import pandas as pd
import pytest
from pydantic import ValidationError

from hub.pipeline.interfaces import ProcessingError

from .processor_support import run

T = pd.Timestamp


def test_mixed_french_formats_iso_and_excel_serials_in_one_column():
    frame = pd.DataFrame({"date": [
        "31/12/2025", "45291", "2025-03-01", "01.02.2024", "31/12/2025 14:30",
        "1er janvier 2024", "mardi 3 mars 2025", None, "",
    ]})
    result = run("normalise_dates", frame, columns=["date"], excel_serial=True)
    assert str(result.out["date"].dtype) == "datetime64[us]"
    assert result.out["date"].tolist()[:7] == [
        T("2025-12-31"), T("2023-12-31"), T("2025-03-01"), T("2024-02-01"),
        T("2025-12-31 14:30"), T("2024-01-01"), T("2025-03-03"),
    ]
    assert result.out["date"][7:].isna().all()
    assert "date" not in result.quality  # empty and null are not "unparseable"


def test_unparseable_become_null_and_are_counted_with_examples():
    frame = pd.DataFrame({"date": ["31/12/2025", "pas de date", "2025-02-30", "12", "pas de date"]})
    result = run("normalise_dates", frame, columns=["date"])
    assert result.out["date"].isna().tolist() == [False, True, True, True, True]
    assert result.quality["date"] == {
        "unparseable_dates": 4,
        "unparseable_dates_examples": ["pas de date", "2025-02-30", "12"],
    }


def test_excel_serials_only_when_asked_and_the_1900_leap_bug():
    frame = pd.DataFrame({"d": ["45291", "45291.5", "61", "59", "60"]})
    off = run("normalise_dates", frame, columns=["d"])
    assert off.out["d"].isna().all()
    on = run("normalise_dates", frame, columns=["d"], excel_serial=True).out["d"].tolist()
    assert on[:4] == [T("2023-12-31"), T("2023-12-31 12:00"), T("1900-03-01"), T("1900-02-28")]
    assert pd.isna(on[4])  # 1900-02-29 never existed
    numeric = run("normalise_dates", pd.DataFrame({"d": [45291, 45292]}), columns=["d"],
                  excel_serial=True)
    assert numeric.out["d"].tolist() == [T("2023-12-31"), T("2024-01-01")]


def test_explicit_formats_win_and_month_first():
    frame = pd.DataFrame({"d": ["20251231", "03/04/2025"]})
    assert run("normalise_dates", frame, columns=["d"], formats=["%Y%m%d"]).out["d"].tolist() \
        == [T("2025-12-31"), T("2025-04-03")]
    assert run("normalise_dates", frame, columns=["d"], formats=["%Y%m%d"],
               dayfirst=False).out["d"][1] == T("2025-03-04")


def test_time_zone_outputs():
    frame = pd.DataFrame({"t": ["2025-07-01 10:00", "2025-07-01T10:00:00Z", "01/01/2025 10:00"]})
    naive = run("normalise_dates", frame, columns=["t"]).out["t"]
    assert naive.tolist() == [T("2025-07-01 10:00"), T("2025-07-01 12:00"), T("2025-01-01 10:00")]
    utc = run("normalise_dates", frame, columns=["t"], output="utc").out["t"]
    assert str(utc.dtype) == "datetime64[us, UTC]"
    assert utc.tolist() == [T("2025-07-01 08:00", tz="UTC"), T("2025-07-01 10:00", tz="UTC"),
                            T("2025-01-01 09:00", tz="UTC")]
    local = run("normalise_dates", frame, columns=["t"], output="local").out["t"]
    assert str(local.dt.tz) == "Europe/Paris" and local[0].hour == 10


def test_already_datetime_column_is_only_zoned():
    frame = pd.DataFrame({"t": pd.to_datetime(["2025-01-01 10:00"])})
    out = run("normalise_dates", frame, columns=["t"], output="utc").out
    assert out["t"][0] == T("2025-01-01 09:00", tz="UTC")


def test_params_and_missing_column():
    with pytest.raises(ValidationError):
        run("normalise_dates", pd.DataFrame({"d": []}), columns=["d"], timezone="Mars/Olympus")
    with pytest.raises(ValidationError):
        run("normalise_dates", pd.DataFrame({"d": []}), columns=["d"], dayfirst="sometimes")
    with pytest.raises(ValidationError):
        run("normalise_dates", pd.DataFrame({"d": []}), columns=["d"], format="%Y")
    with pytest.raises(ProcessingError, match=r"'date'.*available: d"):
        run("normalise_dates", pd.DataFrame({"d": ["x"]}), columns=["date"])


def test_dates_in_words_read_without_dateutil_as_dateutil_reads_them():
    """"3 mars 2024" is read directly; the result is dateutil's, invalid days included."""
    import dateutil.parser

    from hub.pipeline.processors import dates

    def dateutil_reads(value, dayfirst):
        words = dates.FRENCH_WORD.sub(lambda f: dates.FRENCH_WORDS[f.group(1)], value.lower())
        try:
            return dateutil.parser.parse(words, dayfirst=dayfirst, default=dates.DEFAULT_DAY)
        except (ValueError, OverflowError):
            return pd.NaT

    for day in ["0", "01", "1er", "9", "29", "30", "31", "32"]:
        for month in ["février", "mars", "août", "aout", "décembre", "Mar", "MAY", "sept"]:
            for year in ["1899", "1900", "2024", "2023", "2100", "24"]:
                for layout in ["{d} {m} {y}", "lundi {d} {m} {y}", "{d} {m} {y} 10:00"]:
                    value = layout.format(d=day, m=month, y=year)
                    for first in (True, False):
                        got, expected = dates._parse_words(value, first), dateutil_reads(value, first)
                        assert got == expected or (pd.isna(got) and pd.isna(expected)), value
