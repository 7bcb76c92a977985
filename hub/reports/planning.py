"""What is due: the slot a schedule must run for now, and the runs that slot makes.

Each schedule has a *watermark* in the store: the instant up to which its slots were handled.
At each tick, the slots in (watermark, now] are looked at and only the LATEST one is planned:
after downtime a schedule runs once for the period it missed most recently, never once per
missed slot (``reports.catch_up``; when false, a slot more than :data:`MISSED_AFTER` old is
skipped). Planning writes the runs and the new watermark in one transaction, and the run keys
are unique, so planning the same slot again (a restart between the two, a second process)
adds nothing. A schedule seen for the first time starts at "now": no slot before it existed
is run.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from ..pipeline.cron import Cron
from .contacts import MAILTO
from .period import covered_by
from .schedules import Schedule
from .store import PlannedRun

MISSED_AFTER = timedelta(minutes=15)  # catch_up false: older slots are skipped
WINDOWS = (timedelta(hours=1), timedelta(days=1), timedelta(days=8), timedelta(days=32),
           timedelta(days=367), timedelta(days=366 * 5))


def latest_slot(cron: Cron, after: datetime, now: datetime) -> datetime | None:
    """The last fire time in (after, now], or None. Looks back over growing windows, so a
    minutely cron after a month of downtime costs a few steps, not 40,000."""
    if cron.next_after(after) > now:
        return None
    for window in WINDOWS:
        slot = cron.next_after(max(after, now - window))
        if slot <= now:
            while (following := cron.next_after(slot)) <= now:
                slot = following
            return slot
    return None


def due_slot(schedule: Schedule, watermark: datetime, now: datetime,
             catch_up: bool) -> datetime | None:
    """The slot to run `schedule` for at `now`, or None (nothing due, or skipped)."""
    slot = latest_slot(schedule.parsed_cron, watermark, now)
    if slot is None or (not catch_up and now - slot > MISSED_AFTER):
        return None
    return slot


def recipient_users(schedule: Schedule, members: Mapping[str, list[str]]) -> list[str]:
    """The hub users a schedule goes to: its users and its groups' members, once each."""
    users = set(schedule.recipients.users)
    for group in schedule.recipients.groups:
        users.update(members.get(group, ()))
    return sorted(users)


def job_of(schedule: Schedule, period) -> dict:
    """What a run renders: fixed when it is queued, so history says what ran."""
    return {"template": schedule.template, "title": schedule.display_title,
            "parameters": {**schedule.parameters, "period": period.label},
            "language": schedule.language}


def planned_runs(schedule: Schedule, slot: datetime, members: Mapping[str, list[str]],
                 max_attempts: int) -> list[PlannedRun]:
    """The runs of `schedule` for the period `slot` covers: one per recipient, each under
    their own rights, or one under the owner's rights for everyone."""
    period = covered_by(slot.astimezone(schedule.zone), schedule.period)
    return runs_for_period(schedule, period, members, max_attempts)


def runs_for_period(schedule: Schedule, period, members: Mapping[str, list[str]],
                    max_attempts: int) -> list[PlannedRun]:
    users, job = recipient_users(schedule, members), job_of(schedule, period)
    if schedule.run_as == "owner":
        audience = tuple(users + [MAILTO + a for a in sorted(schedule.recipients.emails)])
        return [PlannedRun(schedule.name, period.label, schedule.owner, "owner", schedule.owner,
                           audience, job, max_attempts)]
    return [PlannedRun(schedule.name, period.label, user, "recipient", schedule.owner, (user,),
                       addressed(job, user), max_attempts) for user in users]


def addressed(job: dict, user: str) -> dict:
    """A recipient's own run: their name on the title page (the `recipient` parameter)."""
    return {**job, "parameters": {**job["parameters"], "recipient": user}}
