"""KPI cards: change arrows and words, direction-aware targets, sparklines, boards."""

import re

import pandas as pd
import pytest

import widgets as w
from widgets.kpi import change, target_status
from widgets.style import STATUS

from .widgets_fakes import (  # noqa: F401
    check_static,
    default_mode_and_locale,  # noqa: F401 (autouse)
)


@pytest.mark.parametrize(("value", "previous", "better", "direction", "status"), [
    (110, 100, "higher", "up", "good"),
    (90, 100, "higher", "down", "bad"),
    (110, 100, "lower", "up", "bad"),      # pollution rising
    (90, 100, "lower", "down", "good"),
    (100, 100, "higher", "flat", "neutral"),
    (110, 100, None, "up", "neutral"),     # neither good nor bad
    (-5, -10, "higher", "up", "good"),     # from a deficit of 10 to one of 5
])
def test_change_direction_and_status(value, previous, better, direction, status):
    moved = change(value, previous, better)
    assert (moved.direction, moved.status) == (direction, status)


def test_change_ratio_is_against_the_size_of_the_previous_value():
    assert change(-5, -10).ratio == pytest.approx(0.5)
    assert change(3, 0).ratio is None and change(3, 0).delta == 3
    assert change(float("nan"), 3) is None and change(3, None) is None


@pytest.mark.parametrize(("value", "target", "better", "status"), [
    (41, 40, "higher", "good"), (40, 40, "higher", "good"), (39, 40, "higher", "bad"),
    (39, 40, "lower", "good"), (40, 40, "lower", "good"), (41, 40, "lower", "bad"),
    (None, 40, "lower", None), (41, None, "lower", None)])
def test_target_status_is_direction_aware(value, target, better, status):
    assert target_status(value, target, better) == status


def card(**options):
    defaults = {"label": "PM10", "unit": "µg/m³", "previous": 48.0, "target": 40,
                "better": "lower", "history": [51, 48, 42], "locale": "en"}
    return w.KPICard(options.pop("value", 42.0), **{**defaults, **options})


def test_a_falling_pollution_card_is_good_news_but_still_off_target():
    html = card().static_html()
    check_static(html)
    assert "▼" in html and "−12.5%" in html and "previous period: 48" in html
    assert ">down<" in html  # the words a screen reader says with the arrow
    assert "off target" in html and "target: ≤\u00a040\u00a0µg/m³" in html
    assert STATUS["good"][0] in html  # the change is coloured good (down is better)
    assert STATUS["bad"][0] in html   # the target status is not met


def test_a_rising_count_on_target():
    html = card(value=1287, previous=1150, target=1200, better="higher", unit=None).static_html()
    assert "▲" in html and "+11.9%" in html and ">up<" in html
    assert "on track" in html and "target: ≥\u00a01,200" in html and "✓" in html


def test_unchanged_missing_and_zero_previous_values():
    assert "▶" in card(value=48.0).static_html()
    missing = card(value=float("nan")).static_html()
    assert ">n/a<" in missing and "target" not in missing and "▼" not in missing
    assert "+3" in card(value=3, previous=0).static_html()  # no percentage of zero


def test_french_card():
    html = card(locale="fr").static_html()
    assert "42" in html and "−12,5\u202f%" in html and "hors objectif" in html
    assert "en baisse" in html


def test_the_sparkline_is_inline_svg_with_a_description():
    html = card().static_html()
    (svg,) = re.findall(r"<svg\b[^>]*>", html)
    assert 'aria-label="Trend over 3 periods, from 51 to 42 (min 42, max 51)"' in svg
    assert "<polyline" in html and 'stroke-dasharray="3 3"' in html  # the target line
    assert "<svg" not in card(history=[5]).static_html()  # one point: no line


def test_a_card_from_a_data_frame_takes_the_last_rows():
    frame = pd.DataFrame({"month": ["2026-09", "2026-10", "2026-11"], "count": [9, 12, 15]})
    kpi = w.KPICard(data=frame, column="count", label="Incidents", locale="en")
    assert kpi.numbers() == (15, 12, [9, 12, 15])
    assert "+25.0%" in kpi.static_html()


def test_a_card_of_a_dataset_asks_for_the_periods(fake_source):
    kpi = w.KPICard.of("air_quality", measure="mean:pm10", bucket="measured_at:month",
                       target=40, better="lower", locale="en")
    value, previous, history = kpi.numbers()
    assert (round(value, 2), round(previous, 2)) == (40.5, 27.5) and len(history) == 2
    (call,) = fake_source.called("aggregate")
    assert call["measures"] == ["mean:pm10"] and call["order_by"] == ["measured_at_month"]
    assert kpi.title == "mean pm10"


def test_a_board_lays_cards_out_in_a_wrapping_row():
    board = w.KPIBoard([card(), card(label="NO2")], title="Air")
    html = board.static_html()
    check_static(html)
    assert "display:flex" in html and "flex-wrap:wrap" in html
    assert html.count('role="group"') == 3 and 'aria-level="2"' in html
    assert board.text().count("PM10") == 1 and "NO2" in board.text()
    row = board.interactive().children[-1]
    assert [c for c in row.children] == [c.widget() for c in board.cards]


def test_large_figures_are_compact_unless_decimals_are_given():
    card = w.KPICard(69_375_660.28, label="Dépenses", unit="€", previous=61_000_000, locale="fr")
    assert "69,4\u00a0M" in card.static_html() and "61,0\u00a0M" in card.static_html()
    assert card.text().startswith("Dépenses\u00a0: 69,4\u00a0M €")
    exact = w.KPICard(69_375_660.28, label="Dépenses", unit="€", decimals=0, locale="en")
    assert "69,375,660" in exact.static_html()
    assert "7,274" in w.KPICard(7274, label="Rows", locale="en").static_html()


def test_the_history_may_be_a_series_or_an_array():
    import numpy as np

    for history in (pd.Series([3.0, 5.0, 4.0]), np.array([3.0, 5.0, 4.0])):
        card = w.KPICard(4.0, label="Relevés", previous=5.0, history=history, locale="en")
        assert card.numbers()[2] == [3.0, 5.0, 4.0]
        assert "Trend over 3 periods" in card.static_html()
