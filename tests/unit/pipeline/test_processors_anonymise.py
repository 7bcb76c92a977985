import hashlib
import hmac

import pandas as pd
import pytest
from pydantic import ValidationError

from hub.pipeline.interfaces import ProcessingError

from .processor_support import run

KEY = "une-cle-secrete-de-test-1234"
ENV = {"AGORA_PSEUDONYM_KEY": KEY}
PEOPLE = pd.DataFrame({
    "allocataire": ["A001", "A002", "A001", None],
    "nom": ["Élodie Durand", "Anaïs Martin", "Élodie Durand", "Zoé Petit"],
    "naissance": ["1980-05-02", "2001-11-30", "1980-05-02", "pas une date"],
    "age": [45, 17, 75, -1],
})


def token(value: str, length: int = 16) -> str:
    return hmac.new(KEY.encode(), value.encode(), hashlib.sha256).hexdigest()[:length]


def test_keyed_pseudonym_is_stable_hmac_and_columns_dropped():
    result = run("anonymise", PEOPLE, environ=ENV, pseudonymise=["allocataire"], drop=["nom"])
    assert result.out["allocataire"].tolist()[:3] == [token("A001"), token("A002"), token("A001")]
    assert pd.isna(result.out["allocataire"][3])
    assert "nom" not in result.out.columns
    other_key = run("anonymise", PEOPLE, environ={"K": "x" * 20}, pseudonymise=["allocataire"],
                    key_env="K")
    assert other_key.out["allocataire"][0] != token("A001")


def test_whole_floats_hash_like_their_integer_text():
    frame = pd.DataFrame({"id": [1234.0, None]})
    out = run("anonymise", frame, environ=ENV, pseudonymise=["id"], token_length=8).out
    assert out["id"][0] == token("1234", 8)


@pytest.mark.parametrize("environ", [{}, {"AGORA_PSEUDONYM_KEY": ""}, {"AGORA_PSEUDONYM_KEY": "short"}])
def test_refuses_without_a_real_secret(environ):
    with pytest.raises(ProcessingError, match="AGORA_PSEUDONYM_KEY.*refusing"):
        run("anonymise", PEOPLE, environ=environ, pseudonymise=["allocataire"])


def test_generalise_dates_and_bands():
    result = run("anonymise", PEOPLE, generalise_dates={"naissance": "quarter"},
                 bands={"age": [0, 18, 25, 40, 60, 75]})
    assert result.out["naissance"].tolist()[:3] == ["1980-Q2", "2001-Q4", "1980-Q2"]
    assert result.out["age"].tolist()[:3] == ["40-59", "0-17", "75+"]
    assert pd.isna(result.out["age"][3]) and pd.isna(result.out["naissance"][3])
    assert result.quality["age"] == {"out_of_bands": 1, "out_of_bands_examples": ["-1"]}
    assert result.quality["naissance"]["unparseable_dates"] == 1
    assert run("anonymise", PEOPLE, generalise_dates={"naissance": "year"}).out["naissance"] \
        .tolist()[:2] == [1980, 2001]
    assert run("anonymise", PEOPLE, generalise_dates={"naissance": "month"}).out["naissance"][0] \
        == "1980-05"


def test_suppress_small_groups_of_rows():
    frame = pd.DataFrame({"commune": ["69123"] * 11 + ["42218"] * 3, "v": range(14)})
    result = run("anonymise", frame, suppress={"by": ["commune"]})
    assert result.out["commune"].unique().tolist() == ["69123"]
    assert result.notes == {"suppressed_rows": 3, "suppressed_groups": 1}
    lower_k = run("anonymise", frame, suppress={"by": ["commune"], "k": 3})
    assert len(lower_k.out) == 14


def test_suppress_counts_table_nulls_values_but_publishes_zero():
    frame = pd.DataFrame({"commune": ["69123", "42218", "2A004"], "tranche": ["0-17"] * 3,
                          "effectif": [25, 4, 0]})
    result = run("anonymise", frame, suppress={"by": ["commune", "tranche"], "count_column":
                                               "effectif", "action": "null", "columns": ["effectif"]})
    assert result.out["effectif"].tolist()[0] == 25 and pd.isna(result.out["effectif"][1])
    assert result.out["effectif"][2] == 0
    assert result.notes["suppressed_rows"] == 1


def test_params_validation_and_missing_columns():
    with pytest.raises(ValidationError):
        run("anonymise", PEOPLE, bands={"age": [18, 0]})
    with pytest.raises(ValidationError):
        run("anonymise", PEOPLE, generalise_dates={"naissance": "decade"})
    with pytest.raises(ValidationError):
        run("anonymise", PEOPLE, suppress={"by": ["nom"], "action": "null"})
    with pytest.raises(ValidationError):
        run("anonymise", PEOPLE, suppress={"by": ["nom"], "k": "onze"})
    with pytest.raises(ProcessingError, match=r"'prenom'.*available: allocataire, nom"):
        run("anonymise", PEOPLE, drop=["prenom"])
