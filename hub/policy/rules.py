"""The structured rules a recipe's `access` section may hold (validated with pydantic)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .bands import edges_problem

IDENTIFIER = r"^[A-Za-z_][A-Za-z0-9_]{0,62}$"


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RowRule(_Rule):
    """Keep only rows whose `column` is one of the caller's `in_attribute` values."""

    column: str = Field(pattern=IDENTIFIER, description="Column compared with the attribute.")
    in_attribute: str = Field(pattern=IDENTIFIER,
                              description="Caller attribute holding the allowed values.")
    applies_to_groups: list[str] = Field(
        [], description="Groups the rule applies to; empty: every caller.")
    exempt_groups: list[str] = Field([], description="Groups that see every row.")


class ColumnRule(_Rule):
    """Hide, pseudonymise or generalise one column for callers not in `exempt_groups`."""

    action: Literal["hide", "pseudonymise", "generalise"]
    to: Literal["year", "month", "decade", "band"] | None = Field(
        None, description="generalise: target granularity (dates: year/month, numbers: "
        "decade or band)")
    bands: list[float] = Field([], description="generalise to band: strictly increasing band "
                               "edges.")
    exempt_groups: list[str] = Field([], description="Groups that see the original values.")

    @model_validator(mode="after")
    def _generalise_needs_target(self):
        if self.action == "generalise" and self.to is None:
            raise ValueError("generalise needs `to`: year, month, decade or band")
        if self.to == "band" and edges_problem(self.bands):
            raise ValueError(f"generalise to band: {edges_problem(self.bands)}")
        return self
