"""Report runs on a Dask LocalCluster (two worker processes) with the test renderer and the
hub stood in by LocalHub: the same PDFs as the local executor, made on the workers, with the
run's environment only; failures, timeouts and lost workers handled as locally
(tests/integration/test_reports_hub.py reads real rows through a real hub on Dask)."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import signal

import dask
import psutil
import pytest

from hub.pipeline import dask_batch
from hub.reports.dask_executor import DaskExecutor
from hub.reports.period import parse_period
from hub.reports.service import build_scheduler
from tests.reports_support import (
    WORKER_ENV,
    LocalHub,
    async_wait_until,
    pdf_text,
    report_settings,
    worker_environ,
)
from tests.unit.reports.test_execution import GROUPS, Clock, schedule_text

distributed = pytest.importorskip("distributed")
WEEK = parse_period("2026-W48", "week")
SECRETS = ("JUPYTERHUB_API_TOKEN", "AGORA_PSEUDONYM_KEY", "scheduler-secret", "pseudonym-secret")


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None, env=WORKER_ENV) as local:
        yield local


def scheduler_in(folder, schedules: dict, address: str = "", reports: dict | None = None):
    settings = report_settings(folder, schedules, {"retries": 0, **(reports or {})},
                               dask_scheduler=address)
    return build_scheduler(settings, LocalHub(GROUPS), worker_environ(),
                           Clock(2026, 11, 30, 7, 0))


async def run_now(scheduler, name: str = "digest"):
    try:
        return {run.recipient: run for run in
                await scheduler.run_now(scheduler.book.get(name), WEEK)}
    finally:
        scheduler.executor.close()


async def test_a_batch_on_dask_gives_the_local_pdfs_made_on_the_workers(tmp_path, cluster,
                                                                        caplog):
    schedules = {"digest": schedule_text("{groups: [officials, partners]}")}
    local = await run_now(scheduler_in(tmp_path / "local", schedules))
    on_dask = scheduler_in(tmp_path / "dask", schedules, cluster.scheduler_address)
    assert isinstance(on_dask.executor, DaskExecutor)
    with caplog.at_level(logging.INFO, "agora.reports"):
        remote = await run_now(on_dask)
    assert sorted(remote) == sorted(local) == ["elu-bellecombe", "elu-rivemont", "partner"]
    for recipient, run in remote.items():
        assert run.status == local[recipient].status == "succeeded"
        text = pdf_text(run.pdf)
        assert text == pdf_text(local[recipient].pdf)
        assert f"report 2026-W48 for {recipient}" in text and "env AGORA_TOKEN" in text
        assert not [secret for secret in SECRETS if secret in text]
        assert (run.pages, run.lineage) == (local[recipient].pages, local[recipient].lineage)
        assert run.pdf.endswith(f"dask/data/reports/archive/digest/2026-W48/{recipient}.pdf")
    workers = set(cluster.scheduler_info["workers"])
    ran_on = re.findall(r"done, 1 page\(s\) on (\S+) pid (\d+)", caplog.text)
    assert len(ran_on) == 3
    assert all(address in workers and int(pid) != os.getpid() for address, pid in ran_on)
    assert not list(on_dask.archive.staging.glob("*"))


async def test_a_failing_report_fails_alone(tmp_path, cluster):
    scheduler = scheduler_in(tmp_path, {
        "digest": schedule_text("{users: [elu-rivemont, partner]}"),
        "broken": schedule_text("{users: [elu-rivemont]}", "{fail: 'la source est vide'}"),
        "buggy": schedule_text("{users: [partner]}", "{crash: true}")},
        cluster.scheduler_address)
    try:
        runs = await asyncio.gather(*(scheduler.run_now(scheduler.book.get(name), WEEK)
                                      for name in ("digest", "broken", "buggy")))
    finally:
        scheduler.executor.close()
    good, [broken], [buggy] = runs
    assert [run.status for run in good] == ["succeeded", "succeeded"]
    assert (broken.status, broken.error, broken.pdf) == ("failed", "la source est vide", None)
    assert buggy.status == "failed" and "crashed (details in the scheduler's log" in buggy.error
    assert sorted(p.name for p in scheduler.archive.archive.rglob("*.pdf")) == [
        "elu-rivemont.pdf", "partner.pdf"]


async def test_a_run_past_its_timeout_on_a_worker_is_stopped(tmp_path, cluster):
    scheduler = scheduler_in(tmp_path, {"digest": schedule_text(
        "{users: [elu-rivemont]}", "{sleep: 30}")}, cluster.scheduler_address)
    scheduler.executor.run_timeout = 1
    [run] = (await run_now(scheduler)).values()
    assert run.status == "failed" and "took longer than 1 s" in run.error and run.pdf is None


async def test_progress_comes_back_from_the_worker(tmp_path, cluster):
    scheduler = scheduler_in(tmp_path, {"digest": schedule_text("{users: [partner]}")},
                             cluster.scheduler_address)
    said = []
    scheduler.progress = lambda run, message: said.append((run.recipient, message))
    await run_now(scheduler)
    await async_wait_until(lambda: ("partner", "pdf written") in said, timeout=10)
    assert ("partner", "template digest.ipynb") in said


async def test_a_lost_worker_is_a_failure_retried_like_any_other(tmp_path, caplog):
    gate, started = tmp_path / "gate", tmp_path / "gate.started"
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}), \
            distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                     dashboard_address=None, env=WORKER_ENV) as cluster:
        scheduler = scheduler_in(tmp_path, {"digest": schedule_text(
            "{users: [elu-rivemont]}", f"{{gate: '{gate}'}}")}, cluster.scheduler_address,
            {"retries": 1})
        running = asyncio.ensure_future(run_now(scheduler))
        await async_wait_until(started.exists, timeout=60)
        report = int(started.read_text())
        dask_worker = psutil.Process(report).ppid()
        started.unlink()
        os.kill(dask_worker, signal.SIGKILL)
        await async_wait_until(started.exists, timeout=60)  # the second attempt's
        gate.touch()
        [run] = (await running).values()
    assert (run.status, run.attempts) == ("succeeded", 2)
    assert "attempt 1 failed (the Dask task failed: KilledWorker" in caplog.text
    assert pdf_text(run.pdf).startswith("report 2026-W48 for elu-rivemont")
    assert not psutil.pid_exists(report)  # the report process died with its worker


async def test_an_unreachable_dask_scheduler_is_a_failure_naming_the_setting(tmp_path,
                                                                             monkeypatch):
    monkeypatch.setattr(dask_batch, "CONNECT_TIMEOUT", "0.5s")
    scheduler = scheduler_in(tmp_path, {"digest": schedule_text("{users: [partner]}")},
                             "tcp://127.0.0.1:9")
    [run] = (await run_now(scheduler)).values()
    assert run.status == "failed" and run.attempts == 1
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9 (batch.dask_scheduler)" \
        in run.error
