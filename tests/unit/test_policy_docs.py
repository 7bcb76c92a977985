"""docs/policy.md documents every rule field and every column action (Datasette-style)."""

import typing
from pathlib import Path

from hub.policy.access import AccessRules
from hub.policy.rules import ColumnRule, RowRule

POLICY_DOC = (Path(__file__).parents[2] / "docs" / "policy.md").read_text()


def test_every_rule_field_is_documented():
    for model in (AccessRules, RowRule, ColumnRule):
        for field in model.model_fields:
            assert f"{field}:" in POLICY_DOC or f"`{field}`" in POLICY_DOC, (model.__name__, field)


def test_every_column_action_and_generalisation_is_documented():
    actions = typing.get_args(ColumnRule.model_fields["action"].annotation)
    targets = typing.get_args(typing.get_args(ColumnRule.model_fields["to"].annotation)[0])
    for word in (*actions, *targets):
        assert f"`{word}`" in POLICY_DOC, word
