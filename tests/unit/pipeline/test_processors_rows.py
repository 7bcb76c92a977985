"""filter on frames as the csv and json connectors read them, and its dropped rows in a refresh."""

import pytest
import yaml
from pydantic import ValidationError

from hub.pipeline import recipe
from hub.pipeline.interfaces import ProcessingError
from hub.pipeline.processors.rows import FilterParams
from hub.pipeline.refresh import RefreshEnv, refresh_dataset
from hub.pipeline.store import SnapshotStore

from .connector_support import run as fetch
from .processor_support import run

DELIBERATIONS_CSV = (
    "code;type;population;date_decision;intitule\n"
    "01001;COM;1850;2019-06-30;Budget primitif\n"
    "01002;COMD;;2020-01-01;Budget supplémentaire\n"
    "2A004;COM;72000;2024-12-31T18:30;Compte administratif\n"
    "42218;ARM;n/a;;budget primitif\n"
    "69123;COM;522250;2025-01-01;Décision modificative n°2\n"
).encode()
COMMUNES_JSON = (
    '[{"nom":"Rivemont","code":"01001","codesPostaux":["01400","01401"],"population":null},'
    ' {"nom":"Bellecombe","code":"01002","codesPostaux":["01640"],"population":239},'
    ' {"nom":"Val-de-Lière","code":"01004","codesPostaux":[],"population":12045}]'
).encode()


@pytest.fixture
def deliberations(tmp_path):
    (tmp_path / "deliberations.csv").write_bytes(DELIBERATIONS_CSV)
    frame = fetch("csv", tmp_path, path="deliberations.csv").frame
    assert (frame.dtypes == "str").all()
    return frame


@pytest.fixture
def communes(tmp_path):
    (tmp_path / "communes.json").write_bytes(COMMUNES_JSON)
    return fetch("json", tmp_path, path="communes.json").frame


def codes(result) -> list:
    return result.out["code"].tolist()


def test_keep_equals_and_drop_equals(deliberations):
    kept = run("filter", deliberations, keep={"column": "type", "equals": "COM"})
    assert codes(kept) == ["01001", "2A004", "69123"]
    assert kept.notes == {"rows_dropped": 2}
    assert kept.quality["type"] == {"filtered_out": 2, "filtered_out_examples": ["COMD", "ARM"]}
    dropped = run("filter", deliberations, drop={"column": "type", "equals": "COM"})
    assert codes(dropped) == ["01002", "42218"]
    assert list(kept.out.index) == [0, 2, 4]  # the kept rows keep their index


def test_in_compares_as_values_or_as_text(deliberations, communes):
    assert codes(run("filter", deliberations, keep={"column": "type", "in": ["COM", "ARM"]})) \
        == ["01001", "2A004", "42218", "69123"]
    assert codes(run("filter", communes, keep={"column": "population", "in": ["239", 12045]})) \
        == ["01002", "01004"]


def test_number_range_on_text_and_on_nullable_integers(deliberations, communes):
    numbers = run("parse_numbers", deliberations, columns=["population"]).out
    assert codes(run("filter", numbers, keep={"column": "population", "min": 2000})) \
        == ["2A004", "69123"]
    assert codes(run("filter", numbers, drop={"column": "population", "max": 100000})) \
        == ["01002", "42218", "69123"]  # nulls are in no range: drop leaves them
    assert communes["population"].dtype == "Int64"
    assert codes(run("filter", communes, keep={"column": "population", "min": 100, "max": 1000})) \
        == ["01002"]


def test_date_range_on_iso_text_and_on_dates(deliberations):
    kept = run("filter", deliberations, keep={"column": "date_decision", "min": "2020-01-01",
                                              "max": "2024-12-31T23:59"})
    assert codes(kept) == ["01002", "2A004"]
    dates = run("normalise_dates", deliberations, columns=["date_decision"]).out
    step = yaml.safe_load("keep: {column: date_decision, min: 2020-01-01, max: 2024-12-31}")
    assert codes(run("filter", dates, **step)) == ["01002"]  # 2024-12-31T18:30 > 2024-12-31


def test_missing_and_pattern(deliberations):
    numbers = run("parse_numbers", deliberations, columns=["population"]).out
    assert codes(run("filter", numbers, drop={"column": "population", "missing": True})) \
        == ["01001", "2A004", "69123"]
    assert codes(run("filter", numbers, keep={"column": "population", "missing": True})) \
        == ["01002", "42218"]
    assert codes(run("filter", deliberations, drop={"column": "code", "pattern": "2[AB].*"})) \
        == ["01001", "01002", "42218", "69123"]
    assert codes(run("filter", deliberations,
                     keep={"column": "intitule", "pattern": "(?i)budget.*"})) \
        == ["01001", "01002", "42218"]


def test_nothing_dropped_is_noted_and_a_missing_column_is_an_error(deliberations):
    result = run("filter", deliberations, keep={"column": "code", "pattern": ".+"})
    assert len(result.out) == 5 and result.notes == {"rows_dropped": 0} and result.quality == {}
    with pytest.raises(ProcessingError, match=r"'statut' not found \(available: code"):
        run("filter", deliberations, keep={"column": "statut", "equals": "x"})


@pytest.mark.parametrize("params, message", [
    ({}, "either `keep`"),
    ({"keep": {"column": "a", "equals": 1}, "drop": {"column": "a", "equals": 2}}, "either"),
    ({"keep": {"column": "a"}}, "got none"),
    ({"keep": {"column": "a", "equals": 1, "missing": True}}, "got equals, missing"),
    ({"keep": {"column": "a", "min": 1, "max": "2020-01-01"}}, "two numbers or two dates"),
    ({"keep": {"column": "a", "min": "1000"}}, "neither a number nor an ISO date"),
    ({"keep": {"column": "a", "pattern": "(unclosed"}}, "RE2"),
    ({"keep": {"column": "a", "in": []}}, "at least 1"),
    ({"keep": {"column": "a", "equal": 1}}, "Extra inputs"),
])
def test_conditions_are_checked_at_load(params, message):
    with pytest.raises(ValidationError, match=message):
        FilterParams(**params)


RECIPE = """\
title: Délibérations
description: Test.
source: {{connector: csv, path: deliberations.csv}}
processors:
  - filter: {{keep: {{column: type, equals: COM}}}}
{extra}
"""


@pytest.mark.parametrize("limit, result", [(0.3, "failed"), (0.5, "new")])
def test_filtered_rows_count_in_max_dropped_fraction(tmp_path, limit, result):
    (tmp_path / "catalogs").mkdir()
    (tmp_path / "deliberations.csv").write_bytes(DELIBERATIONS_CSV)
    (tmp_path / "catalogs" / "deliberations.yaml").write_text(
        RECIPE.format(extra=f"refresh: {{max_dropped_fraction: {limit}}}"), encoding="utf-8")
    loaded = recipe.load_catalog(tmp_path / "catalogs")["deliberations"]
    env = RefreshEnv(SnapshotStore(tmp_path / "store"), tmp_path, environ={})
    outcome = refresh_dataset(loaded, env)
    assert outcome.result == result
    if result == "failed":  # 2 of 5 rows: 40 %
        assert outcome.error.startswith("processors dropped 40% of the rows (step 1 (filter) 2 of 5)"
                                        ", more than the 30%")
    else:
        manifest = env.store.read_manifest("deliberations")
        assert manifest["quality"]["columns"]["type"]["filtered_out"] == 2
        assert manifest["quality"]["steps"][0]["notes"] == {"rows_dropped": 2}
        assert manifest["row_count"] == 3


def test_a_misspelt_test_is_reported_with_the_keys_as_recipes_write_them(tmp_path):
    from hub.config.problems import ConfigProblems
    (tmp_path / "deliberations.yaml").write_text(RECIPE.format(extra="").replace(
        "equals: COM", "inn: [COM]"), encoding="utf-8")
    with pytest.raises(ConfigProblems) as raised:
        recipe.load_catalog(tmp_path)
    assert "keep.inn: unknown key -> remove it; did you mean 'in'? use one of: column, " \
        "equals, in, max, min, missing, pattern" in str(raised.value)


def test_rows_an_explode_adds_do_not_hide_rows_a_filter_drops(tmp_path):
    """3 communes -> 4 rows (one per postcode, Val-de-Lière's empty list kept as one null) ->
    3 rows: as many as the source, but the filter dropped 1 of the 4 it received (25 %)."""
    (tmp_path / "catalogs").mkdir()
    (tmp_path / "communes.json").write_bytes(COMMUNES_JSON)
    (tmp_path / "catalogs" / "communes.yaml").write_text("""\
title: Communes
description: The communes and their postcodes.
source: {connector: json, path: communes.json}
processors:
  - explode: {column: codesPostaux}
  - filter: {drop: {column: codesPostaux, missing: true}}
refresh: {max_dropped_fraction: 0.2}
""", encoding="utf-8")
    loaded = recipe.load_catalog(tmp_path / "catalogs")["communes"]
    env = RefreshEnv(SnapshotStore(tmp_path / "store"), tmp_path, environ={})
    outcome = refresh_dataset(loaded, env)
    assert outcome.result == "failed" and env.store.current("communes") is None
    assert outcome.error.startswith("processors dropped 25% of the rows (step 2 (filter) 1 of 4)")


def test_yaml_booleans_compared_with_a_text_column_say_quote_it(tmp_path):
    """`in: [NO, ON]` is [False, True] for YAML: Norway's code would never match."""
    (tmp_path / "pays.csv").write_bytes(b"code_pays;nom\nNO;Norv\xe8ge\nFR;France\n")
    frame = fetch("csv", tmp_path, path="pays.csv").frame
    condition = yaml.safe_load("{column: code_pays, in: [NO, ON]}")
    assert condition["in"] == [False, True]
    with pytest.raises(ProcessingError) as raised:
        run("filter", frame, drop=condition)
    assert str(raised.value) == (
        "column 'code_pays' holds text or numbers, but the recipe compares it with false: YAML "
        "reads no, on, yes and off unquoted (any case) as true or false -> quote the value in "
        'the recipe, e.g. "NO"')
    quoted = yaml.safe_load('{column: code_pays, in: ["NO", "ON"]}')
    assert run("filter", frame, drop=quoted).out["code_pays"].tolist() == ["FR"]
