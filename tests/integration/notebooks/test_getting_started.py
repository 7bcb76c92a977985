"""notebooks/getting-started.ipynb, executed for real in spawned workspaces (issue #4).

ONE real `agora up` (demo mode, demo data, default shared isolation), shared with the demo
notebooks' tests (this package's conftest). An analyst and an elected official (elu-rivemont,
territory 99101) log in through the login form and their workspaces spawn; every code cell of
the notebook then runs, in order, in a kernel of the user's own single-user server — started
through the Jupyter Server REST API and fed through the kernel websocket, as JupyterLab does —
with nothing but the environment the spawner gives.

Asserted: no cell fails; the cells show real data (the dataset ids of the user's catalog, rows of
a table, the widgets of the last part); and what the notebook's variables hold (`cat`,
`available`, `df`, `worst`) is what the access policy allows, as computed independently by
tests/access_oracle.py from the recipes, the hub's groups and the snapshot files: the catalog's
datasets, the rows (count, communes, sums of every numeric column) and the columns. Then, in the
same kernel, the notebook's one line `cat[id].read()` for every dataset of the catalog gets the
same checks, so column rules (hidden, generalised) are seen applied too. Nothing here depends on
the catalog's YAML layout or on the OS account the workspace runs as.
"""

from __future__ import annotations

import pytest

from tests.access_oracle import Snapshot
from tests.support import WorkspaceKernel, tagged_result, user_api_token

from .notebook_runs import ANSI, CELL_TIMEOUT, NOTEBOOKS, WIDGET_MIME, code_cells

pytestmark = pytest.mark.integration

NOTEBOOK = NOTEBOOKS / "getting-started.ipynb"
USERS = ("analyst", "elu-rivemont")  # the package spawns the partner too
OFFICIAL_TERRITORY = "99101"  # elu-rivemont's (group commune-99101)

# Run after the notebook, in the same kernel: what its variables hold, and every dataset of the
# catalog read with the notebook's one line. Numeric sums identify the rows without shipping
# them (a kernel's output is rate-limited).
STATE = r"""
import json as _json
import pandas as _pd

def _describe(frame):
    numeric = [c for c in frame.columns if _pd.api.types.is_numeric_dtype(frame[c])
               and not _pd.api.types.is_bool_dtype(frame[c])]
    communes = (sorted({str(v) for v in frame["commune_code"].dropna()})
                if "commune_code" in frame.columns else None)
    return {"type": type(frame).__name__, "rows": len(frame),
            "columns": [str(c) for c in frame.columns], "communes": communes,
            "sums": {str(c): float(frame[c].sum()) for c in numeric}}

_state = {
    "ids": [str(i) for i in cat],
    "available": [str(i) for i in available["id"]],
    "name": name,
    "df": _describe(df),
    "worst": {**_describe(worst),
              "pm10": [float(v) for v in worst["pm10"]] if "pm10" in worst.columns else None},
    "every": {i: _describe(cat[i].read()) for i in cat},
    # the last part's widgets, by the execution count of the cell that shows each
    "widgets": {str(n): [type(v).__name__, float(v.numbers()[0]) if hasattr(v, "numbers")
                         else None] for n, v in Out.items() if type(v).__module__.startswith("widgets.")},
}
print("NOTEBOOK-STATE " + _json.dumps(_state))
"""


@pytest.fixture(scope="module")
def runs(agora, sessions):
    """{user: (outputs of each code cell, the kernel's state afterwards)}; the workspaces were
    spawned side by side by the package's `sessions`."""
    found = {}
    for user in USERS:
        token = user_api_token(sessions[user], agora.url, user, "getting-started test")
        with WorkspaceKernel(agora.url, user, token, timeout=CELL_TIMEOUT) as kernel:
            executions = []
            for source in code_cells(NOTEBOOK):
                executions.append((source, kernel.execute(source)))
                if executions[-1][1].error:
                    break  # as nbclient does: later cells would fail for this one's reason
            state = None
            if not executions[-1][1].error:
                probe = kernel.execute(STATE, store_history=False)
                assert not probe.error, ANSI.sub("", "\n".join(probe.error["traceback"]))
                state = tagged_result(probe.text, "NOTEBOOK-STATE")
        found[user] = (executions, state)
    return found


def state_of(runs, user: str) -> dict:
    """The kernel's state after the notebook (a failed cell fails the tests that need it)."""
    state = runs[user][1]
    assert state is not None, f"a cell failed in {user}'s run: see test_every_code_cell..."
    return state


def numeric_sums(view) -> dict[str, float]:
    """The sum of every numeric column of the oracle's rows (None values skipped)."""
    sums = {}
    for i, column in enumerate(view.columns):
        if view.kinds[column] in ("int", "float"):
            sums[column] = sum(row[i] for row in view.rows if row[i] is not None)
    return sums


def assert_frame_is_the_policys(frame: dict, view, snapshot: Snapshot, label: str) -> None:
    """A described DataFrame (STATE's _describe) against the oracle's view of the dataset."""
    assert frame["rows"] == view.count, f"{label}: {frame['rows']} rows, policy says {view.count}"
    assert frame["rows"] > 0, f"{label}: no rows"
    assert set(frame["columns"]) == set(view.columns), (
        f"{label}: columns {frame['columns']}, policy says {view.columns}")
    if snapshot.geometry_columns:
        assert frame["type"] == "GeoDataFrame", label
    else:
        assert frame["type"] == "DataFrame", label
    for column, expected in numeric_sums(view).items():
        assert column in frame["sums"], f"{label}: {column} is not numeric in the notebook"
        assert frame["sums"][column] == pytest.approx(expected, rel=1e-6, abs=1e-3), (
            f"{label}: the sum of {column} differs: other rows than the policy's")


# -- every cell runs -------------------------------------------------------------------------

@pytest.mark.parametrize("user", USERS)
def test_every_code_cell_runs_without_error(runs, user):
    executions, state = runs[user]
    for source, execution in executions:
        assert not execution.error, (f"{user}: cell failed:\n{source}\n"
                                     + ANSI.sub("", "\n".join(execution.error["traceback"])))
    assert len(executions) == len(code_cells(NOTEBOOK)) >= 5
    assert state is not None


@pytest.mark.parametrize("user", USERS)
def test_cells_show_real_data(runs, oracle, user):
    """What a reader sees: the ids of their datasets, a table with rows."""
    executions, _ = runs[user]
    shown = "\n".join(text for _, e in executions for text in e.data("text/plain"))
    for dataset in oracle.readable(user):
        assert repr(dataset) in shown, f"{user}: {dataset} is not shown"
    for dataset in set(oracle.readable("analyst")) - set(oracle.readable(user)):
        assert dataset not in shown, f"{user} is shown {dataset}, which they may not read"
    html = "\n".join(text for _, e in executions for text in e.data("text/html"))
    assert html.count("<table") >= 2 and "<td>" in html  # datasets() and df.head() at least
    assert not any(o["output_type"] == "stream" and o["name"] == "stderr" and "Traceback" in
                   o["text"] for _, e in executions for o in e.outputs)


# -- what the notebook read is what the policy allows ----------------------------------------

@pytest.mark.parametrize("user", USERS)
def test_catalog_lists_exactly_the_readable_datasets(runs, oracle, user):
    state = state_of(runs, user)
    assert sorted(state["ids"]) == oracle.readable(user)
    assert sorted(state["available"]) == oracle.readable(user)


@pytest.mark.parametrize("user", USERS)
def test_the_dataset_read_in_the_notebook_is_the_policys(runs, oracle, user):
    state = state_of(runs, user)
    assert state["name"] == "air_quality"  # both may read it: the notebook's first choice
    view = oracle.view(user, "air_quality")
    assert_frame_is_the_policys(state["df"], view, oracle.snapshot("air_quality"),
                                f"{user} df")


def test_the_official_reads_only_their_territory(runs, oracle):
    state, analyst = state_of(runs, "elu-rivemont"), state_of(runs, "analyst")
    expected = oracle.expected("elu-rivemont", "air_quality")
    assert expected.row_filters == (("commune_code", frozenset({OFFICIAL_TERRITORY})),)
    assert state["df"]["communes"] == [OFFICIAL_TERRITORY]
    snapshot = oracle.snapshot("air_quality")
    # a real restriction: the snapshot has other communes, and the analyst got them all
    everyone = sorted(set(snapshot.frame["commune_code"].dropna().astype(str)))
    assert len(everyone) > 1
    assert analyst["df"]["communes"] == everyone
    assert state["df"]["rows"] < analyst["df"]["rows"] == snapshot.total


@pytest.mark.parametrize("user", USERS)
def test_server_side_filter_gives_the_policys_top_rows(runs, oracle, user):
    """records(name, pm10 > 50, by pm10 descending, 20 rows): the oracle's 20 highest."""
    worst = state_of(runs, user)["worst"]
    view = oracle.view(user, "air_quality")
    pm10 = view.columns.index("pm10")
    top = sorted((row[pm10] for row in view.rows if row[pm10] is not None and row[pm10] > 50),
                 reverse=True)[:20]
    assert top, "the demo data has no pm10 > 50: the cell shows nothing"
    assert worst["pm10"] == pytest.approx(top)
    assert set(worst["columns"]) <= set(view.columns)
    if oracle.expected(user, "air_quality").row_filters:
        assert worst["communes"] == [OFFICIAL_TERRITORY]


@pytest.mark.parametrize("user", USERS)
def test_one_line_reads_every_dataset_with_the_rules_applied(runs, oracle, user):
    """`cat[id].read()` for each id of the user's catalog, in the notebook's kernel."""
    every = state_of(runs, user)["every"]
    assert sorted(every) == oracle.readable(user)
    for dataset, frame in every.items():
        view = oracle.view(user, dataset)
        expected = oracle.expected(user, dataset)
        assert not expected.hidden & set(frame["columns"]), f"{user} {dataset}: hidden columns"
        assert_frame_is_the_policys(frame, view, oracle.snapshot(dataset), f"{user} {dataset}")
        for column, values in expected.row_filters:
            if column == "commune_code":
                assert set(frame["communes"]) <= values, f"{user} {dataset}: rows outside"


def test_column_rules_are_applied_in_the_workspace(runs, oracle):
    """The demo's hidden and generalised columns (social aid, analysts only)."""
    frame = state_of(runs, "analyst")["every"]["social_aid_beneficiaries"]
    expected = oracle.expected("analyst", "social_aid_beneficiaries")
    assert expected.hidden and not expected.hidden & set(frame["columns"])
    generalised = [c for c, r in expected.rules.items() if r["action"] == "generalise"]
    assert generalised and set(generalised) <= set(frame["columns"])
    assert "social_aid_beneficiaries" not in state_of(runs, "elu-rivemont")["every"]


@pytest.mark.parametrize("user", USERS)
def test_the_widgets_part_shows_a_card_a_chart_and_a_table(runs, oracle, user):
    """The last part: a KPI card, a time series and a table, each shown as a live ipywidget;
    the card's value is the mean PM10 of the last month of the rows the user may read."""
    executions, _ = runs[user]
    shown = state_of(runs, user)["widgets"]
    assert sorted(kind for kind, _ in shown.values()) == ["KPICard", "Table", "TimeSeries"]
    for count in shown:
        assert executions[int(count) - 1][1].data(WIDGET_MIME), f"{user}: cell {count}"
    frame = oracle.frame(user, "air_quality")
    month = frame["measured_at"].dt.to_period("M")
    (value,) = [v for kind, v in shown.values() if kind == "KPICard"]
    assert value == pytest.approx(frame.loc[month == month.max(), "pm10"].mean())
