"""Cron in a schedule's own time zone, the period a run covers, catch-up once, the runs a
slot makes (one per recipient, or one as the owner for everyone)."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from hub.pipeline.cron import Cron
from hub.reports.period import covered_by, parse_period
from hub.reports.planning import due_slot, latest_slot, planned_runs
from hub.reports.schedules import Schedule

PARIS, CAYENNE = ZoneInfo("Europe/Paris"), ZoneInfo("America/Cayenne")


def schedule(**fields) -> Schedule:
    values = {"name": "digest", "template": "digest", "cron": "0 7 * * mon",
              "recipients": {"groups": ["officials"]}, "owner": "scheduler", **fields}
    return Schedule.model_validate(values)


def test_a_cron_reads_the_wall_clock_of_its_own_time_zone():
    after = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    fire = Cron.parse("0 7 * * mon", CAYENNE).next_after(after)
    assert fire == datetime(2026, 12, 7, 7, 0, tzinfo=CAYENNE)
    assert fire.astimezone(UTC).hour == 10  # Cayenne is UTC-3, no daylight saving time
    assert Cron.parse("0 7 * * mon", PARIS).next_after(after).astimezone(UTC).hour == 6


def test_the_paris_default_still_crosses_daylight_saving_time_as_before():
    spring = Cron.parse("30 2 * * *").next_after(datetime(2026, 3, 29, 0, 0, tzinfo=PARIS))
    assert (spring.hour, spring.minute) == (3, 30)  # 02:30 does not exist that night


@pytest.mark.parametrize("fire, kind, label, start, end", [
    (datetime(2026, 11, 30, 7, tzinfo=PARIS), "week", "2026-W48", date(2026, 11, 23),
     date(2026, 11, 29)),
    (datetime(2026, 12, 2, 7, tzinfo=PARIS), "week", "2026-W48", date(2026, 11, 23),
     date(2026, 11, 29)),
    (datetime(2027, 1, 4, 7, tzinfo=PARIS), "week", "2026-W53", date(2026, 12, 28),
     date(2027, 1, 3)),
    (datetime(2026, 12, 1, 6, tzinfo=PARIS), "month", "2026-11", date(2026, 11, 1),
     date(2026, 11, 30)),
    (datetime(2026, 3, 1, 6, tzinfo=PARIS), "day", "2026-02-28", date(2026, 2, 28),
     date(2026, 2, 28)),
])
def test_a_run_covers_the_last_complete_period_before_it_fires(fire, kind, label, start, end):
    period = covered_by(fire, kind)
    assert (period.label, period.start, period.end) == (label, start, end)
    assert parse_period(label, kind) == period


@pytest.mark.parametrize("label, kind", [("2026-48", "week"), ("2026-W54", "week"),
                                         ("2026-13", "month"), ("2026-02-30", "day")])
def test_a_wrong_period_label_says_what_one_looks_like(label, kind):
    with pytest.raises(ValueError, match="write it like"):
        parse_period(label, kind)


def test_after_three_missed_weeks_only_the_latest_slot_is_run():
    cron = Cron.parse("0 7 * * mon", PARIS)
    down = datetime(2026, 11, 9, 8, tzinfo=PARIS)  # just after a Monday run
    back = datetime(2026, 12, 1, 9, tzinfo=PARIS)  # three Mondays later
    assert latest_slot(cron, down, back) == datetime(2026, 11, 30, 7, tzinfo=PARIS)
    assert latest_slot(cron, back, back + timedelta(days=2)) is None


def test_a_minutely_cron_after_a_month_away_costs_a_few_steps():
    cron = Cron.parse("* * * * *", PARIS)
    after, now = datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, 0, 0, 30, tzinfo=UTC)
    assert latest_slot(cron, after, now) == datetime(2026, 11, 1, 0, 0, tzinfo=UTC)


def test_without_catch_up_an_old_slot_is_skipped_but_a_fresh_one_runs():
    s = schedule()
    watermark = datetime(2026, 11, 23, 8, tzinfo=PARIS)
    late = datetime(2026, 11, 30, 9, tzinfo=PARIS)  # two hours after the slot
    assert due_slot(s, watermark, late, catch_up=True) == datetime(2026, 11, 30, 7, tzinfo=PARIS)
    assert due_slot(s, watermark, late, catch_up=False) is None
    on_time = datetime(2026, 11, 30, 7, 0, 40, tzinfo=PARIS)
    assert due_slot(s, watermark, on_time, catch_up=False) is not None


def test_each_recipient_gets_a_run_of_their_own_once():
    s = schedule(recipients={"users": ["elu-rivemont"], "groups": ["officials", "commune-99101"]})
    members = {"officials": ["elu-rivemont", "elu-bellecombe"], "commune-99101": ["elu-rivemont"]}
    runs = planned_runs(s, datetime(2026, 11, 30, 7, tzinfo=PARIS), members, max_attempts=3)
    assert [(r.recipient, r.audience, r.period) for r in runs] == [
        ("elu-bellecombe", ("elu-bellecombe",), "2026-W48"),
        ("elu-rivemont", ("elu-rivemont",), "2026-W48")]
    assert runs[0].job["parameters"]["period"] == "2026-W48"  # the runner derives the rest
    assert {r.max_attempts for r in runs} == {3}


def test_a_report_run_as_its_owner_is_one_run_for_everyone():
    s = schedule(run_as="owner", recipients={"groups": ["officials"],
                                             "emails": ["presse@ville.example.fr"]})
    [run] = planned_runs(s, datetime(2026, 11, 30, 7, tzinfo=PARIS),
                         {"officials": ["elu-rivemont"]}, 1)
    assert run.recipient == "scheduler" and run.run_as == "owner"
    assert run.audience == ("elu-rivemont", "mailto:presse@ville.example.fr")
