import pandas as pd
import pytest
from pydantic import ValidationError

from hub.pipeline.interfaces import ProcessingError
from hub.pipeline.processors._checks import luhn_ok

from .processor_support import run

SIRET_OK, SIRET_BAD_KEY, LA_POSTE = "73282932000074", "73282932000075", "35600000049837"


def test_luhn_reference_values():
    assert luhn_ok(SIRET_OK) and luhn_ok("732829320")
    assert not luhn_ok(SIRET_BAD_KEY) and not luhn_ok(LA_POSTE)


def test_presets_insee_siret_siren_postcode_email():
    frame = pd.DataFrame({
        "insee": ["2A004", "69123", "99999x", "2C004", None],
        "siret": [SIRET_OK, SIRET_BAD_KEY, LA_POSTE, "7328293200007", "ABCDEFGHIJKLMN"],
        "siren": ["732829320", "732829321", "73282932", None, None],
        "cp": ["69001", "20000", "2A004", "97400", "00100"],
        "email": ["a.b@ville.fr", "pas-un-mail", "x@y", None, "é@ex.org"],
    })
    rules = {c: {"format": f} for c, f in [("insee", "insee_commune"), ("siret", "siret"),
             ("siren", "siren"), ("cp", "postcode_fr"), ("email", "email")]}
    result = run("validate", frame, columns=rules)
    q = result.quality
    assert q["insee"]["bad_format_examples"] == ["99999x", "2C004"]
    assert q["siret"]["bad_format_examples"] == [SIRET_BAD_KEY, "7328293200007", "ABCDEFGHIJKLMN"]
    assert q["siren"]["bad_format"] == 2
    assert q["cp"]["bad_format_examples"] == ["2A004", "00100"]
    assert q["email"]["bad_format_examples"] == ["pas-un-mail", "x@y"]
    assert result.out.equals(frame)  # flag is the default: data unchanged


def test_report_counts_checked_nulls_invalid_per_rule():
    frame = pd.DataFrame({"pop": ["12", "-3", "1.5", "abc", None, "120000"]})
    result = run("validate", frame, columns={"pop": {"type": "integer", "min": 0, "max": 100000,
                                                     "required": True}})
    assert result.quality["pop"] == {
        "checked": 6, "nulls": 1, "invalid": 5,
        "invalid_examples": ["-3", "1.5", "abc", "120000"],
        "missing": 1, "invalid_type": 2, "invalid_type_examples": ["1.5", "abc"],
        "below_min": 1, "below_min_examples": ["-3"],
        "above_max": 1, "above_max_examples": ["120000"],
    }


def test_null_invalid_and_drop_row_actions():
    frame = pd.DataFrame({
        "insee": ["2A004", "99999x", "69123", "42218"],
        "statut": ["ouvert", "fermé", "inconnu", "ouvert"],
        "date": ["2025-01-01", "2025-06-01", "1999-12-31", "pas une date"],
    })
    result = run("validate", frame, columns={
        "insee": {"format": "insee_commune", "action": "null_invalid"},
        "statut": {"allowed": ["ouvert", "fermé"], "action": "drop_row"},
        "date": {"type": "date", "min": "2000-01-01"},
    })
    assert result.out["insee"].tolist()[:1] == ["2A004"] and pd.isna(result.out["insee"][1])
    assert result.out.index.tolist() == [0, 1, 3]
    assert result.notes["rows_dropped"] == 1
    assert result.quality["statut"]["not_allowed_examples"] == ["inconnu"]
    assert result.quality["date"]["invalid"] == 2


def test_types_on_typed_columns_and_custom_pattern():
    frame = pd.DataFrame({"n": [1.0, 2.5], "b": ["oui", "peut-être"], "ref": ["AB-12", "ab-12"]})
    q = run("validate", frame, columns={"n": {"type": "integer"}, "b": {"type": "boolean"},
                                        "ref": {"pattern": "[A-Z]{2}-[0-9]{2}"}}).quality
    assert q["n"]["invalid"] == 1 and q["b"]["invalid_type_examples"] == ["peut-être"]
    assert q["ref"]["bad_pattern_examples"] == ["ab-12"]


def test_params_validation():
    with pytest.raises(ValidationError):
        run("validate", pd.DataFrame({"a": [1]}), columns={"a": {"format": "iban"}})
    with pytest.raises(ValidationError):
        run("validate", pd.DataFrame({"a": [1]}), columns={"a": {"pattern": "(?<=x)y"}})
    with pytest.raises(ValidationError):
        run("validate", pd.DataFrame({"a": [1]}), columns={"a": {"required": "maybe"}})
    with pytest.raises(ValidationError):
        run("validate", pd.DataFrame({"a": [1]}), columns={"a": {"typ": "integer"}})
    with pytest.raises(ProcessingError, match=r"'siret'.*available: a"):
        run("validate", pd.DataFrame({"a": [1]}), columns={"siret": {"format": "siret"}})


def test_allowed_values_match_as_values_or_as_text():
    from hub.pipeline.processors._checks import listed as _listed

    text = pd.Series(["3", "a", "b", None], dtype="str")
    assert _listed(text, ["a"]).tolist() == [False, True, False, False]
    assert _listed(text, [3, "a"]).tolist() == [True, True, False, False]
    assert _listed(pd.Series([3, 4]), ["3"]).tolist() == [True, False]
