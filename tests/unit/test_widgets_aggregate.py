"""The notebook client `widgets.aggregate` against the real service in-process: typed frames."""

from __future__ import annotations

import pytest

import widgets
from widgets import aggregate
from widgets.aggregates import frame_from_answer

from .test_datasets_aggregate_service import service, ws  # noqa: F401  (fixtures)


@pytest.fixture
def analyst(service, monkeypatch):  # noqa: F811
    monkeypatch.setenv("AGORA_DATASETS_URL", service.url)
    monkeypatch.setenv("AGORA_TOKEN", "analyst")
    return service


def test_the_package_exports_it():
    assert widgets.aggregate is aggregate and "aggregate" in widgets.__all__


def test_the_notebook_client_gives_a_typed_frame(analyst):
    frame = aggregate("incidents", by=["commune_code"], where=[("age", "ge", 36)],
                      measures=["count", ("mean", "amount")],
                      bucket="reported_at:month", order_by="commune_code")
    assert list(frame.columns) == ["commune_code", "reported_at_month", "count", "mean_amount",
                                   "suppressed"]
    assert str(frame["count"].dtype) == "Int64" and str(frame["suppressed"].dtype) == "boolean"
    assert str(frame["reported_at_month"].dtype).startswith("datetime64")
    assert frame["reported_at_month"].dt.day.eq(1).all()
    assert frame["count"].isna().tolist() == [True, True, False]
    assert frame["count"].tolist()[2] == 5 and frame["suppressed"].tolist() == [True, True, False]
    assert frame["mean_amount"].isna().tolist() == [True, True, False]
    assert frame.attrs["suppressed_groups"] == 2 and frame.attrs["min_group_size"] == 5
    assert frame.attrs["version"] and frame.attrs["dataset"] == "incidents"


def test_strings_and_defaults(analyst):
    frame = aggregate("incidents", by="commune_code", where="age:lt:30")
    assert list(frame.columns) == ["commune_code", "count", "suppressed"]
    # 4, 3 and 3 rows: all below 5
    assert frame["suppressed"].all() and frame["count"].isna().all()
    assert len(aggregate("incidents", by="commune_code", limit=2)) == 2


def test_a_refusal_is_an_agora_error_with_the_service_message(analyst):
    with pytest.raises(widgets.AgoraError, match="measure=sum:label"):
        aggregate("incidents", measures=["sum:label"])


def test_timestamps_with_a_time_zone_stay_aware():
    frame = frame_from_answer({"columns": ["at", "n"], "records": [
        {"at": "2024-01-01T10:00:00+00:00", "n": None}, {"at": None, "n": 3}],
        "schema": [{"name": "at", "type": "timestamp[us, tz=UTC]"},
                   {"name": "n", "type": "int64"}]})
    assert str(frame["at"].dt.tz) == "UTC" and frame["at"][0].hour == 10
    assert frame["n"].isna().tolist() == [True, False] and str(frame["n"].dtype) == "Int64"


def test_views_built_from_a_dataset_reach_the_real_aggregate(analyst):
    """The views' queries (order, limit) in the form `widgets.aggregate` takes (order_by)."""
    from widgets import BarChart, FilterPanel

    panel = FilterPanel.of("incidents", columns=["commune_code"])
    assert panel.filters["commune_code"].control.options
    bars = BarChart.of("incidents", by="commune_code", measure="count", limit=1)
    assert len(bars.data) == 1


def test_the_explorer_runs_on_the_real_service(analyst):
    explorer = widgets.Explorer("incidents", locale="en")
    explorer.choose(group="reported_at:month", measure="count", chart="table")
    assert explorer.error is None and "reported_at_month" in explorer.view.data.columns
    assert "incidents" in widgets.DatasetBrowser().search("incidents")[0]["id"]


def test_records_come_typed_as_the_snapshot_holds_them(analyst):
    """Dates are datetimes and counts integers, not the ISO text and floats of JSON."""
    rows = widgets.records("incidents", limit=5)
    assert str(rows["reported_at"].dtype).startswith("datetime64")
    table = widgets.Table.of("incidents", select=["reported_at"], page_size=3, locale="fr")
    import re

    first = re.search(r"<td[^>]*>([^<]*)</td>", table.static_html()).group(1)
    assert re.fullmatch(r"\d\d/\d\d/\d{4}( \d\d:\d\d)?", first), first  # not 2024-01-01T00:00
