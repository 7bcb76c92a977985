"""Cron in Europe/Paris, due datasets, catch-up once, no overlap, a concurrency cap of 2."""

import threading
from datetime import UTC, datetime, timedelta

import pytest

from hub.pipeline.cron import TIMEZONE, Cron
from hub.pipeline.schedule import ScheduleRunner, due_datasets, is_due

from .glue_support import Sleep


def paris(*args) -> datetime:
    return datetime(*args, tzinfo=TIMEZONE)


@pytest.mark.parametrize("expr, after, expected", [
    ("0 * * * *", paris(2026, 1, 5, 10, 0), paris(2026, 1, 5, 11, 0)),
    ("*/15 6-7 * * mon-fri", paris(2026, 1, 9, 7, 50), paris(2026, 1, 12, 6, 0)),  # fri -> mon
    ("30 2 * * *", paris(2026, 3, 28, 12, 0), paris(2026, 3, 29, 3, 30)),  # skipped by DST
    ("0 0 1 jan *", paris(2026, 6, 1), paris(2027, 1, 1)),
    ("0 0 29 2 *", paris(2026, 1, 1), paris(2028, 2, 29)),
    ("0 6 1 * 0", paris(2026, 1, 1, 7), paris(2026, 1, 4, 6)),  # day OR weekday (Sunday)
    ("@daily", paris(2026, 1, 5, 0, 0), paris(2026, 1, 6, 0, 0)),
])
def test_cron_next_fire_time_in_paris(expr, after, expected):
    fire = Cron.parse(expr).next_after(after)
    assert fire == expected and fire.utcoffset() == expected.utcoffset()


def test_cron_fires_once_in_the_repeated_autumn_hour():
    cron = Cron.parse("30 2 * * *")
    first = cron.next_after(paris(2026, 10, 25, 0, 0))
    assert first.astimezone(UTC) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert cron.next_after(first) == paris(2026, 10, 26, 2, 30)


@pytest.mark.parametrize("expr, message", [
    ("0 6 * *", "has 4 fields; cron needs 5"),
    ("61 * * * *", "minute: '61' is not a number from 0 to 59"),
    ("0 6 * * funday", "day of week: 'funday' is not a number from 0 to 7"),
    ("*/0 * * * *", "minute: step '0' must be a positive number"),
    ("0 5-2 * * *", "hour: range '5-2' goes backwards"),
    ("0 0 31 2 *", "never fires"),
])
def test_bad_cron_expressions(expr, message):
    with pytest.raises(ValueError, match=message):
        Cron.parse(expr)


def hourly(workspace, dataset, steps="  []"):
    workspace.source(f"{dataset}.csv")
    workspace.recipe(dataset, steps=steps, extra='schedule: "0 * * * *"')


def test_due_when_never_run_or_when_a_slot_passed_since_the_last_attempt(workspace):
    hourly(workspace, "air")
    workspace.recipe("manual")  # no schedule: never due
    recipes = workspace.load()
    now = paris(2026, 1, 5, 10, 20)
    assert due_datasets(recipes, workspace.store, now) == ["air"]
    workspace.store.status("air").record_attempt(paris(2026, 1, 5, 10, 0, 5))
    assert not is_due(recipes["air"], workspace.store, now)
    assert not is_due(recipes["air"], workspace.store, paris(2026, 1, 5, 10, 59))
    assert is_due(recipes["air"], workspace.store, paris(2026, 1, 5, 11, 0))


def test_catch_up_after_downtime_runs_once(workspace):
    hourly(workspace, "air")
    now = datetime.now(UTC)
    workspace.store.status("air").record_attempt(now - timedelta(hours=5))  # 5 slots missed
    runner = ScheduleRunner(workspace.load, workspace.env)
    assert runner.tick() == ["air"]
    runner.wait()
    assert runner.tick() == [] and runner.tick() == []
    runner.wait()
    assert [r.result for r in runner.results] == ["new"]
    assert len(workspace.store.versions("air")) == 1
    last = workspace.store.status("air").last_attempt()
    assert last >= now - timedelta(seconds=1)


def test_no_overlap_and_at_most_two_at_once(workspace):
    for dataset in ("aa", "bb", "cc"):
        hourly(workspace, dataset, steps="  - test_sleep: {seconds: 0.4}")
    runner = ScheduleRunner(workspace.load, workspace.env, max_parallel=2)
    assert runner.tick() == ["aa", "bb", "cc"]
    assert runner.tick() == []  # still running or already attempted: not started again
    runner.wait()
    assert Sleep.peak == 2
    assert sorted(r.dataset for r in runner.results) == ["aa", "bb", "cc"]


def test_only_the_last_results_are_kept(workspace):
    runner = ScheduleRunner(workspace.load, workspace.env, keep_results=2)
    for dataset in ("aa", "bb", "cc"):  # one more dataset due at each tick
        hourly(workspace, dataset)
        assert runner.tick() == [dataset]
        runner.wait()
    assert [r.dataset for r in runner.results] == ["bb", "cc"]


def test_a_catalog_with_problems_runs_only_its_good_recipes(workspace):
    from hub.pipeline.recipe import read_catalog

    hourly(workspace, "air")
    hourly(workspace, "water")
    workspace.recipe("water", extra="schedule: '0 * * * *'\ntitel: x")
    runner = ScheduleRunner(lambda: read_catalog(workspace.catalog), workspace.env)
    assert runner.tick() == ["air"]
    runner.wait()
    assert workspace.store.status("water").read() == {}
    missing = ScheduleRunner(lambda: read_catalog(workspace.root / "missing"), workspace.env)
    assert missing.tick() == []  # a catalog folder that cannot be read runs nothing


def test_run_stops_when_asked(workspace):
    hourly(workspace, "air")
    runner = ScheduleRunner(workspace.load, workspace.env)
    stop = threading.Event()
    thread = threading.Thread(target=runner.run, args=(stop, 0.05))
    thread.start()
    stop.set()
    thread.join(timeout=10)
    assert not thread.is_alive()
