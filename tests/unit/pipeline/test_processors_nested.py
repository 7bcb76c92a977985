"""explode, join_list and flatten on JSON read by the json connector (and CSV, Parquet)."""

import json

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.pipeline.interfaces import ProcessingError
from hub.pipeline.processors import _json_values

from .connector_support import run as fetch
from .processor_support import run, values

COMMUNES_JSON = (
    '[{"nom":"Rivemont","code":"01001","codesPostaux":["01400","01401"],"population":null},'
    ' {"nom":"Bellecombe","code":"01002","codesPostaux":["01640"],"population":239},'
    ' {"nom":"Val-de-Lière","code":"01004","codesPostaux":[],"population":12045},'
    ' {"nom":"Hors-liste","code":"01005","codesPostaux":null,"population":3}]'
).encode()
EPCI_JSON = json.dumps([
    {"code": "200000001", "nom": "CA de Rivemont", "membres": [
        {"code": "01001", "nom": "Rivemont", "siege": True, "adresse": {"cp": "01400", "rang": 1}},
        {"code": "01002", "nom": "Bellecombe", "adresse": {"cp": "01640", "rang": None}}]},
    {"code": "200000002", "nom": "CC du Haut-Lière", "membres": [
        {"code": "01004", "nom": "Val-de-Lière", "siege": True, "adresse": {"cp": "01300", "rang": 3}}]},
], ensure_ascii=False).encode()


@pytest.fixture
def communes(tmp_path):
    (tmp_path / "communes.json").write_bytes(COMMUNES_JSON)
    frame = fetch("json", tmp_path, path="communes.json").frame
    assert frame["codesPostaux"].dtype == "str"  # the connector keeps lists as JSON text
    return frame


@pytest.fixture
def epci(tmp_path):
    (tmp_path / "epci.json").write_bytes(EPCI_JSON)
    return fetch("json", tmp_path, path="epci.json").frame


def test_explode_gives_each_postcode_its_row(communes):
    result = run("explode", communes, column="codesPostaux")
    out = result.out
    assert values(out["codesPostaux"]) == ["01400", "01401", "01640", None, None]
    assert out["code"].tolist() == ["01001", "01001", "01002", "01004", "01005"]
    assert values(out["population"]) == [None, None, 239, 12045, 3]
    assert out["population"].dtype == "Int64" and out["codesPostaux"].dtype == "str"
    assert list(out.index) == [0, 1, 2, 3, 4] and list(out.columns) == list(communes.columns)
    assert result.notes == {"rows_added": 1} and result.quality == {}


def test_explode_can_drop_empty_lists(communes):
    result = run("explode", communes, column="codesPostaux", empty="drop")
    assert result.out["code"].tolist() == ["01001", "01001", "01002"]
    assert result.notes == {"rows_added": 1, "rows_dropped": 2}


def test_explode_then_flatten_the_members_of_an_intercommunality(epci):
    members = run("explode", epci, column="membres").out
    assert members["code"].tolist() == ["200000001", "200000001", "200000002"]
    flat = run("flatten", members, columns=["membres"], separator="_")
    out = flat.out
    assert list(out.columns) == ["code", "nom", "membres_code", "membres_nom", "membres_siege",
                                 "membres_adresse_cp", "membres_adresse_rang"]
    assert out["membres_code"].tolist() == ["01001", "01002", "01004"]
    assert values(out["membres_siege"]) == [True, None, True]  # nullable booleans
    assert out["membres_siege"].dtype == "boolean"
    assert out["membres_adresse_rang"].dtype == "Int64"  # as the json connector reads them
    assert values(out["membres_adresse_rang"]) == [1, None, 3]
    assert flat.quality == {}


def test_join_list_writes_text(communes, epci):
    result = run("join_list", communes, columns=["codesPostaux"], separator=" / ")
    assert values(result.out["codesPostaux"]) == ["01400 / 01401", "01640", None, None]
    assert result.out["codesPostaux"].dtype == "str"
    members = run("join_list", epci, columns=["membres"]).out["membres"]
    assert members[1] == '{"code": "01004", "nom": "Val-de-Lière", "siege": true, ' \
        '"adresse": {"cp": "01300", "rang": 3}}'


def test_values_that_are_not_lists_are_kept_and_counted_not_objects_refused(tmp_path):
    (tmp_path / "x.csv").write_text('id;cp;adresse\n1;["69001", "69002"];{"ville": "Lyon"}\n'
                                    '2;69100;Villeurbanne\n3;;\n4;[1, 2.5];{"ville": "Bron"}\n')
    frame = fetch("csv", tmp_path, path="x.csv").frame
    exploded = run("explode", frame, column="cp")
    assert values(exploded.out["cp"]) == ["69001", "69002", "69100", None, "1", "2.5"]
    assert exploded.quality["cp"] == {"not_a_list": 1, "not_a_list_examples": ["69100"]}
    joined = run("join_list", frame, columns=["cp"]).out["cp"]
    assert values(joined) == ["69001, 69002", "69100", None, "1, 2.5"]
    with pytest.raises(ProcessingError) as raised:  # a value flatten would lose
        run("flatten", frame, columns=["adresse"])
    assert str(raised.value) == (
        "flatten: column 'adresse' has 1 value(s) that are not objects (e.g. 'Villeurbanne'), "
        "which the new columns cannot hold -> drop or fix those rows first (filter), or use "
        "explode or join_list for lists")
    objects = frame[frame["id"] != "2"]
    flat = run("flatten", objects, columns=["adresse"])
    assert values(flat.out["adresse.ville"]) == ["Lyon", None, "Bron"] and not flat.quality


def test_python_lists_from_a_parquet_file(tmp_path):
    pd.DataFrame({"code": ["01001", "01002"], "cp": [["01400", "01401"], None]}).to_parquet(
        tmp_path / "x.parquet")
    frame = fetch("parquet", tmp_path, path="x.parquet").frame
    assert values(run("explode", frame, column="cp").out["cp"]) == ["01400", "01401", None]
    assert values(run("join_list", frame, columns=["cp"]).out["cp"]) == ["01400, 01401", None]


def test_whole_numbers_stay_integers_and_a_clash_is_an_error(communes):
    frame = pd.DataFrame({"n": ['[1, 2]', '[3, null]'], "o": ['{"a": 1}', '{"a": 2}'],
                          "o.a": [0, 0]})
    assert run("explode", frame, column="n").out["n"].dtype == "Int64"
    with pytest.raises(ProcessingError, match="'o.a' already exists"):
        run("flatten", frame, columns=["o"])
    with pytest.raises(ProcessingError, match="'membres' not found"):
        run("explode", communes, column="membres")


@pytest.mark.parametrize("texts", [
    ['[1, 2]', '["a", "b"]', '[]', '{"a": [1]}', '"text"', '3'],
    ['[1', '2]', 'x'],  # not JSON alone, JSON once joined: parsed one by one
    ['[1,[0]', '[2]]', '[3],[4]'],
    ['["a\\"]"]', '[", "]'],
    ['', ' ', '[1]'],
])
def test_parsing_many_texts_at_once_equals_parsing_each(texts):
    parsed = _json_values.parse_json(pd.Series(texts, dtype="str"))
    assert parsed == [_json_values._loads(text) for text in texts]


@given(st.lists(st.text(alphabet='[]{}",:1a \\', min_size=1, max_size=8), min_size=1,
                max_size=6))
@settings(max_examples=1000, deadline=None)
def test_parsing_at_once_never_misreads_any_texts(texts):
    parsed = _json_values.parse_json(pd.Series(texts, dtype="str"))
    assert parsed == [_json_values._loads(text) for text in texts]


def test_codes_that_are_not_lists_stay_text(tmp_path):
    (tmp_path / "x.csv").write_text("cp\n69100\n01400\n\"[69001, 69002]\"\n")
    frame = fetch("csv", tmp_path, path="x.csv").frame
    out = run("explode", frame, column="cp").out["cp"]
    assert out.dtype == "str" and out.tolist() == ["69100", "01400", "69001", "69002"]
