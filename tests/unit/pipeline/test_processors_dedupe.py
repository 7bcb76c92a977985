import pandas as pd
import pytest
from pydantic import ValidationError

from hub.pipeline.interfaces import ProcessingError

from .processor_support import run

FRAME = pd.DataFrame({
    "siret": ["73282932000074", "73282932000074", "35600000049837", "73282932000074"],
    "nom": ["Mairie", "Mairie", "La Poste", "Mairie de Lyon"],
    "maj": ["2025-01-03", "2025-01-03", "2025-01-01", "2025-02-01"],
}, index=[10, 11, 12, 13])


def test_exact_duplicates_removed_first_kept_index_preserved():
    result = run("deduplicate", FRAME)
    assert result.out.index.tolist() == [10, 12, 13]
    assert result.notes["duplicates_removed"] == 1


def test_subset_keep_first_and_last():
    first = run("deduplicate", FRAME, subset=["siret"])
    assert first.out["nom"].tolist() == ["Mairie", "La Poste"]
    assert first.notes["duplicates_removed"] == 2
    assert first.notes["duplicate_examples"] == [{"siret": "73282932000074"}] * 2
    last = run("deduplicate", FRAME, subset=["siret"], keep="last")
    assert last.out.index.tolist() == [12, 13]


def test_order_by_keeps_most_recent_in_original_order():
    shuffled = FRAME.iloc[[3, 0, 2, 1]]
    result = run("deduplicate", shuffled, subset=["siret"], keep="last", order_by=["maj"])
    assert result.out.index.tolist() == [13, 12]
    oldest = run("deduplicate", shuffled, subset=["siret"], order_by=["maj"])
    assert oldest.out["maj"].tolist() == ["2025-01-03", "2025-01-01"]


def test_no_duplicates_noted_as_zero():
    assert run("deduplicate", FRAME.iloc[[0, 2]]).notes["duplicates_removed"] == 0


def test_params_and_missing_column():
    with pytest.raises(ValidationError):
        run("deduplicate", FRAME, keep="middle")
    with pytest.raises(ValidationError):
        run("deduplicate", FRAME, subset="siret")
    with pytest.raises(ProcessingError, match=r"'siren'.*available: siret, nom, maj"):
        run("deduplicate", FRAME, subset=["siren"])
