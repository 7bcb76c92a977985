"""A report schedule: which template, for whom, when, under whose rights.

Schedules come from two places, one model for both:

- files, one YAML file per schedule in ``reports.schedules_dir`` (the name is the file's name
  without ``.yaml``), reviewed like the catalog: :func:`load_schedule_files`;
- the scheduler API (users of ``reports.scheduler_groups``), kept in the reports store.

A file looks like this (the demo's, report_schedules/territory-digest.yaml)::

    title: Weekly territory digest
    template: territory-digest        # report_templates/territory-digest.ipynb
    parameters: {}                    # more parameters of the template's `parameters` cell
    cron: "0 7 * * mon"               # minute hour day month weekday
    timezone: Europe/Paris            # default: reports.timezone
    period: week                      # what a run covers: day, week or month (the last one)
    recipients: {groups: [officials]} # users, groups, emails
    run_as: recipient                 # each recipient's own rights, or the owner's
    owner: scheduler
    language: fr                      # e-mails to plain addresses; users get their own

A schedule run as each recipient sends everyone a PDF built with their own token, so plain
e-mail addresses (who have no rights) are refused there: `run_as: owner` sends them the
owner's PDF.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationInfo, field_validator

from ..config.problems import ConfigProblems, Problem
from ..config.yamlfile import load_yaml_with_lines
from ..pipeline.cron import Cron
from ..pipeline.recipe_validation import validate
from .period import Kind

log = logging.getLogger("agora.reports")
NAME = r"^[a-z0-9][a-z0-9_-]{0,62}$"
TEMPLATE = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$"
PARAMETER = r"^[A-Za-z_][A-Za-z0-9_]{0,62}$"
EMAIL = r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;.]+$"
RESERVED = ("period", "period_start", "period_end")  # what the scheduler passes itself
Scalar = str | int | float | bool | None
Value = Scalar | list[Scalar]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Recipients(_Model):
    users: list[str] = Field([], description="hub user names, e.g. [elu-rivemont]")
    groups: list[str] = Field([], description="hub groups, each member a recipient")
    emails: list[str] = Field([], description="plain e-mail addresses (run_as: owner only)")

    @field_validator("emails")
    @classmethod
    def _addresses(cls, values: list[str]) -> list[str]:
        for value in values:
            if not re.fullmatch(EMAIL, value):
                raise ValueError(f"{value!r} is not an e-mail address")
        return values

    @field_validator("users", "groups")
    @classmethod
    def _names(cls, values: list[str]) -> list[str]:
        for value in values:
            if not value.strip() or value != value.strip():
                raise ValueError(f"{value!r} is not a hub name")
        return values

    def __bool__(self) -> bool:
        return bool(self.users or self.groups or self.emails)


class Schedule(_Model):
    name: str = Field(pattern=NAME, description="lower-case letters, digits, - and _")
    title: str | None = Field(None, max_length=200, description="shown in e-mails and lists")
    template: str = Field(pattern=TEMPLATE, description="a notebook of reports.templates_dir, "
                          "named without .ipynb, e.g. territory-digest")
    parameters: dict[str, Value] = Field({}, description="values for the template's "
                                         "parameters cell: {name: value}")
    timezone: str = Field("Europe/Paris", description="IANA time zone of the cron, e.g. "
                          "Europe/Paris")
    cron: str = Field(description="cron with 5 fields (minute hour day month weekday), e.g. "
                      "'0 7 * * mon'")
    period: Kind = Field("week", description="what a run covers: the last complete day, week "
                         "or month")
    recipients: Recipients = Field(description="{users: [...], groups: [...], emails: [...]}")
    run_as: Literal["owner", "recipient"] = Field(
        "recipient", validate_default=True, description="recipient: each recipient's PDF "
        "under their own rights; owner: one PDF under the owner's rights, sent to every "
        "recipient")
    owner: str = Field(min_length=1, description="the hub user who owns it (gets failure "
                       "notices)")
    enabled: bool = Field(True, description="false: kept, never run")
    language: Literal["fr", "en"] | None = Field(
        None, description="language of e-mails to plain addresses (users get their own); "
        "default: widgets.locale")
    _origin: str = PrivateAttr("api")  # the file it was read from, or "api"

    @property
    def origin(self) -> str:
        return self._origin

    def defined_in(self, origin: str) -> Schedule:
        """This schedule, marked as read from `origin` (a file path)."""
        copy = self.model_copy()
        copy._origin = origin
        return copy

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def parsed_cron(self) -> Cron:
        return Cron.parse(self.cron, self.zone)

    @property
    def display_title(self) -> str:
        return self.title or self.template.replace("_", " ").replace("-", " ").capitalize()

    @property
    def from_file(self) -> bool:
        return self.origin != "api"

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone (e.g. Europe/Paris)") from None
        return value

    @field_validator("parameters")
    @classmethod
    def _parameter_names(cls, values: dict) -> dict:
        for name in values:
            if not re.fullmatch(PARAMETER, name):
                raise ValueError(f"parameter {name!r} is not a Python name")
            if name in RESERVED:
                raise ValueError(f"parameter {name!r} is set by the scheduler for each run")
        return values

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str, info: ValidationInfo) -> str:
        zone = info.data.get("timezone")
        if zone:  # else the time zone's own error is reported
            Cron.parse(value, ZoneInfo(zone))
        return value

    @field_validator("recipients")
    @classmethod
    def _someone(cls, value: Recipients) -> Recipients:
        if not value:
            raise ValueError("name at least one user, group or e-mail address")
        return value

    @field_validator("run_as")
    @classmethod
    def _rights_for_everyone(cls, value: str, info: ValidationInfo) -> str:
        recipients = info.data.get("recipients")
        if value == "recipient" and recipients is not None and recipients.emails:
            raise ValueError("a plain e-mail address has no rights of its own to run a report "
                             "with: use run_as: owner (they get the owner's PDF), or name hub "
                             "users instead")
        return value


def template_path(templates_dir: Path, template: str) -> Path:
    return Path(templates_dir) / f"{template}.ipynb"


def parse_schedule(data: dict, file: str, lines: dict, default_timezone: str,
                   problems: list[Problem], name: str | None = None) -> Schedule | None:
    """Validate one definition (name and time zone filled in); problems go to `problems`."""
    if not isinstance(data, dict):
        problems.append(Problem(file, "", "a schedule must be a mapping of keys",
                                "start with keys such as 'template:' and 'cron:'", 1))
        return None
    if name is not None and "name" in data and data["name"] != name:
        problems.append(Problem(file, "name", f"the name is the file's ({name})",
                                "remove `name:` or rename the file", lines.get("name")))
        return None
    values = {"timezone": default_timezone, **data, **({"name": name} if name else {})}
    return validate(Schedule, values, file, "", lines, problems)


def load_schedule_files(folder: Path, default_timezone: str) -> tuple[dict[str, Schedule],
                                                                       list[Problem]]:
    """Every *.yaml schedule of `folder` that is valid, and the problems of the others."""
    schedules: dict[str, Schedule] = {}
    problems: list[Problem] = []
    for path in sorted(Path(folder).glob("*.yaml")) if Path(folder).is_dir() else []:
        found: list[Problem] = []
        try:
            data, lines = load_yaml_with_lines(path)
        except ConfigProblems as exc:
            problems.extend(exc.problems)
            continue
        if not re.fullmatch(NAME, path.stem):
            found.append(Problem(str(path), "", f"{path.stem!r} cannot name a schedule",
                                 "rename the file with lower-case letters, digits, - and _"))
        else:
            schedule = parse_schedule(data, str(path), lines, default_timezone, found, path.stem)
            if schedule is not None:
                schedules[schedule.name] = schedule.defined_in(str(path))
        problems.extend(found)
    return schedules, problems


def missing_templates(schedules, templates_dir: Path) -> list[str]:
    """One warning per schedule whose template is not there (its runs would fail)."""
    return [f"schedule {s.name!r}: template {s.template!r} not found in {templates_dir} "
            f"(expected {template_path(templates_dir, s.template).name})"
            for s in schedules if not template_path(templates_dir, s.template).is_file()]
