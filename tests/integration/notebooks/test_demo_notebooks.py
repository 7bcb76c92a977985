"""The demo notebooks (issue #13), run top to bottom as real users of a live workspace.

Each notebook runs in a fresh kernel of its user's own workspace (this package's Agora and
spawned workspaces, shared with the getting-started test): the analyst runs the analysts'
notebooks, the elected official of Rivemont (elu-rivemont, territory 99101) the air-quality
one, which must then show Rivemont's sensors only, and the partner the partner's view.

Asserted for every notebook: no cell fails, no traceback on stderr, every widget a cell shows
(KPI boards, charts, maps, tables, filter panels) is a live ipywidget output, and each expected
kind of widget is there. Then the figures the reader sees are recomputed with plain pandas
from the snapshot files, filtered by the policy as tests/access_oracle.py reads it (never
through the service): the KPI values, the counts behind the charts, the maps' values, the
table's total, the partner's catalogue and downloads.
"""

from __future__ import annotations

import time

import pandas as pd
import pytest

from .notebook_runs import NOTEBOOKS, STATE_TAG, run_notebook

pytestmark = pytest.mark.integration

OFFICIAL_TERRITORY = "99101"  # elu-rivemont's (group commune-99101)

# Run after a notebook in its kernel: the widgets shown (by the execution count of their cell,
# from IPython's Out) and the KPI cards' values; each notebook's probe adds its own figures.
PRELUDE = r"""
import json as _json
import widgets as _widgets

def _number(x):
    return None if x is None or x != x else float(x)

_views = {str(n): type(v).__name__ for n, v in Out.items() if isinstance(v, _widgets.View)}
_cards = [_number(c.numbers()[0]) for v in Out.values() if isinstance(v, _widgets.KPIBoard)
          for c in v.cards]
_shown = [v for v in Out.values() if isinstance(v, _widgets.View)]

def _map_values(m):
    return {str(n): _number(v) for n, v in zip(m.frame["agora_name"], m.frame["agora_value"])}

"""
DONE = f"\nprint({STATE_TAG!r} + ' ' + _json.dumps({{'views': _views, 'cards': _cards, **_state}}))"

NOTEBOOK_RUNS = {
    "air-quality-thresholds": ("elu-rivemont", r"""
_state = {"days_over": {k: int(v) for k, v in days_over.items()},
          "annual_mean": {k: _number(v) for k, v in annual_mean.items()},
          "map": _map_values(pm10_map), "map_alt": pm10_map.alt_text(),
          "table_total": next(v for v in _shown if type(v).__name__ == "Table").total()}
"""),
    "ev-and-fibre-deployment": ("analyst", r"""
_state = {"points": len(stations_map.points), "fibre_map": _map_values(fibre_map),
          "last_quarter": last_quarter, "map_alt": stations_map.alt_text()}
"""),
    "river-levels-flood-risk": ("analyst", r"""
_state = {"hours": {k: [float(v) for v in row] for k, row in hours.iterrows()},
          "stations": len(stations_map.points)}
"""),
    "budget-kpis": ("analyst", r"""
_bars = next(v for v in _shown if getattr(v, "measure", None) == "sum:amount_eur")
_state = {"last_year": last_year,
          "by_function": {k: float(v) for k, v in zip(_bars.data["function"],
                                                      _bars.data["sum_amount_eur"])}}
"""),
    "partner-view": ("partner", r"""
_state = {"shared": [str(i) for i in shared["id"]],
          "dcat": [d["dct:identifier"] for d in dcat["dcat:dataset"]],
          "links": [str(u) for u in links["lien"]], "exported_rows": len(exported),
          "exported_columns": [str(c) for c in exported.columns],
          "geo_rows": len(stations), "geo_type": type(stations).__name__, "refused": refused,
          "points": len(stations_map.points)}
"""),
}
EXPECTED_WIDGETS = {
    "air-quality-thresholds": {"FilterPanel", "KPIBoard", "TimeSeries", "BarChart",
                               "ChoroplethMap", "Table"},
    "ev-and-fibre-deployment": {"FilterPanel", "KPIBoard", "BarChart", "PointMap",
                                "ChoroplethMap", "TimeSeries", "Table"},
    "river-levels-flood-risk": {"Table", "PointMap", "KPIBoard", "BarChart", "FilterPanel",
                                "TimeSeries"},
    "budget-kpis": {"FilterPanel", "KPIBoard", "BarChart", "Table"},
    "partner-view": {"Table", "KPIBoard", "BarChart", "PointMap"},
}
NAMES = sorted(NOTEBOOK_RUNS)


@pytest.fixture(scope="module")
def runs(agora, sessions):
    """{notebook: NotebookRun}, each in a fresh kernel of its user's workspace; prints how
    long each took (the suite's time budget is tight)."""
    found = {}
    for name in NAMES:
        user, probe = NOTEBOOK_RUNS[name]
        started = time.monotonic()
        found[name] = run_notebook(agora, sessions[user], user, NOTEBOOKS / f"{name}.ipynb",
                                   PRELUDE + probe + DONE)
        print(f"{name} as {user}: {time.monotonic() - started:.1f} s")
    return found


def state(runs, name: str) -> dict:
    assert runs[name].state is not None, f"{name}: a cell failed, see test_runs_top_to_bottom"
    return runs[name].state


# -- every notebook ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_runs_top_to_bottom_without_error(runs, name):
    run = runs[name]
    assert run.failure() is None, f"{name}: cell failed:\n{run.failure()}"
    assert not run.stderr_tracebacks(), run.stderr_tracebacks()
    assert len(run.executions) >= 8  # short cells, but a real analysis


@pytest.mark.parametrize("name", NAMES)
def test_shows_its_widgets_charts_and_maps(runs, name):
    views = state(runs, name)["views"]
    assert EXPECTED_WIDGETS[name] <= set(views.values()), views
    for count, kind in views.items():
        assert runs[name].shows_widget(int(count)), f"{name}: the {kind} of cell {count} is not shown"


# -- the figures are the policy's -------------------------------------------------------------

def test_air_quality_official_sees_their_sensors_and_the_right_exceedances(runs, oracle):
    found = state(runs, "air-quality-thresholds")
    frame = oracle.frame("elu-rivemont", "air_quality")
    assert set(frame["commune_code"]) == {OFFICIAL_TERRITORY}
    everyone = oracle.snapshot("air_quality").frame["sensor_id"].nunique()
    daily = frame.groupby(["sensor_id", frame["measured_at"].dt.floor("D")])["pm10"].mean()
    days_over = (daily > 50).groupby(level="sensor_id").sum()
    assert found["days_over"] == {k: int(v) for k, v in days_over.items()}
    assert 0 < len(found["days_over"]) < everyone  # Rivemont's sensors, not the network's
    annual = frame.groupby("sensor_id")["pm10"].mean()
    month = frame["measured_at"].dt.to_period("M")
    last_month = frame.loc[month == month.max(), "pm10"].mean()
    assert found["cards"] == pytest.approx([days_over.max(), annual.max(), last_month])
    values = {k: v for k, v in found["map"].items() if v is not None}
    assert values == pytest.approx({"Rivemont": frame["pm10"].mean()})
    assert len(found["map"]) == len(oracle.snapshot("communes").frame) == 30
    assert found["table_total"] == int((frame["pm10"] > 50).sum())


def test_ev_and_fibre_figures_are_the_policys(runs, oracle):
    found = state(runs, "ev-and-fibre-deployment")
    ev = oracle.frame("analyst", "ev_charging_stations")
    fibre = oracle.frame("analyst", "fibre_rollout")
    served = ev[ev["status"] == "in service"]
    last = fibre[fibre["quarter"] == fibre["quarter"].max()]
    assert found["last_quarter"] == fibre["quarter"].max()
    coverage = 100 * last["eligible_premises"].sum() / last["total_premises"].sum()
    assert found["cards"] == pytest.approx([len(served), served["charging_points"].sum(),
                                            coverage])
    assert found["points"] == int(ev[["latitude", "longitude"]].notna().all(axis=1).sum())
    names = oracle.frame("analyst", "communes").set_index("commune_code")["commune_name"]
    expected = {names[c]: 100 * r for c, r in zip(last["commune_code"], last["coverage_rate"])}
    assert found["fibre_map"] == pytest.approx(expected)


def test_river_hours_above_thresholds_are_the_policys(runs, oracle):
    found = state(runs, "river-levels-flood-risk")
    levels = oracle.frame("analyst", "river_levels")
    stations = oracle.frame("analyst", "river_stations")
    alert = levels["level_m"] >= levels["alert_m"]
    vigilance = (levels["level_m"] >= levels["vigilance_m"]) & ~alert
    hours = pd.DataFrame({"v": vigilance, "a": alert, "s": levels["station_code"]}).groupby("s").sum() / 4
    names = dict(zip(stations["station_code"], stations["station_name"]))
    expected = {names[s]: [row["v"], row["a"]] for s, row in hours.iterrows()}
    assert found["hours"].keys() == expected.keys()
    for station, pair in expected.items():
        assert found["hours"][station] == pytest.approx(pair), station
    above = hours.sum(axis=1)
    assert found["cards"] == pytest.approx([(above > 0).sum(), (hours["a"] > 0).sum(),
                                            above.sum()])
    assert found["cards"][1] >= 1  # the demo's flood crosses an alert level
    assert found["stations"] == len(stations) == 5


def test_budget_kpis_are_the_policys(runs, oracle):
    found = state(runs, "budget-kpis")
    budget = oracle.frame("analyst", "budget_spending")
    last_year = int(budget["year"].max())
    assert found["last_year"] == last_year
    this, before = (budget[budget["year"] == y] for y in (last_year, last_year - 1))
    investment = lambda rows: rows.loc[rows["section"] == "Investissement", "amount_eur"].sum()  # noqa: E731
    assert found["cards"] == pytest.approx([this["amount_eur"].sum() / 1e6,
                                            100 * investment(this) / this["amount_eur"].sum(),
                                            investment(this) / 1e6])
    assert investment(before) > 0
    assert found["by_function"] == pytest.approx(
        this.groupby("function")["amount_eur"].sum().to_dict())


def test_partner_sees_their_datasets_and_downloads_with_their_rights(runs, oracle, agora):
    found = state(runs, "partner-view")
    readable = oracle.readable("partner")
    assert "fibre_rollout" not in readable and "social_aid_beneficiaries" not in readable
    assert sorted(found["shared"]) == sorted(found["dcat"]) == readable
    exports = f"{agora.url}services/datasets/api/datasets/"
    assert found["links"] and all(link.startswith(exports) for link in found["links"])
    assert {link.rsplit("/", 2)[-2] for link in found["links"]} == set(readable)
    view = oracle.view("partner", "ev_charging_stations")
    assert found["exported_rows"] == found["geo_rows"] == view.count
    assert set(found["exported_columns"]) == set(view.columns)
    located = oracle.frame("partner", "ev_charging_stations")["geometry"].notna().sum()
    assert found["geo_type"] == "GeoDataFrame" and found["points"] == located > 0
    assert found["refused"] == 404
    ev = oracle.frame("partner", "ev_charging_stations")
    assert found["cards"] == pytest.approx([len(ev), ev["charging_points"].sum(),
                                            ev["power_kw"].mean()])


# -- the publish notebook: the panel in a real workspace, with its own token ------------------

PUBLISH_NOTEBOOK = "publier-un-tableau-de-bord"
RUN_ELSEWHERE = {"getting-started": "test_getting_started.py runs it",
                 PUBLISH_NOTEBOOK: "test_the_publish_notebook_shows_the_panel_for_an_analyst "
                 "runs it (too short for NOTEBOOK_RUNS' checks; publishing itself is "
                 "tests/browser/test_dashboards.py's)"}
PUBLISH_PROBE = r"""
import json as _json
print("NOTEBOOK-STATE " + _json.dumps({"info": panel.info, "error": panel.error,
      "notebooks": list(panel.notebook.options), "button": panel.button.disabled}))
"""


def test_every_notebook_of_the_checkout_is_run_by_a_test():
    names = {p.stem for p in NOTEBOOKS.glob("*.ipynb")}
    assert names == set(NOTEBOOK_RUNS) | set(RUN_ELSEWHERE)


def test_the_publish_notebook_shows_the_panel_for_an_analyst(agora, sessions):
    """Run in the analyst's workspace with nothing but the spawner's environment: the panel
    reaches the dashboards service with the workspace's own JUPYTERHUB_API_TOKEN (its server
    token scopes), lists the starter notebooks of the home and may publish."""
    run = run_notebook(agora, sessions["analyst"], "analyst",
                       NOTEBOOKS / f"{PUBLISH_NOTEBOOK}.ipynb", PUBLISH_PROBE)
    assert run.failure() is None, run.failure()
    assert run.shows_widget(1)
    found = run.state
    assert found["error"] is None and found["button"] is False
    assert found["info"]["user"] == "analyst" and found["info"]["may_publish"] is True
    assert {"officials", "commune-99101"} <= set(found["info"]["targets"])
    assert f"Bienvenue - Getting started/{PUBLISH_NOTEBOOK}.ipynb" in found["notebooks"]
