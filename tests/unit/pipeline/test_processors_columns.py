import pandas as pd
import pytest
from pydantic import ValidationError

from hub.pipeline.interfaces import ProcessingError

from .processor_support import run, values

BUDGET = pd.DataFrame({
    "COM": ["69123", "42218", "2A004"],
    "montant_ht": [1000.0, 250.5, None],
    "taux_tva": [20.0, 5.5, 10.0],
    "population": [522250, 172718, 0],
    "surface": [47.87, 79.97, 0.0],
    "date": pd.to_datetime(["2025-12-31", "2024-03-01", None]),
    "adresse": ["1 place de la Comédie", None, "Cours Napoléon"],
    "ville": ["Lyon", "Saint-Étienne", "Ajaccio"],
})


def test_rename_and_clash():
    out = run("rename", BUDGET, columns={"COM": "code_commune"}).out
    assert list(out.columns)[0] == "code_commune" and "COM" not in out.columns
    with pytest.raises(ProcessingError, match="'ville' would exist twice"):
        run("rename", BUDGET, columns={"COM": "ville"})
    with pytest.raises(ProcessingError, match=r"'CODE'.*available: COM, montant_ht"):
        run("rename", BUDGET, columns={"CODE": "code"})


def test_select_keeps_order():
    out = run("select", BUDGET, columns=["ville", "COM"]).out
    assert list(out.columns) == ["ville", "COM"]
    with pytest.raises(ProcessingError, match="'nom' not found"):
        run("select", BUDGET, columns=["nom"])


def test_expression_is_vectorised_arithmetic():
    result = run("derive", BUDGET, column="ttc", expression="montant_ht * (1 + taux_tva / 100)")
    assert result.out["ttc"].tolist()[:2] == [1200.0, pytest.approx(264.2775)]
    assert pd.isna(result.out["ttc"][2])
    assert run("derive", BUDGET, column="n", expression="-population + 2").out["n"][0] == -522248


def test_ratio_division_by_zero_is_null_and_counted():
    result = run("derive", BUDGET, column="densite", op="ratio", of=["population", "surface"])
    assert result.out["densite"][0] == pytest.approx(10909.76, abs=0.01)
    assert pd.isna(result.out["densite"][2])  # 0 / 0
    assert result.quality["densite"] == {"division_by_zero": 1}
    expression = run("derive", BUDGET, column="d", expression="montant_ht / (population - 0)")
    assert expression.quality["d"] == {"division_by_zero": 1}
    assert run("derive", BUDGET, column="d", expression="surface / 0").out["d"].isna().all()


def test_structured_ops():
    def derive(op, of, **extra):
        return run("derive", BUDGET, column="x", op=op, of=of, **extra).out["x"].tolist()
    assert derive("sum", ["population", "surface"])[2] == 0.0
    assert derive("difference", ["population", "surface"])[0] == pytest.approx(522202.13)
    assert derive("product", ["taux_tva", "surface"])[0] == pytest.approx(957.4)
    assert derive("concat", ["ville", "COM"], separator=" - ")[0] == "Lyon - 69123"
    assert derive("year", ["date"])[:2] == [2025, 2024]
    assert derive("month", ["date"])[:2] == [12, 3]
    assert derive("round", ["surface"], digits=1)[:2] == [47.9, 80.0]
    assert derive("upper", ["ville"])[1] == "SAINT-ÉTIENNE"
    assert derive("lower", ["ville"])[0] == "lyon"
    assert derive("coalesce", ["adresse", "ville"]) == ["1 place de la Comédie", "Saint-Étienne",
                                                       "Cours Napoléon"]


def test_type_errors_are_processing_errors():
    with pytest.raises(ProcessingError, match="'ville' is str, not numbers"):
        run("derive", BUDGET, column="x", expression="ville * 2")
    with pytest.raises(ProcessingError, match="'ville' is not a date"):
        run("derive", BUDGET, column="x", op="year", of=["ville"])
    with pytest.raises(ProcessingError, match=r"'prix'.*available"):
        run("derive", BUDGET, column="x", expression="prix * 2")


@pytest.mark.parametrize("expression", [
    "__import__('os').system('id')", "montant_ht.real", "montant_ht ** 2", "'a'",
    "montant_ht[0]", "(lambda: 1)()", "montant_ht if 1 else 0", "montant_ht > 1", "True + 1",
    "montant_ht +",
])
def test_unsafe_or_invalid_expressions_are_refused_at_load(expression):
    with pytest.raises(ValidationError):
        run("derive", BUDGET, column="x", expression=expression)


def test_derive_params_validation():
    with pytest.raises(ValidationError):
        run("derive", BUDGET, column="x", op="ratio", of=["population"])
    with pytest.raises(ValidationError):
        run("derive", BUDGET, column="x", op="median", of=["population"])
    with pytest.raises(ValidationError):
        run("derive", BUDGET, column="x", op="sum", of=["a", "b"], expression="a + b")
    with pytest.raises(ValidationError):
        run("rename", BUDGET, columns=["COM"])


# --- bands, split, extract and coalesce on columns as the csv connector reads them -------------

COMMUNES_CSV = (
    "code;nom;population;epci;libelle\n"
    "01001;Rivemont;1850;CA - Rivemont Agglo;Rivemont (01)\n"
    "01002;Bellecombe;;CC - Pays de Bellecombe - Haut-Lière;Bellecombe (01)\n"
    "2A004;Ajaccio;72000;;Ajaccio\n"
    "42218;Saint-Étienne;-3;CU;Saint-Étienne (42)\n"
).encode()


@pytest.fixture
def communes(tmp_path):
    from .connector_support import run as fetch
    (tmp_path / "communes.csv").write_bytes(COMMUNES_CSV)
    frame = fetch("csv", tmp_path, path="communes.csv").frame
    assert frame["epci"].dtype == "str"
    return run("parse_numbers", frame, columns=["population"]).out


def test_bands_label_numbers_like_anonymise_and_count_the_rest(communes):
    result = run("derive", communes, column="taille", op="bands", of=["population"],
                 edges=[0, 2000, 10000])
    assert values(result.out["taille"])[:3] == ["0-1999", None, "10000+"]
    assert result.out["taille"].dtype == "str"
    assert result.quality["population"] == {"out_of_bands": 1, "out_of_bands_examples": ["-3.0"]}
    named = run("derive", communes, column="taille", op="bands", of=["population"],
                edges=[0, 2000, 10000], labels=["village", "bourg", "ville"])
    assert values(named.out["taille"])[:3] == ["village", None, "ville"]


def test_split_cuts_text_into_columns_the_last_keeping_the_rest(communes):
    out = run("derive", communes, op="split", of=["epci"], separator=" - ",
              columns=["sigle", "nom_epci"]).out
    assert values(out["sigle"]) == ["CA", "CC", None, "CU"]
    assert values(out["nom_epci"]) == ["Rivemont Agglo", "Pays de Bellecombe - Haut-Lière",
                                        None, None]
    assert out["sigle"].dtype == "str" and list(out.columns)[-2:] == ["sigle", "nom_epci"]


def test_extract_makes_a_column_per_named_group_and_counts_misses(communes):
    result = run("derive", communes, op="extract", of=["libelle"],
                 pattern="^(?P<nom_court>.+) [(](?P<dep>[0-9AB]{2})[)]$")
    assert values(result.out["nom_court"]) == ["Rivemont", "Bellecombe", None, "Saint-Étienne"]
    assert values(result.out["dep"]) == ["01", "01", None, "42"]
    assert result.quality["libelle"] == {"unmatched_pattern": 1,
                                         "unmatched_pattern_examples": ["Ajaccio"]}


def test_coalesce_keeps_the_columns_dtype(communes):
    text = run("derive", communes, column="x", op="coalesce", of=["epci", "nom"]).out["x"]
    assert text.dtype == "str" and text.tolist()[2] == "Ajaccio"
    numbers = pd.DataFrame({"a": [None, 2.0, None], "b": [1, 5, 3]})
    assert run("derive", numbers, column="x", op="coalesce", of=["a", "b"]).out["x"].tolist() \
        == [1.0, 2.0, 3.0]
    mixed = run("derive", BUDGET, column="x", op="coalesce", of=["montant_ht", "ville"]).out["x"]
    assert mixed.tolist() == [1000.0, 250.5, "Ajaccio"]


def test_concat_with_nulls_is_null(communes):
    out = run("derive", communes, column="x", op="concat", of=["code", "epci"], separator=" | ").out
    assert values(out["x"])[:3] == ["01001 | CA - Rivemont Agglo",
                                     "01002 | CC - Pays de Bellecombe - Haut-Lière", None]


@pytest.mark.parametrize("params, message", [
    ({"column": "x", "op": "bands", "of": ["population"], "edges": [10, 5]}, "increasing"),
    ({"column": "x", "op": "bands", "of": ["population"], "edges": [0, 5], "labels": ["a"]},
     "give 2 labels"),
    ({"column": "x", "op": "round", "of": ["population"], "edges": [0, 5]}, "for op bands only"),
    ({"op": "split", "of": ["epci"], "columns": ["a"]}, "2 or more"),
    ({"column": "x", "op": "split", "of": ["epci"], "columns": ["a", "b"]}, "in `columns`"),
    ({"op": "extract", "of": ["libelle"], "pattern": "(?P<a>.+"}, "missing \\)"),
    ({"op": "extract", "of": ["libelle"], "pattern": "(.+)"}, "unnamed groups"),
    ({"op": "extract", "of": ["libelle"], "pattern": "x"}, "name each group"),
    ({"op": "ratio", "of": ["a", "b"]}, "need `column`"),
])
def test_new_op_params_are_checked_at_load(params, message):
    from hub.pipeline.processors.columns import DeriveParams
    with pytest.raises(ValidationError, match=message):
        DeriveParams(**params)
