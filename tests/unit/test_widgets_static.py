"""Every widget's static rendering (reports, PDF): valid HTML, self-contained, accessible,
and the mimebundle that Jupyter gets switches with the mode."""

from datetime import UTC, datetime

import pandas as pd
import pytest
from html5lib.html5parser import ParseError

import widgets as w
from widgets import render

from .widgets_fakes import (
    AIR,
    METADATA,
    check_static,
    default_mode_and_locale,  # noqa: F401 (autouse)
)

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def every_widget():
    spend = pd.DataFrame({"commune": ["Lyon", "Bron", "Caluire"], "kind": ["a", "b", "a"],
                          "sum_amount": [1200.5, -30.0, None], "suppressed": [False, False, True]})
    card = w.KPICard(42.0, label="PM10", unit="µg/m³", previous=48.0, target=40, better="lower",
                     history=[51, 48, 42])
    return {
        "TimeSeries": w.TimeSeries(AIR, time="measured_at", value="pm10", series="commune_code",
                                   thresholds={"Limite": 50}, unit="µg/m³", title="PM10"),
        "BarChart": w.BarChart(spend, category="commune", value="sum_amount", title="Dépenses"),
        "StackedBars": w.BarChart(spend, category="commune", value="sum_amount", stack="kind",
                                  horizontal=True),
        "KPICard": card,
        "KPIBoard": w.KPIBoard([card, w.KPICard(3, label="Incidents")], title="Bilan"),
        "Table": w.Table(AIR, page_size=2, sort="-pm10", title="Relevés"),
        "FreshnessBadge": w.FreshnessBadge(METADATA, now=NOW),
        "QualityBadge": w.QualityBadge(METADATA),
        "FilterPanel": w.FilterPanel(data=AIR),
        "EmptyChart": w.TimeSeries(AIR.iloc[:0], time="measured_at", value="pm10"),
        "EmptyTable": w.Table(AIR.iloc[:0]),
    }


@pytest.mark.parametrize("name", list(every_widget()))
@pytest.mark.parametrize("locale", ["fr", "en"])
def test_static_html_is_valid_self_contained_and_accessible(name, locale):
    w.set_locale(locale)
    check_static(every_widget()[name].static_html())


@pytest.mark.parametrize("name", list(every_widget()))
def test_the_mimebundle_switches_with_the_mode(name):
    view = every_widget()[name]
    render.set_mode("static")
    static = view._repr_mimebundle_()
    assert set(static) == {"text/html", "text/plain"} and static["text/plain"]
    render.set_mode("interactive")
    live = view._repr_mimebundle_()
    assert render.WIDGET_MIME in live and "text/html" not in live


def test_a_whole_report_page_parses_strictly():
    import html5lib

    page = render.html_page(*every_widget().values(), title="Rapport", lang="fr")
    html5lib.HTMLParser(strict=True).parse(page)


def test_the_checker_catches_what_it_is_for():
    for bad in ('<img src="x.png">', '<script src="https://cdn.example/vega.js"></script>',
                '<table><tr><th>a</th></tr></table>', "<div><span>unclosed</div>", "<p>a</b>",
                '<svg width="3"></svg>'):
        with pytest.raises((AssertionError, ParseError)):
            check_static(bad)
