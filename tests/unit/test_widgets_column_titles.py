"""Readers see the recipe's column titles and units, not column names: on chart axes and
legends, in text alternatives, table headers, sort menus, filter labels and KPI cards."""

import pytest

import widgets as w

from .widgets_fakes import (  # noqa: F401
    FakeSource,
    default_mode_and_locale,  # noqa: F401 (autouse)
    fake_source,
)

TITLES = {"commune_code": ({"fr": "Commune", "en": "Municipality"}, None),
          "measured_at": ({"fr": "Date de mesure", "en": "Measured at"}, None),
          "pm10": ({"fr": "Particules PM10", "en": "PM10 particles"}, "µg/m³")}


@pytest.fixture
def titled(fake_source):  # noqa: F811
    fake_source.metadata = {**fake_source.metadata, "columns": [
        {**c, "title": TITLES[c["name"]][0], "unit": TITLES[c["name"]][1]}
        if c["name"] in TITLES else c for c in fake_source.metadata["columns"]]}
    return fake_source


def axis_titles(chart) -> list:
    spec = chart.spec()
    layers = spec.get("layer", [spec])
    return [layer["encoding"][channel].get("title") for layer in layers
            for channel in ("x", "y", "color") if channel in layer.get("encoding", {})]


@pytest.mark.parametrize("locale, category, value", [
    ("fr", "Commune", "moyenne de particules PM10 (µg/m³)"),
    ("en", "Municipality", "mean PM10 particles (µg/m³)")])
def test_bar_axes_and_alt_text_use_the_titles_and_unit(titled, locale, category, value):
    bars = w.BarChart.of("air_quality", by="commune_code", measure="mean:pm10", locale=locale)
    assert category in axis_titles(bars) and value in axis_titles(bars)
    assert "commune_code" not in bars.alt_text() and value in bars.alt_text()
    assert bars.alt_text().count("µg/m³)") == 3  # the axis, the highest and the lowest bars


def test_a_count_has_no_unit_and_an_explicit_word_wins(titled):
    bars = w.BarChart.of("air_quality", by="commune_code", measure="count",
                         labels={"commune_code": "Territoire"})
    assert axis_titles(bars)[:2] == ["Territoire", "nombre de lignes"]
    assert w.BarChart.of("air_quality", by="commune_code", measure="sum:pm10",
                         unit="kg").axis() == "total de particules PM10 (kg)"


def test_time_series_legend_and_axis_use_the_titles(titled):
    chart = w.TimeSeries.of("air_quality", bucket="measured_at:month", measure="max:pm10",
                            series="commune_code", locale="en")
    assert chart.axis() == "maximum PM10 particles (µg/m³)"
    assert "Municipality" in axis_titles(chart)


def test_kpi_card_says_the_measure_in_words_with_its_unit(titled):
    card = w.KPICard.of("air_quality", measure="mean:pm10", bucket="measured_at:month")
    assert card.title == "moyenne de particules PM10" and card.unit == "µg/m³"
    assert "µg/m³" in card.static_html()
    named = w.KPICard.of("air_quality", measure="count", label="Relevés")
    assert named.title == "Relevés" and named.unit is None


def test_table_headers_and_sort_menu_use_the_titles(titled):
    table = w.Table.of("air_quality", select=["commune_code", "pm10"], sort="-pm10",
                       locale="en")
    html = table.static_html()
    assert ">Municipality<" in html and ">PM10 particles (µg/m³)<" in html
    assert ">commune_code<" not in html
    from widgets.table_controls import _sort_options
    assert ("PM10 particles (µg/m³) ▼", "-pm10") in _sort_options(table)


def test_a_table_of_groups_says_its_measures_and_periods_in_words(titled):
    table = w.Table.of("air_quality", bucket="measured_at:month", measure=["count", "max:pm10"],
                       locale="en")
    html = table.static_html()
    assert ">Measured at (month)<" in html and ">number of rows<" in html
    assert ">maximum PM10 particles (µg/m³)<" in html


def test_filter_labels_use_the_titles(titled):
    panel = w.FilterPanel.of("air_quality", columns=["commune_code", "pm10"], locale="en")
    assert panel.filters["commune_code"].control.description == "Municipality"
    assert panel.filters["pm10"].control.description == "PM10 particles"
    panel.set("commune_code", ["69123"])
    assert "Municipality" in panel.filters["commune_code"].summary()


def test_without_titles_the_names_show_and_describe_is_asked_once(fake_source):  # noqa: F811
    bars = w.BarChart.of("air_quality", by="commune_code", measure="mean:pm10")
    assert axis_titles(bars)[:2] == ["commune_code", "moyenne de pm10"]
    bars.axis(), bars.alt_text()
    assert len(fake_source.called("describe")) == 1


def test_a_failing_describe_leaves_the_names(fake_source, monkeypatch):  # noqa: F811
    from widgets import source
    from widgets.data import AgoraError

    def refuse(dataset):
        raise AgoraError("no metadata", status=503)

    monkeypatch.setattr(source, "describe", refuse)
    assert w.BarChart.of("air_quality", by="commune_code").axis() == "nombre de lignes"
