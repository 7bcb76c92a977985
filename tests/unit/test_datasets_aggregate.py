"""Aggregate compilation: the SQL shape, its parameters, and its results on real DuckDB and Parquet
compared with pandas on the rows the caller may see."""

from __future__ import annotations

import math
import re
from types import SimpleNamespace

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from hub.policy.evaluate import Decision, RowFilter
from hub.policy.pseudonym import pseudonym
from hub.policy.rules import ColumnRule
from hub.services.datasets.aggregate import SIZE, compile_aggregate
from hub.services.datasets.aggregate_handler import AggregateHandler
from hub.services.datasets.aggregate_params import parse_aggregate
from hub.services.datasets.engine import Engine, connect
from hub.services.datasets.query import QueryError
from hub.services.datasets.visible import visible_columns

KEY = b"aggregate-test-key"
ROWS = 40
RULES = (("nir", ColumnRule(action="hide")), ("name", ColumnRule(action="pseudonymise")),
         ("age", ColumnRule(action="generalise", to="band", bands=[0, 30, 50])))
ALL = Decision(True, (), RULES)


def frame() -> pd.DataFrame:
    return pd.DataFrame({
        "commune_code": [["99101", "99102", "99103"][i % 3] for i in range(ROWS)],
        "name": [f"p{i % 7}" for i in range(ROWS)],
        "age": [18 + i for i in range(ROWS)],
        "amount": [None if i % 9 == 0 else i * 2.5 for i in range(ROWS)],
        "qty": [i * 3 for i in range(ROWS)],
        "day": [(pd.Timestamp("2024-12-20") + pd.Timedelta(days=3 * i)).date()
                for i in range(ROWS)],
        "at": pd.date_range("2024-03-30 22:00", periods=ROWS, freq="17h", tz="UTC"),
        "label": [f"l{i}" for i in range(ROWS)],
        "nir": [f"N{i}" for i in range(ROWS)],
    })


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory):
    path = tmp_path_factory.mktemp("aggregate") / "data.parquet"
    pq.write_table(pa.Table.from_pandas(frame(), preserve_index=False), path)
    return path


@pytest.fixture(scope="module")
def con():
    return connect(KEY)


def schema_of(path) -> list[dict]:
    return [{"name": f.name, "type": str(f.type)} for f in pq.read_schema(path)]


def run(con, snapshot, query: dict, decision: Decision = ALL) -> pd.DataFrame:
    """Parse, compile and run one request as the handler does; the grouped rows."""
    types = {c.name: c.type for c in visible_columns(schema_of(snapshot), decision)}
    args = {k: v if isinstance(v, list) else [v] for k, v in query.items()}
    request = parse_aggregate(args, types)
    compiled = compile_aggregate(str(snapshot), [c["name"] for c in schema_of(snapshot)],
                                 decision, request, types)
    return con.sql(compiled.sql, params=compiled.params).df()


def seen(decision: Decision = ALL) -> pd.DataFrame:
    """The rows as the caller sees them, by hand: row filters, hidden, pseudonyms, bands."""
    rows = frame()
    for f in decision.row_filters:
        rows = rows[rows[f.column].isin(f.values)]
    rules = dict(decision.column_actions)
    if "name" in rules:
        rows = rows.assign(name=[pseudonym(v, KEY) for v in rows["name"]])
    if "age" in rules:
        rows = rows.assign(age=["<0" if a < 0 else "0-30" if a < 30 else "30-50" if a < 50
                                else "50+" for a in rows["age"]])
    return rows.drop(columns=[c for c, r in rules.items() if r.action == "hide"])


# -- SQL shape ------------------------------------------------------------------------------

def test_every_value_is_a_parameter_and_every_name_is_quoted(snapshot):
    types = {c.name: c.type for c in visible_columns(schema_of(snapshot), ALL)}
    request = parse_aggregate({"by": ["commune_code"], "bucket": ["at:month"],
                               "measure": ["count", "p90:amount"],
                               "where": ["label:eq:x' OR '1'='1"]}, types)
    decision = Decision(True, (RowFilter("commune_code", ("99101",)),), RULES)
    compiled = compile_aggregate(str(snapshot), list(types) + ["nir"], decision, request, types)
    sql = compiled.sql
    outer = sql[:sql.index(" FROM (")] + sql[sql.index(") AS allowed"):]
    assert "'" not in outer  # literals only in the records path's own (recipe band labels)
    assert "x' OR" not in sql and str(snapshot) not in sql and "99101" not in sql
    assert 'AS "commune_code"' in sql and 'AS "at_month"' in sql and 'AS "p90_amount"' in sql
    assert "date_trunc(?, timezone(?, \"at\"))" in sql and "quantile_cont(\"amount\", ?)" in sql
    assert '"nir"' not in sql  # hidden: not even read
    assert compiled.params[:3] == ["month", "UTC", 0.9]
    assert {str(snapshot), "99101", "x' OR '1'='1"} <= set(compiled.params)
    assert compiled.params[-1] == 10_001 and sql.endswith("LIMIT ?")
    assert sql.index("GROUP BY 1, 2") < sql.index("ORDER BY 1, 2")
    assert compiled.columns == ["commune_code", "at_month", "count", "p90_amount", SIZE]


# -- results equal pandas on the caller's rows --------------------------------------------------

def test_measures_per_group_equal_pandas(con, snapshot):
    got = run(con, snapshot, {"by": "commune_code", "measure": [
        "count", "count:amount", "distinct:name", "sum:qty", "mean:amount", "min:day",
        "max:at", "p90:amount", "p0:qty"]}).set_index("commune_code")
    rows = seen().groupby("commune_code")
    assert got["count"].tolist() == rows.size().tolist()
    assert got["count_amount"].tolist() == rows["amount"].count().tolist()
    assert got["distinct_name"].tolist() == rows["name"].nunique().tolist()
    assert got["sum_qty"].tolist() == rows["qty"].sum().tolist()
    assert str(got["sum_qty"].dtype) == "int64"  # not a HUGEINT, not a float
    assert got["mean_amount"].tolist() == pytest.approx(rows["amount"].mean().tolist())
    assert [d.date() for d in got["min_day"]] == rows["day"].min().tolist()
    assert got["max_at"].tolist() == rows["at"].max().tolist()
    assert got["p90_amount"].tolist() == pytest.approx(rows["amount"].quantile(0.9).tolist())
    assert got["p0_qty"].tolist() == rows["qty"].min().tolist()
    assert got[SIZE].tolist() == rows.size().tolist()


@pytest.mark.parametrize("unit, period", [("day", "D"), ("week", "W-SUN"), ("month", "M"),
                                          ("quarter", "Q"), ("year", "Y")])
@pytest.mark.parametrize("column", ["day", "at"])
def test_buckets_are_first_days_of_periods_weeks_from_monday(con, snapshot, unit, period,
                                                               column):
    got = run(con, snapshot, {"bucket": f"{column}:{unit}", "measure": "sum:qty"})
    values = pd.to_datetime(seen()[column])
    if values.dt.tz is not None:
        values = values.dt.tz_convert("UTC").dt.tz_localize(None)
    starts = values.dt.to_period(period).dt.start_time
    expected = seen().groupby(starts.values)["qty"].sum()
    assert [pd.Timestamp(d) for d in got[f"{column}_{unit}"]] == list(expected.index)
    assert got["sum_qty"].tolist() == expected.tolist()
    if unit == "week":
        assert {pd.Timestamp(d).day_of_week for d in got[f"{column}_{unit}"]} == {0}


def test_timestamp_buckets_are_utc_days_whatever_the_session_time_zone(snapshot):
    elsewhere = connect(KEY)
    elsewhere.execute("SET TimeZone = 'America/New_York'")
    got = run(elsewhere, snapshot, {"bucket": "at:day"})
    utc_days = seen()["at"].dt.tz_convert("UTC").dt.floor("D").dt.tz_localize(None)
    assert [pd.Timestamp(d) for d in got["at_day"]] == sorted(set(utc_days))
    assert got["count"].tolist() == utc_days.value_counts().sort_index().tolist()


def test_rules_apply_before_aggregating(con, snapshot):
    decision = Decision(True, (RowFilter("commune_code", ("99102",)),), RULES)
    got = run(con, snapshot, {"by": "age,commune_code", "measure": ["count", "distinct:name"]},
              decision)
    rows = seen(decision)
    expected = rows.groupby("age").agg(count=("qty", "size"), distinct=("name", "nunique"))
    assert got["age"].tolist() == list(expected.index) == ["0-30", "30-50", "50+"]
    assert set(got["commune_code"]) == {"99102"}
    assert got["count"].tolist() == expected["count"].tolist()
    assert got["distinct_name"].tolist() == expected["distinct"].tolist()


def test_filters_are_the_records_filters_over_what_the_caller_sees(con, snapshot):
    name = pseudonym("p3", KEY)
    got = run(con, snapshot, {"measure": "count", "where": [f"name:eq:{name}", "age:eq:0-30"]})
    rows = seen()
    assert got["count"].tolist() == [((rows["name"] == name) & (rows["age"] == "0-30")).sum()]
    assert run(con, snapshot, {"where": "name:eq:p3"})["count"].tolist() == [0]  # no originals


def test_no_group_by_gives_one_group_even_for_no_rows(con, snapshot):
    got = run(con, snapshot, {"measure": ["count", "mean:amount"], "where": "qty:lt:0"})
    assert got["count"].tolist() == [0] and math.isnan(got["mean_amount"][0])


# -- refusals: one message naming the parameter and the fix ---------------------------------------

@pytest.mark.parametrize("query, message", [
    ({"by": "nir"}, "unknown column 'nir'"),
    ({"bucket": "nir:month"}, "unknown column 'nir'"),
    ({"measure": "sum:nir"}, "unknown column 'nir'"),
    ({"measure": "distinct:nir"}, "unknown column 'nir'"),
    ({"where": "nir:eq:N1"}, "unknown column 'nir'"),
    ({"by": "name"}, "by=name: column 'name' is pseudonymised and cannot be grouped by"),
    ({"measure": "max:name"}, "only count:name and distinct:name apply"),
    ({"measure": "sum:label"}, "column 'label' is text, and sum needs a number"),
    ({"measure": "min:label"}, "min needs a number, a date or a time"),
    ({"measure": "mean:age"}, "column 'age' is text"),  # banded: labels, not numbers
    ({"bucket": "qty:month"}, "bucket=qty:month: column 'qty' is a number, not a date"),
    ({"bucket": "at:hour"}, "unit one of day, week, month, quarter, year"),
    ({"bucket": "at"}, "write bucket=<date column>:<unit>"),
    ({"measure": "median:qty"}, "unknown measure 'median'; use one of count, distinct"),
    ({"measure": "p101:qty"}, "unknown measure 'p101'"),
    ({"measure": "sum"}, "sum needs a column: measure=sum:<column>"),
    ({"by": "commune_code", "measure": ["count", "count"]}, "'count' would appear twice"),
    ({"by": "commune_code", "order_by": "-sum_qty"}, "order_by=sum_qty: not a column"),
    ({"limit": "10001"}, "limit must be <= 10000"),
    ({"limit": "-3"}, "limit must be >= 0"),
    ({"by": ",".join(f"c{i}" for i in range(11))}, "by: at most 10 columns"),
    ({"bucket": ["at:day", "at:week", "at:month", "day:year"]}, "at most 3 bucket"),
])
def test_bad_requests_are_readable(con, snapshot, query, message):
    with pytest.raises(QueryError, match=re.escape(message)):
        run(con, snapshot, query)


def test_a_geometry_can_only_be_counted(snapshot):
    types = {"commune_code": "string", "geometry": "geometry"}
    decision = Decision(True)
    for query, message in (({"by": ["geometry"]}, "is a geometry and cannot be grouped"),
                           ({"measure": ["distinct:geometry"]}, "only count:geometry")):
        with pytest.raises(QueryError, match=message):
            compile_aggregate(str(snapshot), list(types), decision,
                              parse_aggregate(query, types), types)
    request = parse_aggregate({"measure": ["count:geometry"]}, types)
    assert "count(\"geometry\")" in compile_aggregate(str(snapshot), list(types), decision,
                                                      request, types).sql


def test_an_overflowing_sum_is_a_400_that_quotes_no_value(tmp_path):
    path = tmp_path / "big.parquet"
    pq.write_table(pa.table({"n": pa.array([2**62, 2**62, 2**62], pa.int64())}), path)
    types = {"n": "int64"}
    request = parse_aggregate({"measure": ["sum:n"]}, types)
    compiled = compile_aggregate(str(path), ["n"], Decision(True), request, types)
    engine = Engine(KEY, workers=1, export_workers=1)
    try:
        with pytest.raises(QueryError, match="a sum beyond 64-bit integers") as info:
            AggregateHandler.grouped(SimpleNamespace(engine=engine), compiled, request, None)
    finally:
        engine.shutdown()
    assert str(3 * 2**62) not in str(info.value)
