import pandas as pd
import pytest
from pydantic import ValidationError

from hub.pipeline.interfaces import ProcessingError

from .processor_support import run

COMMUNES = pd.DataFrame({
    "code_insee": ["69123", "42218", "2A004"],
    "nom": ["Lyon", "Saint-Étienne", "Ajaccio"],
    "population": [522250, 172718, 71361],
})
FACTS = pd.DataFrame({"code": ["69123", "2A004", "99999", None, "69123"], "v": [1, 2, 3, 4, 5]},
                     index=[10, 11, 12, 13, 14])


def join(frame=FACTS, datasets=None, **params):
    return run("join", frame, datasets=datasets or {"communes": COMMUNES}, dataset="communes",
               **params)


def test_left_join_adds_prefixed_columns_and_reports_unmatched():
    result = join(left_on=["code"], right_on=["code_insee"], prefix="commune_")
    out = result.out
    assert out.index.tolist() == [10, 11, 12, 13, 14]
    assert out["commune_nom"].tolist()[:2] == ["Lyon", "Ajaccio"]
    assert out["commune_population"].dtype == "Int64"
    assert out["commune_population"].isna().tolist() == [False, False, True, True, False]
    assert result.quality["code"] == {"unmatched_keys": 2,
                                      "unmatched_keys_examples": ["99999", "(null)"]}
    assert result.notes["unmatched_rows"] == 2


def test_inner_join_selected_columns_and_on():
    frame = FACTS.rename(columns={"code": "code_insee"})
    result = join(frame, on=["code_insee"], columns=["nom"], how="inner")
    assert result.out.index.tolist() == [10, 11, 14]
    assert list(result.out.columns) == ["code_insee", "v", "nom"]


def test_multi_column_keys():
    right = pd.DataFrame({"annee": [2024, 2025], "code": ["69123", "69123"], "budget": [1.5, 2.0]})
    left = pd.DataFrame({"annee": [2025, 2023], "code": ["69123", "69123"]})
    result = join(left, {"communes": right}, on=["annee", "code"])
    assert result.out["budget"].tolist()[0] == 2.0 and pd.isna(result.out["budget"][1])
    assert result.quality["annee"]["unmatched_keys_examples"] == ["2023/69123"]


def test_duplicate_right_keys_clash_and_kind_mismatch_are_errors():
    doubled = pd.concat([COMMUNES, COMMUNES.iloc[[0]]])
    with pytest.raises(ProcessingError, match="not unique.*69123"):
        join(datasets={"communes": doubled}, left_on=["code"], right_on=["code_insee"])
    with pytest.raises(ProcessingError, match="'v' already exists"):
        join(datasets={"communes": COMMUNES.assign(v=1)}, left_on=["code"], right_on=["code_insee"])
    numeric = FACTS.assign(code=[69123, 1, 2, 3, 4])
    with pytest.raises(ProcessingError, match="'code' is int64 but 'code_insee' is str"):
        join(numeric, left_on=["code"], right_on=["code_insee"])


def test_missing_columns_name_the_column():
    with pytest.raises(ProcessingError, match=r"'insee'.*available: code, v"):
        join(left_on=["insee"], right_on=["code_insee"])
    with pytest.raises(ProcessingError, match=r"\(communes\).*'surface'.*available: code_insee"):
        join(left_on=["code"], right_on=["code_insee"], columns=["surface"])


def test_params_validation():
    with pytest.raises(ValidationError):
        join(on=["code"], left_on=["code"], right_on=["code_insee"])
    with pytest.raises(ValidationError):
        join(left_on=["code"], right_on=[])
    with pytest.raises(ValidationError):
        run("join", FACTS, on=["code"])  # `dataset` is required
    with pytest.raises(ValidationError):
        run("join", FACTS, dataset="../etc", on=["code"])
    with pytest.raises(ValidationError):
        join(on=["code"], how="outer")
