import pandas as pd
import pytest
from pydantic import ValidationError

from hub.pipeline.interfaces import ProcessingError

from .processor_support import run

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
