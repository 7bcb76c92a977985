"""Alert rules, written in a dataset's recipe under `alerts:` (docs/alerts.md).

    alerts:
      - name: flood-risk
        title: {fr: "Crue : {station_code} au-dessus du seuil d'alerte",
                en: "Flood: {station_code} above its alert level"}
        per: station_code            # one episode per station
        latest_by: measured_at       # judge each station by its latest reading
        when: {column: level_m, above_column: alert_m}
        recipients: {groups: [officials], users: [risk-manager]}

`when` takes one comparison: `above`, `at_least`, `below` (a number) or `above_column`,
`below_column` (another column of the same row). The title's `{column}` fields are filled
from the row the alert is about.
"""

from __future__ import annotations

import string
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

NUMBER_TESTS = {"above": ">", "at_least": ">=", "below": "<"}
COLUMN_TESTS = {"above_column": ">", "below_column": "<"}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Condition(_Model):
    column: str = Field(description="The column compared, e.g. level_m.")
    above: float | None = Field(None, description="Alert when the value is above this number.")
    at_least: float | None = Field(None, description="Alert when the value is at least this.")
    below: float | None = Field(None, description="Alert when the value is below this number.")
    above_column: str | None = Field(None, description="Alert when above this other column.")
    below_column: str | None = Field(None, description="Alert when below this other column.")

    @model_validator(mode="after")
    def _one_test(self):
        given = [k for k in (*NUMBER_TESTS, *COLUMN_TESTS) if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of above, at_least, below, above_column, "
                             f"below_column (given: {', '.join(given) or 'none'})")
        return self

    @property
    def test(self) -> tuple[str, str, Any]:
        """(operator, "number" or "column", operand)."""
        for key, operator in NUMBER_TESTS.items():
            if getattr(self, key) is not None:
                return operator, "number", getattr(self, key)
        for key, operator in COLUMN_TESTS.items():
            if getattr(self, key) is not None:
                return operator, "column", getattr(self, key)
        raise AssertionError("validated: one test")

    def describe(self) -> str:
        operator, kind, operand = self.test
        return f"{self.column} {operator} {operand}"


class Recipients(_Model):
    groups: list[str] = Field([], description="Hub groups told of a new episode.")
    users: list[str] = Field([], description="Hub users told of a new episode.")

    @model_validator(mode="after")
    def _someone(self):
        if not self.groups and not self.users:
            raise ValueError("name at least one group or user (each is told only about the "
                             "rows they may read)")
        return self


class AlertRule(_Model):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$",
                      description="Short name, unique in the recipe, e.g. flood-risk.")
    title: str | dict[str, str] = Field(
        description="What the alert says, a text or {fr, en}; {column} fields are filled from "
        "the row, e.g. 'Flood: {station_code}'.")
    per: str = Field(description="Column naming what an alert is about (one episode per "
                     "value), e.g. station_code or bin_id.")
    latest_by: str | None = Field(
        None, description="For time series: judge each `per` value by its latest row in this "
        "column's order (e.g. measured_at); default: any matching row.")
    when: Condition = Field(description="The comparison that raises the alert.")
    recipients: Recipients = Field(description="{groups: [...], users: [...]}.")

    @field_validator("title")
    @classmethod
    def _title(cls, value):
        texts = [value] if isinstance(value, str) else list(value.values())
        if isinstance(value, dict) and (not value or not set(value) <= {"fr", "en"}):
            raise ValueError("write a text, or {fr: <French>, en: <English>}")
        for text in texts:
            for _, field, spec, conversion in string.Formatter().parse(text):
                if field is not None and (not field.isidentifier() or spec or conversion):
                    raise ValueError(f"{{{field}}} in the title must be a plain column name, "
                                     "e.g. {station_code}")
        return value

    @property
    def columns(self) -> list[str]:
        """Every column the rule reads (per, latest_by, the comparison, the title's fields)."""
        operator, kind, operand = self.when.test
        texts = [self.title] if isinstance(self.title, str) else list(self.title.values())
        fields = [f for text in texts for _, f, _, _ in string.Formatter().parse(text) if f]
        named = [self.per, self.latest_by, self.when.column, operand if kind == "column" else None]
        return list(dict.fromkeys(c for c in [*named, *fields] if c))

    def title_for(self, row: dict, lang: str) -> str:
        """The title in `lang`, its fields filled from `row` (numbers written for people)."""
        text = self.title if isinstance(self.title, str) else (
            self.title.get(lang) or next(iter(self.title.values())))
        return text.format_map({k: readable(v, lang) for k, v in row.items()})


def readable(value: Any, lang: str) -> str:
    """90.0 -> "90", 3.14159 -> "3,14" in French, None -> ""."""
    if value is None:
        return ""
    if isinstance(value, float):
        text = f"{value:.2f}".rstrip("0").rstrip(".")
        return text.replace(".", ",") if lang == "fr" else text
    return str(value)
