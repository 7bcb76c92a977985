"""Report runs on a Dask cluster (setting ``batch.dask_scheduler``): one task per run.

:class:`DaskExecutor` is the :class:`~hub.reports.executor.Executor` with its middle step
moved to a worker. The scheduler still checks the template, leases the run-as user's token
and archives the PDF (one rename, after success only). The task carries the job, the
template's text and the run's facts (executor.run_facts: the token, the datasets URL, the
language, the run's names), nothing of the scheduler's environment; on the worker it starts
the same ``python -m hub.reports.worker`` in a private temporary folder with those facts plus
the worker's own PATH, HOME... (executor.run_environment), stops it at the run's timeout, and
returns its exit status, its events and the PDF's bytes. Progress lines come back as Dask
events (a topic per run). A task the cluster loses (a worker killed, a module missing there)
and an unreachable Dask scheduler are failures retried like any other.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import uuid
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

from ..pipeline.dask_batch import DaskUnavailable, connect, located
from ..pipeline.execute import one_line
from .executor import Executor, Outcome, Progress, relay, run_environment, run_worker
from .store import Run

RESULT_SECONDS = 60  # beyond the run's timeout: the worker's own stop, the PDF's transfer


def render_on_worker(job: dict, template_name: str, template_text: str, facts: dict,
                     timeout: float, topic: str) -> dict:
    """What runs on a Dask worker: one report process, its status, events and PDF bytes."""
    from distributed import get_worker

    worker = get_worker()
    with tempfile.TemporaryDirectory(prefix="agora-report-") as folder:
        staging = Path(folder)
        template = staging / "template" / template_name
        template.parent.mkdir()
        template.write_text(template_text, encoding="utf-8")
        pdf = staging / "report.pdf"
        code, events = asyncio.run(run_worker(
            {**job, "template": str(template), "out_pdf": str(pdf)}, staging,
            run_environment(os.environ, facts), timeout,
            lambda message: worker.log_event(topic, message), lambda pid: None))
        return {"code": code, "events": events,
                "pdf": pdf.read_bytes() if code == 0 and pdf.is_file() else None}


@dataclass
class DaskExecutor(Executor):
    scheduler_address: str = ""  # batch.dask_scheduler
    _client: object = field(default=None, init=False, repr=False)
    _connecting: asyncio.Lock = field(default_factory=asyncio.Lock, init=False, repr=False)

    async def client(self):
        """The one client of this executor, connected on first use (dask_batch.connect)."""
        async with self._connecting:
            if self._client is None:
                self._client = await asyncio.to_thread(connect, self.scheduler_address)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    async def _render(self, run: Run, template: Path, staging: Path, facts: dict,
                      progress: Progress | None) -> Outcome:
        try:
            client = await self.client()
        except DaskUnavailable as exc:
            return Outcome(False, str(exc))
        topic = f"agora-report-{run.id}-{uuid.uuid4().hex[:8]}"
        task = partial(render_on_worker, self.job_for(run, template, staging), template.name,
                       template.read_text(encoding="utf-8"), facts, self.run_timeout, topic)
        loop, say = asyncio.get_running_loop(), relay(run, progress)
        client.subscribe_topic(topic, lambda event: loop.call_soon_threadsafe(say, event[1]))
        try:
            value, ran_on = await self._result(client.submit(located, task, pure=False,
                                                             key=topic))
        except TimeoutError:
            return self._outcome(run, None, {}, staging)
        except Exception as exc:  # the cluster lost the task, or could not run it
            return Outcome(False, f"the Dask task failed: {type(exc).__name__}: "
                           f"{one_line(exc)}")
        finally:
            client.unsubscribe_topic(topic)
        if value["pdf"] is not None:
            (staging / "report.pdf").write_bytes(value["pdf"])
        return replace(self._outcome(run, value["code"], value["events"], staging),
                       ran_on=ran_on)

    async def _result(self, future):
        """The task's value, awaited without holding a thread; cancelled if we stop waiting
        (the worker stops its report process at the run's own timeout)."""
        loop = asyncio.get_running_loop()
        done = loop.create_future()

        def finished(_) -> None:
            if not loop.is_closed():  # the scheduler stopped meanwhile: nobody waits
                loop.call_soon_threadsafe(lambda: done.done() or done.set_result(None))
        future.add_done_callback(finished)
        try:
            await asyncio.wait_for(done, self.run_timeout + RESULT_SECONDS)
        finally:
            if not future.done():
                future.cancel()
        return await asyncio.to_thread(future.result)
