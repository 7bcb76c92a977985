"""The reports loop with real worker processes (the test renderer), real SMTP on loopback
(aiosmtpd) and the hub stood in by LocalHub (tests/integration/test_reports_hub.py has the
real one): delivery per recipient, failures, retries, SIGKILL, timeouts, catch-up, the cap."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from hub.reports.period import parse_period
from hub.reports.service import build_scheduler
from tests.reports_support import (
    ROOT,
    LocalHub,
    async_wait_until,
    pdf_text,
    report_settings,
    smtp_server,
    wait_until,
    worker_environ,
)
from tests.support import free_port

PARIS = ZoneInfo("Europe/Paris")
GROUPS = {"officials": ["elu-bellecombe", "elu-rivemont"], "partners": ["partner"]}


def schedule_text(recipients: str = "{users: [elu-rivemont, partner]}", parameters: str = "{}",
                  extra: str = "") -> str:
    return (f'template: digest\ntitle: Digest\ncron: "0 7 * * mon"\nrecipients: {recipients}\n'
            f"owner: scheduler\nparameters: {parameters}\n{extra}")


class Clock:
    def __init__(self, *args):
        self.now = datetime(*args, tzinfo=PARIS)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def smtp():
    controller = smtp_server(free_port())
    yield controller
    controller.stop()


def scheduler_for(settings, clock, hub=None):
    return build_scheduler(settings, hub or LocalHub(GROUPS), worker_environ(), clock)


async def tick_and_wait(scheduler) -> None:
    await scheduler.tick()
    await scheduler.wait()


async def test_each_recipient_gets_their_own_pdf_by_mail_in_their_language(tmp_path, smtp):
    settings = report_settings(tmp_path, {"digest": schedule_text()}, smtp_port=smtp.port)
    clock, hub = Clock(2026, 11, 30, 6, 59), LocalHub(GROUPS)
    scheduler = scheduler_for(settings, clock, hub)
    await tick_and_wait(scheduler)  # first sight: the watermark, nothing due yet
    clock.advance(minutes=1, seconds=30)
    await tick_and_wait(scheduler)
    runs = {run.recipient: run for run in scheduler.store.runs("digest")}
    assert {r: run.status for r, run in runs.items()} == {"elu-rivemont": "succeeded",
                                                          "partner": "succeeded"}
    text = pdf_text(runs["elu-rivemont"].pdf)
    assert "report 2026-W48 for elu-rivemont" in text and "locale=fr" in text
    assert "locale=en" in pdf_text(runs["partner"].pdf)
    env = [line.split()[1] for line in text.splitlines() if line.startswith("env ")]
    assert "AGORA_TOKEN" in env and "AGORA_DATASETS_URL" in env
    assert "JUPYTERHUB_API_TOKEN" not in env and "AGORA_PSEUDONYM_KEY" not in env
    assert runs["elu-rivemont"].pdf.endswith("archive/digest/2026-W48/elu-rivemont.pdf")
    [french] = smtp.mailbox.to("elu-rivemont@example.org")
    [english] = smtp.mailbox.to("partner@example.org")
    assert french["Subject"] == "Digest — la semaine 48 de 2026, du 23 au 29 novembre 2026"
    assert english["Subject"].startswith("Digest — week 48 of 2026")
    assert "vos droits d'accès" in french.get_body().get_content()
    [(name, content)] = smtp.mailbox.attachments(french)
    assert name == "digest-2026-W48.pdf" and content == open(runs["elu-rivemont"].pdf, "rb").read()
    assert {run.delivery for run in scheduler.store.runs("digest")} == {"sent"}
    assert [user for user, _ in hub.leased] == ["elu-rivemont", "partner"] and not hub.open
    clock.advance(minutes=5)
    await tick_and_wait(scheduler)  # nothing new: no second run, no second e-mail
    assert len(scheduler.store.runs("digest")) == 2 and len(smtp.mailbox.messages) == 2


async def test_a_template_that_raises_is_retried_then_the_owner_is_told_in_words(tmp_path, smtp):
    settings = report_settings(tmp_path, {"digest": schedule_text(
        "{users: [elu-rivemont]}", "{fail: 'la source des bacs est vide'}")},
        {"retries": 1}, smtp_port=smtp.port)
    clock = Clock(2026, 11, 30, 6, 59)
    scheduler = scheduler_for(settings, clock)
    await tick_and_wait(scheduler)
    clock.advance(minutes=2)
    await tick_and_wait(scheduler)
    [run] = scheduler.store.runs("digest")
    assert (run.status, run.attempts, run.error) == ("queued", 1, "la source des bacs est vide")
    clock.advance(seconds=2)  # past the backoff (1 s)
    await tick_and_wait(scheduler)
    [run] = scheduler.store.runs("digest")
    assert (run.status, run.attempts, run.pdf) == ("failed", 2, None)
    assert not smtp.mailbox.to("elu-rivemont@example.org")
    [notice] = smtp.mailbox.to("scheduler@example.org")
    assert notice["Subject"].startswith("Échec du rapport « Digest »")
    body = notice.get_body().get_content()
    assert "après 2 tentative(s)" in body and "la source des bacs est vide" in body
    assert not list(notice.iter_attachments())
    assert not (settings.reports_dir / "archive").exists() or not any(
        (settings.reports_dir / "archive").rglob("*.pdf"))


async def test_a_crash_is_told_without_its_traceback(tmp_path, smtp):
    settings = report_settings(tmp_path, {"digest": schedule_text(
        "{users: [elu-rivemont]}", "{crash: true}")}, {"retries": 0}, smtp_port=smtp.port)
    clock = Clock(2026, 11, 30, 7, 0)
    scheduler = scheduler_for(settings, clock)
    [run] = await scheduler.run_now(scheduler.book.get("digest"), parse_period("2026-W48", "week"))
    assert run.status == "failed" and "crashed (details in the scheduler's log" in run.error
    body = smtp.mailbox.to("scheduler@example.org")[0].get_body().get_content()
    assert "Traceback" not in body and "a bug in the template" not in body


async def test_a_worker_killed_mid_run_publishes_nothing_and_is_retried(tmp_path, smtp):
    gate = tmp_path / "gate"
    settings = report_settings(tmp_path, {"digest": schedule_text(
        "{users: [elu-rivemont]}", f"{{gate: '{gate}'}}")}, smtp_port=smtp.port)
    clock = Clock(2026, 11, 30, 6, 59)
    scheduler = scheduler_for(settings, clock)
    await tick_and_wait(scheduler)
    clock.advance(minutes=2)
    await scheduler.tick()
    await async_wait_until(lambda: (tmp_path / "gate.started").exists())
    [run] = scheduler.store.runs("digest")
    assert run.status == "running" and run.worker_pid
    staging = scheduler.archive.staging_for(run)
    assert (staging / "report.partial").exists()  # half a report, in its staging folder only
    os.kill(run.worker_pid, signal.SIGKILL)
    await scheduler.wait()
    [run] = scheduler.store.runs("digest")
    assert run.status == "queued" and "stopped by SIGKILL" in run.error
    assert not staging.exists() and not scheduler.archive.path_for(run).exists()
    assert not smtp.mailbox.messages
    gate.touch()
    clock.advance(seconds=2)
    await tick_and_wait(scheduler)
    [run] = scheduler.store.runs("digest")
    assert (run.status, run.attempts) == ("succeeded", 2)
    assert pdf_text(run.pdf).startswith("report 2026-W48")
    assert len(smtp.mailbox.messages) == 1
    assert not list(scheduler.archive.staging.glob("*"))


async def test_a_run_past_its_timeout_is_stopped_and_retried_later(tmp_path):
    settings = report_settings(tmp_path, {"digest": schedule_text(
        "{users: [elu-rivemont]}", "{sleep: 30}")}, {"retries": 1})
    scheduler = scheduler_for(settings, Clock(2026, 11, 30, 7, 0))
    scheduler.executor.run_timeout = 1  # the setting's floor is 30 s
    started = time.monotonic()
    [run] = await scheduler.run_now(scheduler.book.get("digest"), parse_period("2026-W48", "week"))
    assert time.monotonic() - started < 10  # 2 attempts of 1 s and a backoff of 1 s
    assert (run.status, run.attempts) == ("failed", 2)
    assert "took longer than 1 s" in run.error and run.pdf is None


async def test_after_downtime_the_latest_missed_week_runs_once_and_never_again(tmp_path):
    settings = report_settings(tmp_path, {"digest": schedule_text("{groups: [officials]}")})
    before = scheduler_for(settings, Clock(2026, 11, 9, 8, 0))
    await tick_and_wait(before)  # the scheduler knew the schedule, then was down 3 weeks
    after = scheduler_for(settings, Clock(2026, 12, 1, 9, 0))
    after.start()
    await tick_and_wait(after)
    runs = after.store.runs("digest")
    assert sorted((r.period, r.recipient, r.status) for r in runs) == [
        ("2026-W48", "elu-bellecombe", "succeeded"), ("2026-W48", "elu-rivemont", "succeeded")]
    again = scheduler_for(settings, Clock(2026, 12, 1, 9, 5))  # restarted once more
    again.start()
    await tick_and_wait(again)
    assert len(again.store.runs("digest")) == 2


async def test_without_catch_up_missed_weeks_are_skipped(tmp_path):
    settings = report_settings(tmp_path, {"digest": schedule_text("{groups: [officials]}")},
                               {"catch_up": False})
    await tick_and_wait(scheduler_for(settings, Clock(2026, 11, 9, 8, 0)))
    later = scheduler_for(settings, Clock(2026, 12, 1, 9, 0))
    await tick_and_wait(later)
    assert later.store.runs("digest") == []


async def test_no_more_runs_at_once_than_the_cap(tmp_path):
    gate = tmp_path / "gate"
    settings = report_settings(tmp_path, {"digest": schedule_text(
        "{groups: [officials, partners]}", f"{{gate: '{gate}'}}")}, {"max_parallel": 2})
    clock = Clock(2026, 11, 30, 6, 59)
    scheduler = scheduler_for(settings, clock)
    await tick_and_wait(scheduler)
    clock.advance(minutes=2)
    await scheduler.tick()
    statuses = sorted(r.status for r in scheduler.store.runs("digest"))
    assert statuses == ["queued", "running", "running"]
    gate.touch()
    await scheduler.wait()  # a run that ends hands its slot on: no tick needed for the third
    assert {r.status for r in scheduler.store.runs("digest")} == {"succeeded"}


def slowed_sending(scheduler) -> threading.Event:
    """Make each e-mail take a second (a slow SMTP exchange); the event is set once the
    first one is being sent."""
    send, sending = scheduler.delivery.send, threading.Event()

    def slow_send(message):
        sending.set()
        time.sleep(1)
        send(message)
    scheduler.delivery.send = slow_send
    return sending


async def test_a_tick_while_a_run_is_still_sending_its_mail_sends_nothing_twice(tmp_path, smtp):
    settings = report_settings(tmp_path, {"digest": schedule_text("{users: [elu-rivemont]}")},
                               smtp_port=smtp.port)
    clock = Clock(2026, 11, 30, 6, 59)
    scheduler = scheduler_for(settings, clock)
    await tick_and_wait(scheduler)
    clock.advance(minutes=2)
    sending = slowed_sending(scheduler)
    await scheduler.tick()
    [task] = scheduler.active.values()
    await async_wait_until(sending.is_set, timeout=30)
    await scheduler.tick()  # finds the run finished, its delivery pending
    await task
    assert len(smtp.mailbox.to("elu-rivemont@example.org")) == 1
    assert scheduler.store.runs("digest")[0].delivery == "sent"


async def test_another_process_finding_the_delivery_pending_sends_nothing_twice(tmp_path, smtp):
    """`agora report run`, or a second scheduler on the shared store, ticks while this one
    is still sending: the delivery was claimed in the store, so it leaves it alone."""
    settings = report_settings(tmp_path, {"digest": schedule_text("{users: [elu-rivemont]}")},
                               smtp_port=smtp.port)
    clock = Clock(2026, 11, 30, 6, 59)
    scheduler, other = scheduler_for(settings, clock), scheduler_for(settings, clock)
    await tick_and_wait(scheduler)
    clock.advance(minutes=2)
    sending = slowed_sending(scheduler)
    await scheduler.tick()
    [task] = scheduler.active.values()
    await async_wait_until(sending.is_set, timeout=30)
    await other.tick()  # its own memory knows nothing of the run: only the store's claim
    await task
    assert len(smtp.mailbox.to("elu-rivemont@example.org")) == 1
    assert scheduler.store.runs("digest")[0].delivery == "sent"
    clock.advance(hours=1)  # long after the claim's lease: delivered is delivered
    await other.tick()
    assert len(smtp.mailbox.to("elu-rivemont@example.org")) == 1


async def test_a_user_the_hub_refuses_to_act_as_fails_at_once_with_the_reason(tmp_path):
    settings = report_settings(tmp_path, {"digest": schedule_text("{users: [partner]}")})
    scheduler = scheduler_for(settings, Clock(2026, 11, 30, 7, 0), LocalHub(GROUPS, {"partner"}))
    [run] = await scheduler.run_now(scheduler.book.get("digest"), parse_period("2026-W48", "week"))
    assert run.status == "failed" and run.attempts == 1  # not retried: it cannot help
    assert "refused a token to run as partner" in run.error
    assert "officials, analysts, schedulers (reports.run_as_groups" in run.error
    assert run.delivery == "none"  # no SMTP configured: archived only, and said so


SCHEDULER_PROCESS = """
import asyncio, sys
from datetime import datetime
from zoneinfo import ZoneInfo
from hub.config.loading import load_settings
from hub.reports.period import parse_period
from hub.reports.service import build_scheduler
from tests.reports_support import LocalHub, worker_environ

settings = load_settings(sys.argv[1], environ={})
scheduler = build_scheduler(settings, LocalHub({"officials": ["elu-rivemont"]}),
                            worker_environ(),
                            lambda: datetime(2026, 11, 30, 7, 1, tzinfo=ZoneInfo("Europe/Paris")))
scheduler.store.plan("digest", datetime(2026, 11, 30, 6, 0, tzinfo=ZoneInfo("Europe/Paris")))
async def main():
    await scheduler.tick()
    await scheduler.wait()
asyncio.run(main())
"""


async def test_a_scheduler_killed_mid_run_loses_nothing_and_duplicates_nothing(tmp_path, smtp):
    gate = tmp_path / "gate"
    settings = report_settings(tmp_path, {"digest": schedule_text(
        "{groups: [officials]}", f"{{gate: '{gate}'}}")}, smtp_port=smtp.port)
    process = subprocess.Popen([sys.executable, "-c", SCHEDULER_PROCESS,
                                str(tmp_path / "workspace.yaml")], cwd=tmp_path,
                               env=worker_environ())
    try:
        wait_until(lambda: (tmp_path / "gate.started").exists(), timeout=30)
        worker = int((tmp_path / "gate.started").read_text())
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        wait_until(lambda: not os.path.exists(f"/proc/{worker}"), timeout=10)  # died with it
    finally:
        process.kill()
    gate.touch()
    restarted = scheduler_for(settings, Clock(2026, 11, 30, 7, 5),
                              LocalHub({"officials": ["elu-rivemont"]}))
    restarted.start()
    await tick_and_wait(restarted)
    [run] = restarted.store.runs("digest")
    assert (run.status, run.attempts, run.period) == ("succeeded", 2, "2026-W48")
    assert [p.name for p in (restarted.archive.archive / "digest" / "2026-W48").iterdir()] == [
        "elu-rivemont.pdf"]
    assert len(smtp.mailbox.to("elu-rivemont@example.org")) == 1
    assert str(ROOT) in worker_environ()["PYTHONPATH"]


async def test_runs_past_the_retention_go_with_their_pdfs(tmp_path):
    settings = report_settings(tmp_path, {"digest": schedule_text("{users: [elu-rivemont]}")},
                               {"keep_days": 30})
    clock = Clock(2026, 11, 30, 7, 0)
    scheduler = scheduler_for(settings, clock)
    [run] = await scheduler.run_now(scheduler.book.get("digest"), parse_period("2026-W48", "week"))
    assert run.status == "succeeded" and run.delivery == "none" and os.path.exists(run.pdf)
    clock.advance(days=29)
    assert scheduler.prune(clock()) == 0
    clock.advance(days=2)
    assert scheduler.prune(clock()) == 1
    assert scheduler.store.runs("digest") == [] and not os.path.exists(run.pdf)
    assert not (scheduler.archive.archive / "digest").exists()  # no empty folders left
