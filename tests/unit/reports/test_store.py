"""The reports store, on SQLite and on PostgreSQL (`state_url`, tests/conftest.py): idempotent
run keys, one claim per run (also between processes), nothing lost at a restart, runs of a
dead scheduler requeued, retention."""

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta

from hub.reports.schedules import Schedule
from hub.reports.store import PlannedRun, ReportStore

NOW = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)


def planned(recipient: str = "elu-rivemont", period: str = "2026-W48") -> PlannedRun:
    return PlannedRun("digest", period, recipient, "recipient", "scheduler", (recipient,),
                      {"template": "digest", "title": "Digest", "parameters": {}}, 3)


def test_planning_the_same_slot_twice_adds_each_run_once(tmp_path, state_url):
    store = ReportStore(tmp_path, state_url)
    first = store.plan("digest", NOW, [planned("a"), planned("b")], NOW)
    again = store.plan("digest", NOW + timedelta(minutes=1), [planned("a"), planned("b")])
    assert len(first) == 2 and again == []
    assert len(store.runs("digest")) == 2
    assert store.watermark("digest") == NOW + timedelta(minutes=1)


def test_a_restart_loses_no_schedule_run_or_watermark(tmp_path, state_url):
    store = ReportStore(tmp_path, state_url)
    schedule = Schedule.model_validate({"name": "mine", "template": "digest",
                                        "cron": "0 7 * * mon", "owner": "scheduler",
                                        "recipients": {"users": ["elu-rivemont"]}})
    store.save_schedule(schedule, NOW)
    [run_id] = store.plan("digest", NOW, [planned()], NOW)
    store.claim(run_id, NOW)
    store.succeeded(run_id, tmp_path / "x.pdf", 4, [{"dataset": "communes", "version": "v1"}])
    store.close()
    reopened = ReportStore(tmp_path, state_url)
    assert [Schedule.model_validate(d) for d in reopened.schedule_definitions()] == [schedule]
    run = reopened.run(run_id)
    assert (run.status, run.pages, run.attempts, run.delivery) == ("succeeded", 4, 1, "pending")
    assert run.lineage == [{"dataset": "communes", "version": "v1"}]
    assert reopened.watermark("digest") == NOW
    if state_url is None:
        assert (tmp_path / "reports.sqlite").stat().st_mode & 0o777 == 0o600


def test_only_one_process_claims_a_run(tmp_path, state_url):
    one, other = ReportStore(tmp_path, state_url), ReportStore(tmp_path, state_url)
    [run_id] = one.plan("digest", NOW, [planned()], NOW)
    assert one.claim(run_id, NOW) is not None
    assert other.claim(run_id, NOW) is None
    assert other.run(run_id).status == "running"


def test_runs_left_running_by_a_dead_scheduler_are_queued_again(tmp_path, state_url):
    store = ReportStore(tmp_path, state_url)
    [mine, dead] = store.plan("digest", NOW, [planned("a"), planned("b")], NOW)
    store.claim(mine, NOW)
    store.claim(dead, NOW)
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    with store.db.write() as tx:
        tx.execute("UPDATE runs SET runner_pid = ? WHERE id = ?", (int(gone), dead))
    assert store.requeue_abandoned(now=NOW) == [dead]
    assert store.run(dead).status == "queued" and store.run(dead).attempts == 1
    assert "interrupted" in store.run(dead).error
    assert store.run(mine).status == "running"  # this process is alive: left alone


def test_a_run_asked_for_again_starts_afresh_but_never_while_it_runs(tmp_path, state_url):
    store = ReportStore(tmp_path, state_url)
    [run_id] = store.plan("digest", NOW, [planned()], NOW)
    store.claim(run_id, NOW)
    assert store.queue_again(planned(), NOW) is None
    store.failed(run_id, "boom", NOW)
    run = store.queue_again(planned(), NOW)
    assert (run.id, run.status, run.attempts, run.error, run.delivery) == (
        run_id, "queued", 0, None, None)
    store.failed(run_id, "boom again", NOW)
    taken = store.queue_again(planned(), NOW, claim=True)  # one transaction: nobody between
    assert (taken.status, taken.attempts) == ("running", 1)
    assert store.claim(run_id, NOW) is None


def test_history_older_than_the_retention_goes_but_undelivered_runs_stay(tmp_path, state_url):
    store = ReportStore(tmp_path, state_url)
    old, undelivered, recent = store.plan("digest", NOW, [planned("a"), planned("b"),
                                                          planned("c")], NOW)
    for run_id in (old, undelivered, recent):
        store.claim(run_id, NOW)
    store.succeeded(old, tmp_path / "a.pdf", 1, [], NOW - timedelta(days=40))
    store.delivery_done(old, "sent", ["a"])
    store.succeeded(undelivered, tmp_path / "b.pdf", 1, [], NOW - timedelta(days=40))
    store.succeeded(recent, tmp_path / "c.pdf", 1, [], NOW)
    store.delivery_done(recent, "sent", ["c"])
    assert [run.id for run in store.prune(NOW - timedelta(days=30))] == [old]
    assert sorted(run.id for run in store.runs()) == [undelivered, recent]


CLAIMER = """
import json, sys
from datetime import datetime
from hub.reports.store import ReportStore
store = ReportStore(sys.argv[1], sys.argv[2] or None)
due = store.due(datetime.fromisoformat(sys.argv[3]), 100)
print("ready", flush=True)
sys.stdin.readline()  # every process claims at the same moment
print(json.dumps([run.id for run in due if store.claim(run.id) is not None]))
"""


def test_processes_claiming_the_same_runs_at_once_run_each_exactly_once(tmp_path, state_url):
    store = ReportStore(tmp_path, state_url)
    ids = store.plan("digest", NOW, [planned(f"user-{n}") for n in range(30)], NOW)
    claimers = [subprocess.Popen([sys.executable, "-c", CLAIMER, str(tmp_path), state_url or "",
                                  NOW.isoformat()], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, text=True) for _ in range(3)]
    assert [claimer.stdout.readline() for claimer in claimers] == ["ready\n"] * 3
    claimed = [json.loads(claimer.communicate("go\n", timeout=60)[0]) for claimer in claimers]
    every = [run_id for ids_of_one in claimed for run_id in ids_of_one]
    assert sorted(every) == sorted(ids)  # all claimed, none twice
    assert {run.status for run in store.runs("digest")} == {"running"}
    assert all(run.attempts == 1 for run in store.runs("digest"))


def test_one_process_at_a_time_holds_a_pending_delivery_until_its_lease_ends(tmp_path, state_url):
    store, other = ReportStore(tmp_path, state_url), ReportStore(tmp_path, state_url)
    [run_id] = store.plan("digest", NOW, [planned()], NOW)
    store.claim(run_id, NOW)
    store.succeeded(run_id, tmp_path / "x.pdf", 1, [], NOW)
    lease = timedelta(minutes=30)
    assert store.claim_delivery(run_id, NOW, lease)
    assert not other.claim_delivery(run_id, NOW + timedelta(minutes=29), lease)
    assert other.to_deliver(NOW + timedelta(minutes=29)) == []
    assert other.claim_delivery(run_id, NOW + timedelta(minutes=31), lease)  # the holder died
    other.release_delivery(run_id)
    assert store.claim_delivery(run_id, NOW + timedelta(minutes=31), lease)
    store.delivery_done(run_id, "sent", ["elu-rivemont"])
    assert not other.claim_delivery(run_id, NOW + timedelta(days=1), lease)
