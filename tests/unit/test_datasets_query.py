"""Records queries compiled from a request + policy decision, executed for real in DuckDB."""

import pandas as pd
import pytest

from hub.policy.evaluate import Decision, RowFilter
from hub.policy.pseudonym import pseudonym
from hub.policy.rules import ColumnRule
from hub.services.datasets.read.engine import connect
from hub.services.datasets.read.query import Filter, QueryError, RecordsRequest, compile_records

KEY = b"k" * 32


@pytest.fixture
def snapshot(tmp_path):
    frame = pd.DataFrame({
        "commune_code": ["99101", "99101", "99102", "99103"],
        "name": ["Ana", "Bob", "Chloé", "Dan"],
        "birth_date": pd.to_datetime(["1980-05-01", "1991-02-03", "2001-12-31", "1975-07-14"]),
        "age": [44, 33, 23, 49],
        "nir": ["1", "2", "3", "4"],
    })
    path = tmp_path / "data.parquet"
    frame.to_parquet(path)
    return str(path), list(frame.columns)


def run(snapshot, decision, request=RecordsRequest()):
    path, schema = snapshot
    compiled = compile_records(path, schema, decision, request)
    return connect(KEY).execute(compiled.sql, compiled.params).df()


def test_row_filter_keeps_only_the_callers_rows(snapshot):
    out = run(snapshot, Decision(True, (RowFilter("commune_code", ("99101",)),)))
    assert set(out.commune_code) == {"99101"} and len(out) == 2


def test_empty_row_filter_keeps_nothing(snapshot):
    assert run(snapshot, Decision(True, (RowFilter("commune_code", ()),))).empty


def test_hidden_column_is_gone_and_cannot_be_selected_filtered_or_sorted(snapshot):
    decision = Decision(True, (), (("nir", ColumnRule(action="hide")),))
    assert "nir" not in run(snapshot, decision).columns
    for request in (RecordsRequest(select=("nir",)),
                    RecordsRequest(filters=(Filter("nir", "eq", "1"),)),
                    RecordsRequest(order_by=(("nir", False),))):
        with pytest.raises(QueryError, match="unknown column 'nir'"):
            run(snapshot, decision, request)


def test_pseudonymised_column_and_filters_see_only_pseudonyms(snapshot):
    decision = Decision(True, (), (("name", ColumnRule(action="pseudonymise")),))
    out = run(snapshot, decision)
    assert "Ana" not in set(out.name) and out.name.iloc[0] == pseudonym("Ana", KEY)
    probe = RecordsRequest(filters=(Filter("name", "eq", "Ana"),))
    assert run(snapshot, decision, probe).empty


def test_generalise_dates_and_bands(snapshot):
    decision = Decision(True, (), (
        ("birth_date", ColumnRule(action="generalise", to="year")),
        ("age", ColumnRule(action="generalise", to="band", bands=[0, 25, 45])),
    ))
    out = run(snapshot, decision)
    assert list(out.birth_date) == [1980, 1991, 2001, 1975]
    assert list(out.age) == ["25-44", "25-44", "0-24", "45+"]


def test_band_edges_and_labels_are_bound_parameters(snapshot):
    decision = Decision(True, (), (("age", ColumnRule(action="generalise", to="band",
                                                      bands=[0, 25, 45])),))
    compiled = compile_records(snapshot[0], snapshot[1], decision, RecordsRequest())
    assert "0-24" not in compiled.sql and "25" not in compiled.sql
    assert compiled.params[:8] == [0.0, 25.0, "0-24", 25.0, 45.0, "25-44", 45.0, "45+"]


def test_injection_in_values_is_just_data(snapshot):
    request = RecordsRequest(filters=(Filter("name", "eq", "x' OR '1'='1"),))
    assert run(snapshot, Decision(True), request).empty
    with pytest.raises(QueryError):
        run(snapshot, Decision(True), RecordsRequest(select=('name" FROM t; --',)))


def test_caller_filters_apply_inside_the_rows_they_may_see(snapshot):
    decision = Decision(True, (RowFilter("commune_code", ("99101",)),))
    request = RecordsRequest(filters=(Filter("commune_code", "eq", "99102"),))
    assert run(snapshot, decision, request).empty


@pytest.mark.parametrize("request_", [RecordsRequest(limit=10**9), RecordsRequest(limit=-1),
                                      RecordsRequest(offset=-5),
                                      RecordsRequest(filters=(Filter("age", "regex", 1),))])
def test_absurd_requests_are_refused(snapshot, request_):
    with pytest.raises(QueryError):
        run(snapshot, Decision(True), request_)


def test_denied_decision_never_compiles(snapshot):
    with pytest.raises(PermissionError):
        run(snapshot, Decision(False))


def test_sort_select_and_paging(snapshot):
    request = RecordsRequest(select=("name", "age"), order_by=(("age", True),), limit=2, offset=1)
    out = run(snapshot, Decision(True), request)
    assert list(out.columns) == ["name", "age"] and list(out.age) == [44, 33]
