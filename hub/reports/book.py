"""Every schedule, wherever it is defined: files (reviewed like the catalog) and the store
(made through the API). Names are unique across both: the API refuses a file's name, and a
file added later under the name of an API schedule hides it (logged), since files are the
administrator's word. Files are read again at every call (a handful of small YAML files), so
an edited file takes effect at the next tick; a broken file only stops its own schedule.
"""

from __future__ import annotations

import logging
from pathlib import Path

from pydantic import ValidationError

from ..config.problems import Problem
from .schedules import Schedule, load_schedule_files, missing_templates
from .store import ReportStore

log = logging.getLogger("agora.reports")


class NameTaken(Exception):
    """A schedule of that name is defined in a file: edit the file instead."""


class ScheduleBook:
    def __init__(self, folder: Path, store: ReportStore, default_timezone: str,
                 templates_dir: Path):
        self.folder, self.store = Path(folder), store
        self.default_timezone, self.templates_dir = default_timezone, Path(templates_dir)
        self.problems: list[Problem] = []
        self._reported: str | None = None

    def files(self) -> dict[str, Schedule]:
        schedules, problems = load_schedule_files(self.folder, self.default_timezone)
        self.problems = problems
        text = "\n".join(map(str, problems))
        if problems and text != self._reported:
            log.error("report schedules with problems do not run until fixed:\n%s", text)
        self._reported = text
        return schedules

    def stored(self) -> dict[str, Schedule]:
        found = {}
        for definition in self.store.schedule_definitions():
            try:
                schedule = Schedule.model_validate(definition)
            except ValidationError as exc:  # written by an older version, say
                log.error("stored schedule %r is not valid any more: %s",
                          definition.get("name"), exc)
                continue
            found[schedule.name] = schedule
        return found

    def all(self) -> dict[str, Schedule]:
        files, stored = self.files(), self.stored()
        for name in sorted(files.keys() & stored.keys()):
            log.warning("schedule %r is defined in %s and through the API: the file wins",
                        name, files[name].origin)
        return dict(sorted({**stored, **files}.items()))

    def get(self, name: str) -> Schedule | None:
        return self.all().get(name)

    def save(self, schedule: Schedule) -> Schedule:
        """Create or replace an API schedule (never one defined in a file)."""
        taken = self.files().get(schedule.name)
        if taken is not None:
            raise NameTaken(f"schedule {schedule.name!r} is defined in {taken.origin}: edit "
                            "that file, or choose another name")
        self.store.save_schedule(schedule)
        return schedule

    def warnings(self) -> list[str]:
        return missing_templates(self.all().values(), self.templates_dir)
