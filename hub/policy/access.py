"""The `access:` section of a recipe, as a typed model.

Defaults grant nothing: a recipe without `access:` is readable by nobody. Row and column rule
types live in rules.py; evaluation order is documented in hub/policy/__init__.py.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from .rules import ColumnRule, RowRule


class AccessRules(BaseModel):
    """Who may read a dataset, and which of its rows and columns."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    groups: list[str] = Field([], description="Groups whose members may read the dataset.")
    users: list[str] = Field([], description="Users who may read the dataset.")
    rows: list[RowRule] = Field([], description="Row rules (see docs/policy.md).")
    columns: dict[str, ColumnRule] = Field(
        {}, description="Column rules by column name (see docs/policy.md).")
    min_group_size: int | None = Field(
        None, ge=2, description="Aggregates: groups of fewer rows have their measures withheld "
        "for callers some row or column rule applies to (see docs/policy.md).")

    @field_validator("min_group_size")
    @classmethod
    def _someone_to_suppress_for(cls, value: int | None, info: ValidationInfo):
        if value is not None and not (info.data.get("rows") or info.data.get("columns")):
            raise ValueError("would apply to nobody: callers no row or column rule applies to "
                             "are never suppressed, and this dataset has no such rule; add "
                             "the row or column rules, or remove min_group_size")
        return value

    def referenced_columns(self) -> set[str]:
        """Columns the rules name; each must exist in the snapshot or nothing is served."""
        return {rule.column for rule in self.rows} | set(self.columns)
