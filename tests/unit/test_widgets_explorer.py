"""Explorer: menus that fit the dataset's schema, a view that follows them, and a copied cell
that, run in a notebook, makes exactly the same view (same query sent, same chart)."""

import ast
from datetime import date

import pandas as pd
import pytest

import widgets as w
from widgets import render
from widgets.explorer_choices import charts, groupings, measures

from .widgets_fakes import (
    CATALOG,
    SCHEMA,
    check_static,
    default_mode_and_locale,  # noqa: F401 (autouse)
)


@pytest.fixture
def catalog_source(fake_source):
    fake_source.datasets.update(CATALOG)
    return fake_source


def last_aggregate(fake):
    return fake.called("aggregate")[-1]


def run_cell(code: str):
    """Run a copied cell as a notebook does: its last expression is what the cell shows."""
    tree = ast.parse(code)
    last = tree.body.pop()
    namespace: dict = {}
    exec(compile(tree, "<cell>", "exec"), namespace)  # noqa: S102 (the code under test)
    return eval(compile(ast.Expression(last.value), "<cell>", "eval"), namespace)  # noqa: S307


def test_menus_offer_only_what_the_schema_allows():
    assert groupings(SCHEMA) == ["commune_code"] + [f"measured_at:{u}" for u in
                                                    ("day", "week", "month", "quarter", "year")]
    offered = measures(SCHEMA)
    assert "distinct:sensor_id" in offered  # a pseudonymised column is only counted
    assert not [m for m in offered if m.endswith(":sensor_id") and m != "distinct:sensor_id"]
    assert not [m for m in offered if "geometry" in m]
    assert {"sum:pm10", "mean:pm10", "min:pm10", "max:pm10", "p90:pm10"} <= set(offered)
    assert charts(SCHEMA, None) == ["kpi", "table"]
    assert charts(SCHEMA, "measured_at:month") == ["timeseries", "kpi", "table"]
    assert charts(SCHEMA, "commune_code") == ["bar", "table"]  # nothing to stack by
    assert charts(CATALOG["budget"][0]["columns"], "commune") == ["bar", "stacked", "table"]


def test_a_choice_that_no_longer_fits_falls_back(catalog_source):
    explorer = w.Explorer("air_quality")
    explorer.choose(group="measured_at:month", chart="timeseries")
    explorer.choose(group="commune_code")  # a time series needs a time bucket
    assert explorer.choice.chart == "bar"
    explorer.choose(group="sensor_id", measure="sum:sensor_id")  # pseudonymised: refused
    assert explorer.choice.group is None and explorer.choice.measure == "count"


def apply(explorer, choices, filters):
    explorer.choose(**choices)
    for column, value in filters.items():
        explorer.panel.set(column, value)


COMBINATIONS = {
    "bars with a period": ("air_quality", {"group": "commune_code", "measure": "mean:pm10"},
                           {"measured_at": (date(2026, 1, 1), date(2026, 2, 5))}),
    "time series with values and a range": (
        "air_quality", {"group": "measured_at:month", "measure": "max:pm10",
                        "chart": "timeseries"},
        {"commune_code": ["69123", "69124"], "pm10": (15.0, 61.5)}),
    "stacked bars": ("budget", {"group": "commune", "measure": "sum:amount", "chart": "stacked",
                                "split": "kind"}, {"spent_on": (date(2026, 1, 15), None)}),
    "monthly KPI": ("budget", {"group": "spent_on:month", "measure": "count", "chart": "kpi"},
                    {"commune": ["Lyon", "Bron"]}),
    "table of distinct counts": ("waste_bins", {"group": "commune", "measure": "distinct:bin_id",
                                                "chart": "table"}, {"stream": ["verre"]}),
    "one figure": ("air_quality", {"group": None, "measure": "p90:pm10", "chart": "kpi"}, {}),
}


@pytest.mark.parametrize("name", list(COMBINATIONS))
def test_the_copied_cell_makes_the_same_view(catalog_source, name):
    dataset, choices, filters = COMBINATIONS[name]
    explorer = w.Explorer(dataset, locale="en")
    apply(explorer, choices, filters)
    assert explorer.error is None
    sent = last_aggregate(catalog_source)
    assert sent["where"] == explorer.panel.where and bool(sent["where"]) == bool(filters)

    view = run_cell(explorer.code())

    assert type(view) is type(explorer.view)
    pd.testing.assert_frame_equal(view.data, explorer.view.data)
    assert last_aggregate(catalog_source) == sent  # the same query went to the service
    assert view.static_html() == explorer.view.static_html()
    if isinstance(view, (w.BarChart, w.TimeSeries)):
        assert view.spec() == explorer.view.spec()
    if isinstance(view, w.KPICard):  # a rise is not called good or bad: the explorer cannot tell
        assert view.better is None and "par" not in view.title and " by " not in view.title


def test_the_cell_says_what_a_reader_would_write(catalog_source):
    explorer = w.Explorer("air_quality", locale="en")
    apply(explorer, {"group": "commune_code", "measure": "mean:pm10"},
          {"commune_code": ["69123"]})
    assert explorer.code() == (
        'from widgets import BarChart\n\n'
        'BarChart.of(\n'
        '    "air_quality",\n'
        '    by="commune_code",\n'
        '    measure="mean:pm10",\n'
        '    where=[("commune_code", "in", ["69123"])],\n'
        '    title="Mean pm10 by commune_code",\n'
        '    locale="en",\n'
        ')')


def test_changing_a_menu_or_a_filter_sends_a_new_query(catalog_source):
    explorer = w.Explorer("air_quality", locale="en")
    explorer.widget()
    ui = explorer.ui
    assert last_aggregate(catalog_source)["by"] == ["commune_code"]
    ui.measure.value = "max:pm10"
    assert last_aggregate(catalog_source)["measures"] == ["max:pm10"]
    ui.group.value = "measured_at:week"
    sent = last_aggregate(catalog_source)
    assert sent["bucket"] == "measured_at:week" and explorer.choice.chart == "timeseries"
    assert [label for label, _ in ui.chart.options] == ["Time series", "KPI card", "Table"]
    explorer.panel.filters["commune_code"].control.value = ("69125",)  # a click in the panel
    assert last_aggregate(catalog_source)["where"] == [("commune_code", "in", ["69125"])]
    shown = ui.view.children[0]
    assert shown is explorer.view.widget()  # the new view is the one displayed
    ui.dataset.value = "budget"
    assert catalog_source.calls[-1][1] == "budget" and explorer.panel.where == []
    assert ui.measure.value == "count" and "sum:amount" in [v for _, v in ui.measure.options]


def test_copy_as_code_shows_the_cell_and_follows_the_menus(catalog_source):
    explorer = w.Explorer("budget", locale="fr")
    explorer.widget()
    ui = explorer.ui
    assert ui.copy.description == "Copier le code" and ui.code.layout.display == "none"
    ui.copy.click()
    assert ui.code.value == explorer.code() and "BarChart.of(" in ui.code.value
    ui.chart.value = "table"
    assert "Table.of(" in ui.code.value


def test_a_dataset_without_numbers_offers_counts_and_says_why(catalog_source):
    explorer = w.Explorer("waste_bins", locale="en")
    explorer.widget()
    assert [v for _, v in explorer.ui.measure.options] == [
        "count", "distinct:bin_id", "distinct:commune", "distinct:stream"]
    assert "has no numeric column" in explorer.static_html()
    assert "has no numeric column" in explorer.ui.note.value


def test_service_errors_show_as_messages(catalog_source):
    explorer = w.Explorer("air_quality", locale="en")
    explorer.widget()
    catalog_source.error = RuntimeError("503 the datasets service is unavailable")
    explorer.ui.measure.value = "sum:pm10"
    assert explorer.view is None
    assert "This view could not be computed: 503" in explorer.ui.view.children[0].value
    html = explorer.static_html()
    check_static(html)
    assert 'role="alert"' in html and "Traceback" not in html
    broken = w.Explorer(locale="en")  # the listing itself fails
    assert "could not be computed: 503" in broken.static_html()
    broken.widget()


@pytest.mark.parametrize("locale", ["fr", "en"])
@pytest.mark.parametrize("chart", ["bar", "table", "kpi"])
def test_static_mode_renders_html_without_script(catalog_source, locale, chart):
    w.set_locale(locale)
    explorer = w.Explorer("budget")
    explorer.choose(measure="sum:amount", chart=chart,
                    group="spent_on:month" if chart == "kpi" else "commune")
    explorer.panel.set("kind", ["voirie"])
    render.set_mode("static")
    html = explorer._repr_mimebundle_()["text/html"]
    check_static(html)
    assert "<pre " in html and {"bar": "BarChart.of(", "table": "Table.of(",
                                "kpi": "KPICard.of("}[chart] in html
    assert ("kind parmi voirie" if locale == "fr" else "kind among voirie") in html


def test_menus_titles_and_code_say_columns_by_their_recipe_titles(catalog_source):
    metadata, frame = catalog_source.datasets["air_quality"]
    titled = {**metadata, "columns": [
        {**c, "title": {"fr": "Particules PM10", "en": "PM10 particles"}} if c["name"] == "pm10"
        else {**c, "title": {"fr": "Commune", "en": "Municipality"}}
        if c["name"] == "commune_code" else c for c in metadata["columns"]]}
    catalog_source.datasets["air_quality"] = (titled, frame)
    explorer = w.Explorer("air_quality", locale="en")
    explorer.choose(group="commune_code", measure="mean:pm10", chart="bar")
    explorer.widget()
    assert ("mean PM10 particles", "mean:pm10") in explorer.ui.measure.options
    assert ("Municipality", "commune_code") in explorer.ui.group.options
    assert 'title="Mean PM10 particles by municipality"' in explorer.code()
    assert "Municipality" in explorer.summary_html()
