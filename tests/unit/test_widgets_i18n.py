"""The widgets' languages: which locale is in force, number/percent/date formats, labels."""

import math
import re
from datetime import UTC, date, datetime

import pandas as pd
import pytest

from widgets import i18n
from widgets.i18n import (
    MINUS,
    NARROW_NBSP,
    format_ago,
    format_date,
    format_datetime,
    format_number,
    format_percent,
    locale,
    set_locale,
    t,
)
from widgets.labels import LABELS

from .widgets_fakes import default_mode_and_locale  # noqa: F401 (autouse)


def test_french_by_default_then_the_environment_then_set_locale_then_the_argument(monkeypatch):
    assert locale() == "fr"
    monkeypatch.setenv("AGORA_LOCALE", "en_GB.UTF-8")
    assert locale() == "en"
    set_locale("fr")
    assert locale() == "fr"
    assert locale("en") == "en"  # a widget's locale= wins (a report for one reader)
    set_locale(None)
    assert locale() == "en"


@pytest.mark.parametrize("bad", ["de", "", "klingon"])
def test_an_unknown_language_is_refused_with_the_choices(monkeypatch, bad):
    with pytest.raises(ValueError, match="'fr' or 'en'"):
        set_locale(bad or "xx")
    monkeypatch.setenv("AGORA_LOCALE", bad or "xx")
    with pytest.raises(ValueError, match="AGORA_LOCALE"):
        locale()


@pytest.mark.parametrize(("value", "decimals", "fr", "en"), [
    (1234.5, None, f"1{NARROW_NBSP}234,5", "1,234.5"),
    (-1234.5, None, f"{MINUS}1{NARROW_NBSP}234,5", f"{MINUS}1,234.5"),
    (1234567, None, f"1{NARROW_NBSP}234{NARROW_NBSP}567", "1,234,567"),
    (3.0, None, "3", "3"),
    (0.125, None, "0,12", "0.12"),  # at most 2 decimals by default (banker's rounding aside)
    (2.5, 2, "2,50", "2.50"),
    (-0.001, 1, "0,0", "0.0"),  # no "−0"
    (-7, 0, f"{MINUS}7", f"{MINUS}7"),
    (float("nan"), None, "n.d.", "n/a"),
    (None, None, "n.d.", "n/a"),
    (pd.NA, 2, "n.d.", "n/a"),
    (math.inf, None, "∞", "∞"),
    (-math.inf, None, f"{MINUS}∞", f"{MINUS}∞"),
])
def test_numbers_in_both_languages(value, decimals, fr, en):
    assert format_number(value, decimals, locale="fr") == fr
    assert format_number(value, decimals, locale="en") == en


def test_format_number_follows_the_locale_in_force(monkeypatch):
    monkeypatch.setenv("AGORA_LOCALE", "en")
    assert format_number(1234.5) == "1,234.5"
    assert format_number(1234.5, locale="fr") == f"1{NARROW_NBSP}234,5"


@pytest.mark.parametrize(("value", "signed", "fr", "en"), [
    (0.125, False, f"12,5{NARROW_NBSP}%", "12.5%"),
    (0.125, True, f"+12,5{NARROW_NBSP}%", "+12.5%"),
    (-0.03, True, f"{MINUS}3,0{NARROW_NBSP}%", f"{MINUS}3.0%"),
    (0.0, True, f"0,0{NARROW_NBSP}%", "0.0%"),
    (float("nan"), True, "n.d.", "n/a"),
])
def test_percentages(value, signed, fr, en):
    assert format_percent(value, signed=signed, locale="fr") == fr
    assert format_percent(value, signed=signed, locale="en") == en


@pytest.mark.parametrize("value", [date(2026, 3, 7), datetime(2026, 3, 7, 23, 59),
                                   pd.Timestamp("2026-03-07"), "2026-03-07", "2026-03-07T10:00"])
def test_dates_are_day_first_in_french_and_iso_in_english(value):
    assert format_date(value, "fr") == "07/03/2026"
    assert format_date(value, "en") == "2026-03-07"


def test_missing_dates_and_times():
    assert format_date(pd.NaT, "fr") == "n.d." and format_date(None, "en") == "n/a"
    assert format_datetime("2026-03-07T09:05:00", "en") == "2026-03-07 09:05"


NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(("when", "fr", "en"), [
    ("2026-12-01T11:59:30+00:00", "à l'instant", "just now"),
    ("2026-12-01T11:59:00+00:00", "il y a 1 minute", "1 minute ago"),
    ("2026-12-01T07:00:00+00:00", "il y a 5 heures", "5 hours ago"),
    ("2026-11-28T10:00:00+00:00", "il y a 3 jours", "3 days ago"),
    ("2026-08-01T10:00:00+00:00", "il y a 4 mois", "4 months ago"),
    ("2024-11-01T10:00:00Z", "il y a 2 ans", "2 years ago"),
])
def test_how_long_ago(when, fr, en):
    assert format_ago(when, now=NOW, locale="fr") == fr
    assert format_ago(when, now=NOW, locale="en") == en


def test_every_label_exists_in_both_languages_with_the_same_placeholders():
    for key, (french, english) in LABELS.items():
        assert french.strip() and english.strip(), key
        fields = [set(re.findall(r"{(\w+)}", text)) for text in (french, english)]
        assert fields[0] == fields[1], f"{key}: {fields}"


def test_french_labels_use_a_no_break_space_before_colons():
    for key, (french, _) in LABELS.items():
        assert " :" not in french and " ;" not in french, key


def test_t_fills_in_values_and_names_unknown_keys():
    assert t("rows_shown", "fr", shown=3, total=9) == "3 sur 9 lignes"
    with pytest.raises(KeyError):
        t("no such label")


def test_vega_locales_match_format_number():
    fr = i18n.vega_format_locale("fr")
    assert fr["decimal"] == "," and fr["thousands"] == NARROW_NBSP and fr["minus"] == MINUS
    assert i18n.vega_time_format_locale("fr")["date"] == "%d/%m/%Y"
    assert i18n.vega_time_format_locale("en")["date"] == "%Y-%m-%d"


@pytest.mark.parametrize("locale, count, text", [
    ("fr", 0, "0 valeur à vérifier"), ("fr", 1, "1 valeur à vérifier"),
    ("fr", 2, "2 valeurs à vérifier"), ("en", 0, "0 values to check"),
    ("en", 1, "1 value to check"), ("en", 1234, "1,234 values to check")])
def test_counts_pick_the_singular_and_are_written_as_numbers(locale, count, text):
    assert t("quality_issues", locale, count=count) == text
