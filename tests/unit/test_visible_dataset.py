"""VisibleDataset: what one caller may know of a dataset (columns, rows, quality)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from hub.pipeline.recipe import Metadata
from hub.policy.access import AccessRules
from hub.policy.caller import Caller
from hub.policy.evaluate import decide
from hub.services.datasets.read.visible import Column, visible_dataset, visible_temporal

RECIPE = SimpleNamespace(id="social_aid", metadata=Metadata(
    title="Social aid", description="Beneficiaries.", theme="SOCI", keywords=["aid"],
    licence="proprietary", contact={"name": "Data team", "email": "data@example.org"},
    update_frequency="monthly", synthetic=True))
MANIFEST = {
    "version": "20261128T131055Z", "created_at": "2026-11-28T13:10:55+00:00", "row_count": 500,
    "geo": True,
    "schema": [{"name": "person_id", "type": "large_string"},
               {"name": "birth_date", "type": "timestamp[us]"},
               {"name": "income", "type": "double"},
               {"name": "commune_code", "type": "large_string"},
               {"name": "address", "type": "large_string"},
               {"name": "geometry", "type": "geometry"}],
    "quality": {
        "columns": {"commune_code": {"checked": 500, "invalid": 2,
                                     "invalid_examples": ["6912", "ABCDE"]},
                    "person_id": {"checked": 500, "nulls": 1, "nulls_examples": ["x"]},
                    "address": {"checked": 500, "nulls": 3}},
        "steps": [{"step": 1, "processor": "deduplicate", "rows_in": 510, "rows_out": 500,
                   "notes": {"duplicate_examples": [{"person_id": "P1"}]}}]},
}
ACCESS = AccessRules.model_validate({
    "groups": ["social", "officials"],
    "rows": [{"column": "commune_code", "in_attribute": "territories",
              "applies_to_groups": ["officials"]}],
    "columns": {"person_id": {"action": "pseudonymise"},
                "birth_date": {"action": "generalise", "to": "year"},
                "address": {"action": "hide", "exempt_groups": ["social"]},
                "geometry": {"action": "hide", "exempt_groups": ["social"]}},
})
OFFICIAL = Caller("mayor", frozenset({"officials"}),
                  {"territories": frozenset({"69123"})})
SOCIAL = Caller("worker", frozenset({"social"}))


def test_column_rules_shape_the_visible_schema():
    seen = visible_dataset(RECIPE, MANIFEST, decide(OFFICIAL, ACCESS))
    assert seen.columns == (Column("person_id", "string", "pseudonymised"),
                            Column("birth_date", "int32", "generalised to year"),
                            Column("income", "double"),
                            Column("commune_code", "large_string"))
    assert not seen.is_geo  # its geometry is hidden from this caller


def test_exempt_caller_sees_hidden_columns_and_geometry():
    seen = visible_dataset(RECIPE, MANIFEST, decide(SOCIAL, ACCESS))
    assert "address" in seen.column_names and seen.is_geo


def test_row_rules_withhold_the_total_row_count_and_step_counts():
    official = visible_dataset(RECIPE, MANIFEST, decide(OFFICIAL, ACCESS))
    assert official.row_count is None and "steps" not in official.quality
    counted = visible_dataset(RECIPE, MANIFEST, decide(OFFICIAL, ACCESS), row_count=42)
    assert counted.row_count == 42
    social = visible_dataset(RECIPE, MANIFEST, decide(SOCIAL, ACCESS))
    assert social.row_count == 500
    assert social.quality["steps"] == [{"processor": "deduplicate", "rows_in": 510,
                                        "rows_out": 500}]


def test_quality_keeps_counts_of_plain_visible_columns_only():
    social = visible_dataset(RECIPE, MANIFEST, decide(SOCIAL, ACCESS)).quality["columns"]
    assert set(social) == {"commune_code", "address"}  # person_id is still pseudonymised
    assert "invalid_examples" not in social["commune_code"]


def test_row_restricted_callers_get_no_counts_over_rows_they_cannot_see():
    official = visible_dataset(RECIPE, MANIFEST, decide(OFFICIAL, ACCESS)).quality
    assert official["columns"] == {} and "steps" not in official and official["withheld"]


def test_recipe_metadata_is_carried():
    seen = visible_dataset(RECIPE, MANIFEST, decide(SOCIAL, ACCESS))
    assert (seen.id, seen.title, seen.licence, seen.contact_email) == (
        "social_aid", "Social aid", "proprietary", "data@example.org")
    assert seen.frequency_uri.endswith("/frequency/MONTHLY")
    assert seen.updated == "2026-11-28T13:10:55+00:00" and seen.version == MANIFEST["version"]
    assert seen.to_dict()["contact"] == {"name": "Data team", "email": "data@example.org"}


def test_a_dataset_without_snapshot_is_listed_empty():
    seen = visible_dataset(RECIPE, None, decide(SOCIAL, ACCESS))
    assert seen.columns == () and seen.row_count is None and seen.updated is None


def test_a_denied_decision_is_refused():
    with pytest.raises(PermissionError):
        visible_dataset(RECIPE, MANIFEST, decide(Caller("nobody"), ACCESS))


def test_column_docs_reach_the_caller_in_both_languages_for_visible_columns_only():
    documented = SimpleNamespace(id="social_aid", metadata=RECIPE.metadata.model_copy(update={
        "column_docs": Metadata.model_validate({
            "title": "t", "description": "d", "column_docs": {
                "income": {"title": {"fr": "Revenu", "en": "Income"}, "unit": "€",
                           "description": "Monthly, before tax."},
                "birth_date": {"title": {"fr": "Naissance"}, "unit": "date"},
                "address": {"title": "Adresse"}}}).column_docs}))
    seen = {c.name: c for c in visible_dataset(documented, MANIFEST,
                                               decide(OFFICIAL, ACCESS)).columns}
    assert seen["income"].title == {"fr": "Revenu", "en": "Income"}
    assert seen["income"].description == {"fr": "Monthly, before tax.",
                                           "en": "Monthly, before tax."}
    assert seen["income"].unit == "€"
    # a generalised column keeps its name but not its unit (its values are years now)
    assert seen["birth_date"].title == {"fr": "Naissance", "en": "Naissance"}
    assert seen["birth_date"].unit is None
    assert "address" not in seen  # hidden: its docs are not shown either
    assert seen["commune_code"].title is None
    metadata = visible_dataset(documented, MANIFEST, decide(OFFICIAL, ACCESS)).to_dict()
    assert {"name": "income", "type": "double", "rule": None, "unit": "€",
            "title": {"fr": "Revenu", "en": "Income"},
            "description": {"fr": "Monthly, before tax.", "en": "Monthly, before tax."}
            } in metadata["columns"]


DAY = ("2024-01-01", "2024-12-31")
PLAIN = (Column("measured_at", "timestamp[us]"), Column("pm10", "double"))


def test_temporal_coverage_spans_the_date_columns_shown_plainly():
    assert visible_temporal({"measured_at": DAY}, PLAIN, False, None) == DAY
    two = {"measured_at": DAY, "day": ("2023-06-01", "2024-02-01")}
    assert visible_temporal(two, PLAIN + (Column("day", "date32[day]"),), False, None) == \
        ("2023-06-01", "2024-12-31")


def test_without_date_columns_the_rows_are_the_state_of_the_snapshots_day():
    assert visible_temporal({}, PLAIN[1:], True, "2026-11-28T13:10:55+00:00") == \
        ("2026-11-28", "2026-11-28")
    assert visible_temporal({}, PLAIN[1:], False, None) is None


@pytest.mark.parametrize(("extent", "columns", "row_filtered"), [
    ({"measured_at": DAY}, PLAIN, True),  # dates of rows the caller cannot see
    ({"measured_at": DAY}, PLAIN[1:], False),  # the date column is hidden
    ({"measured_at": DAY}, (Column("measured_at", "int32", "generalised to year"),), False),
    ({"measured_at": None}, PLAIN, False),  # no statistics: the range is unknown
])
def test_no_temporal_coverage_that_would_reveal_or_guess(extent, columns, row_filtered):
    assert visible_temporal(extent, columns, row_filtered, "2026-11-28T13:10:55+00:00") is None


def test_a_generalised_date_column_gives_no_coverage():
    extent = {"birth_date": ("1950-01-01", "2000-12-31")}
    assert visible_dataset(RECIPE, MANIFEST, decide(SOCIAL, ACCESS), extent=extent,
                           issued="2026-01-01T00:00:00+00:00").temporal is None


def test_an_unknown_extent_gives_no_coverage_rather_than_the_snapshots_day():
    seen = visible_dataset(RECIPE, MANIFEST, decide(SOCIAL, ACCESS), extent=None)
    assert seen.temporal is None and seen.updated == MANIFEST["created_at"]
