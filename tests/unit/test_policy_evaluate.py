"""Policy evaluation, rule by rule, in the documented order."""

from dataclasses import dataclass, field

import pytest
from pydantic import ValidationError

from hub.policy.caller import Caller, caller_from_hub_model, merge_attributes
from hub.policy.evaluate import DENIED, RowFilter, decide
from hub.policy.rules import ColumnRule, RowRule


@dataclass
class Access:
    groups: list = field(default_factory=list)
    users: list = field(default_factory=list)
    rows: list = field(default_factory=list)
    columns: dict = field(default_factory=dict)


OFFICIAL = Caller("elu", frozenset({"officials"}), {"territories": frozenset({"99101"})})
ANALYST = Caller("ana", frozenset({"analysts"}))
ADMIN = Caller("root", frozenset({"admins"}))
TERRITORY = RowRule(column="commune_code", in_attribute="territories",
                    applies_to_groups=["officials"])


def test_unlisted_caller_and_admin_are_denied():
    access = Access(groups=["analysts"])
    assert decide(OFFICIAL, access) == DENIED
    assert decide(ADMIN, access) == DENIED
    assert decide(ANALYST, access).allowed


def test_named_user_is_allowed_without_group():
    assert decide(Caller("partner"), Access(users=["partner"])).allowed


def test_none_access_fails_closed():
    assert decide(ANALYST, None) == DENIED


def test_row_rule_uses_the_callers_attribute():
    access = Access(groups=["officials", "analysts"], rows=[TERRITORY])
    assert decide(OFFICIAL, access).row_filters == (RowFilter("commune_code", ("99101",)),)
    assert decide(ANALYST, access).row_filters == ()


def test_missing_attribute_keeps_no_rows():
    no_territory = Caller("elu2", frozenset({"officials"}))
    access = Access(groups=["officials"], rows=[TERRITORY])
    assert decide(no_territory, access).row_filters == (RowFilter("commune_code", ()),)


def test_row_rule_without_target_groups_applies_to_everyone_but_exempt():
    rule = RowRule(column="commune_code", in_attribute="territories", exempt_groups=["analysts"])
    access = Access(groups=["officials", "analysts"], rows=[rule])
    assert decide(OFFICIAL, access).row_filters
    assert decide(ANALYST, access).row_filters == ()


def test_column_rules_apply_unless_exempt():
    access = Access(groups=["analysts", "officials"], columns={
        "nir": ColumnRule(action="hide"),
        "name": ColumnRule(action="pseudonymise", exempt_groups=["officials"]),
    })
    assert decide(ANALYST, access).hidden_columns == {"nir"}
    assert [c for c, _ in decide(ANALYST, access).column_actions] == ["nir", "name"]
    assert [c for c, _ in decide(OFFICIAL, access).column_actions] == ["nir"]


def test_rule_models_refuse_bad_rules():
    with pytest.raises(ValidationError):
        RowRule(column="x; DROP TABLE t", in_attribute="territories")
    with pytest.raises(ValidationError):
        ColumnRule(action="generalise")
    with pytest.raises(ValidationError):
        ColumnRule(action="generalise", to="band", bands=[10, 5])
    with pytest.raises(ValidationError):
        ColumnRule(action="encrypt")


def test_caller_attributes_merge_groups_and_claims():
    user = {"name": "elu", "groups": ["officials", "commune-99101", "commune-99102"]}
    properties = {"commune-99101": {"territories": ["99101"]},
                  "commune-99102": {"territories": ["99102"], "label": "Bellecombe"}}
    caller = caller_from_hub_model(user, properties, {"territories": "99103", "email": "x"},
                                   claim_attributes=["territories"])
    assert caller.attribute("territories") == {"99101", "99102", "99103"}
    assert "email" not in caller.attributes
    assert merge_attributes({"a": None}) == {"a": frozenset()}
