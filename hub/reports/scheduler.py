"""The reports loop: plan what is due, run it within the cap, retry, deliver, prune.

At each tick (``reports.poll_seconds``):

1. **plan** (planning.py): for each enabled schedule, the latest slot since its watermark
   becomes runs (one per recipient, or one as the owner), group members read from the hub;
2. **deliver** what finished and was not delivered yet (a PDF to its audience, or a failure
   notice to the owner), one address at a time, remembering who got it, never while the
   run's own task is still sending;
3. **dispatch** queued runs whose time has come, at most ``max_parallel`` at once (default:
   one per core), each claimed in the store first so no two processes run it; a run that
   ends hands its slot to the next due run at once;
4. once an hour, **prune** runs and PDFs older than ``reports.keep_days``.

A failed attempt is queued again after ``retry_backoff_seconds`` x 2^(attempt - 1), up to
``retries`` more times, unless retrying cannot help (no template, the hub refuses to let the
scheduler act as that user). At start, runs left running by a dead process are requeued and
stale staging folders removed. :meth:`ReportScheduler.run_now` is `agora report run`.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from .book import ScheduleBook
from .contacts import ContactBook
from .executor import Archive, Executor, Outcome, Progress
from .mail import Delivery, DeliveryError, failure_notice, report_message
from .period import Period
from .planning import due_slot, planned_runs, runs_for_period
from .schedules import Schedule
from .store import PlannedRun, ReportStore, Run, utc_now
from .tokens import HubError

log = logging.getLogger("agora.reports")
DELIVERY_ATTEMPTS = 5
DELIVERY_LEASE = timedelta(minutes=30)  # a run's e-mails are sent by one process at a time
PRUNE_EVERY = timedelta(hours=1)


@dataclass(frozen=True)
class Rules:
    """The settings the loop follows (reports.*)."""

    catch_up: bool = True
    max_parallel: int = 0  # 0: one per core
    retries: int = 2
    backoff_seconds: int = 60
    keep_days: int = 400
    poll_seconds: float = 30

    @classmethod
    def from_settings(cls, r) -> Rules:
        return cls(r.catch_up, r.max_parallel, r.retries, r.retry_backoff_seconds, r.keep_days,
                   r.poll_seconds)

    @property
    def cap(self) -> int:
        return self.max_parallel or os.cpu_count() or 1

    @property
    def max_attempts(self) -> int:
        return self.retries + 1

    def retry_delay(self, attempts: int) -> timedelta:
        return timedelta(seconds=self.backoff_seconds * 2 ** max(attempts - 1, 0))


def log_progress(run: Run, message: str) -> None:
    log.info("report %s: %s", run.key, message)


class ReportScheduler:
    def __init__(self, *, store: ReportStore, book: ScheduleBook, archive: Archive,
                 executor: Executor, hub, delivery: Delivery, contacts: ContactBook,
                 rules: Rules = Rules(), clock: Callable[[], datetime] = utc_now,
                 progress: Progress = log_progress, alerts=None):
        self.store, self.book, self.archive, self.executor = store, book, archive, executor
        self.hub, self.delivery, self.contacts = hub, delivery, contacts
        self.rules, self.clock, self.progress = rules, clock, progress
        self.alerts = alerts  # hub/alerts' AlertDelivery: notices told at each tick
        self.active: dict[int, asyncio.Task] = {}
        self._pruned_at: datetime | None = None

    # -- start and loop ------------------------------------------------------------------------

    def start(self) -> None:
        requeued = self.store.requeue_abandoned(now=self.clock())
        if requeued:
            log.warning("%d report run(s) interrupted by a stop were queued again: %s",
                        len(requeued), requeued)
        running = {run.id for run in self.store.runs(limit=10_000) if run.status == "running"}
        if not running:
            self.archive.clear_staging()

    async def tick(self) -> None:
        now = self.clock()
        await self.plan(now)
        await self.deliver(now)
        if self.alerts is not None:
            await self.alerts.deliver()
        self.dispatch(now)
        if self._pruned_at is None or now - self._pruned_at >= PRUNE_EVERY:
            self.prune(now)

    async def run_forever(self, stop: asyncio.Event) -> None:
        self.start()
        try:
            while not stop.is_set():
                try:
                    await self.tick()
                except Exception:  # one bad tick (a full disk...) must not end the service
                    log.exception("report scheduler tick failed")
                try:
                    await asyncio.wait_for(stop.wait(), self.rules.poll_seconds)
                except TimeoutError:
                    pass
        finally:
            await self.stop_runs()
            self.executor.close()

    async def stop_runs(self) -> None:
        """Cancel the runs in progress (their workers are killed; they are queued again)."""
        for task in self.active.values():
            task.cancel()
        await asyncio.gather(*self.active.values(), return_exceptions=True)

    async def wait(self) -> None:
        """Until every run started so far has finished (tests, `agora report run`)."""
        while self.active:
            await asyncio.gather(*list(self.active.values()), return_exceptions=True)

    # -- planning ------------------------------------------------------------------------------

    async def members(self, schedule: Schedule) -> dict[str, list[str]]:
        return {group: await self.hub.members(group) for group in schedule.recipients.groups}

    async def plan(self, now: datetime) -> None:
        for schedule in self.book.all().values():
            try:
                await self.plan_schedule(schedule, now)
            except HubError as exc:  # the watermark stays: planned again at the next tick
                log.warning("schedule %s: cannot read its recipient groups yet: %s",
                            schedule.name, exc)

    async def plan_schedule(self, schedule: Schedule, now: datetime) -> list[int]:
        watermark = self.store.watermark(schedule.name)
        slot = None
        if watermark is not None and schedule.enabled:
            slot = due_slot(schedule, watermark, now, self.rules.catch_up)
        runs = [] if slot is None else planned_runs(schedule, slot, await self.members(schedule),
                                                    self.rules.max_attempts)
        added = self.store.plan(schedule.name, now, runs, now)
        if added:
            log.info("schedule %s: %d run(s) queued for the slot of %s", schedule.name,
                     len(added), slot.isoformat())
        return added

    # -- running -------------------------------------------------------------------------------

    def dispatch(self, now: datetime) -> list[int]:
        free = self.rules.cap - len(self.active)
        started = []
        for run in self.store.due(now, free) if free > 0 else []:
            claimed = self.store.claim(run.id, now)
            if claimed is not None:
                self.active[claimed.id] = asyncio.create_task(self._run_then_next(claimed))
                started.append(claimed.id)
        return started

    async def _run_then_next(self, run: Run) -> Run:
        finished = await self._run(run)
        self.dispatch(self.clock())  # its slot is free: the next due run need not wait a tick
        return finished

    def language_of(self, run: Run) -> str:
        return self.contacts.contact(run.recipient, run.job.get("language")).language

    async def _run(self, run: Run) -> Run:
        try:
            outcome = await self.executor.execute(run, self.language_of(run), self.progress)
        except asyncio.CancelledError:
            self.store.retry_later(run.id, "interrupted: the scheduler stopped during the run",
                                   self.clock())
            raise
        except Exception as exc:  # a bug of ours: recorded, not fatal to the loop
            log.exception("report run %s failed unexpectedly", run.key)
            outcome = Outcome(False, f"unexpected error in the scheduler ({type(exc).__name__})")
        finally:
            self.active.pop(run.id, None)
        self.record(run, outcome)
        finished = self.store.run(run.id)
        if finished.delivery == "pending":
            await self.deliver_run(finished)
        return self.store.run(run.id)

    def record(self, run: Run, outcome: Outcome) -> None:
        now = self.clock()
        if outcome.ok:
            self.store.succeeded(run.id, outcome.pdf, outcome.pages, outcome.lineage, now)
            log.info("report %s: done, %s page(s)%s", run.key, outcome.pages,
                     f" on {outcome.ran_on}" if outcome.ran_on else "")
        elif outcome.permanent or run.attempts >= run.max_attempts:
            self.store.failed(run.id, outcome.error, now)
            log.error("report %s failed after %d attempt(s): %s", run.key, run.attempts,
                      outcome.error)
        else:
            later = now + self.rules.retry_delay(run.attempts)
            self.store.retry_later(run.id, outcome.error, later)
            log.warning("report %s: attempt %d failed (%s); retried at %s", run.key,
                        run.attempts, outcome.error, later.isoformat(timespec="seconds"))

    # -- delivery ------------------------------------------------------------------------------

    async def deliver(self, now: datetime) -> None:
        for run in self.store.to_deliver(now):
            if run.id not in self.active:
                await self.deliver_run(run)

    def messages(self, run: Run):
        """(target, message builder) pairs: the PDF to each of the audience, or the failure
        notice to the owner."""
        sender = self.delivery.sender
        if run.status == "failed":
            return [(run.owner, lambda c: failure_notice(sender, c.email, c.language, run))]
        owner = run.owner if run.run_as == "owner" else None
        name, pdf = f"{run.schedule}-{run.period}.pdf", self.archive.read(run.pdf)
        return [(target, lambda c: report_message(sender, c.email, c.language, run.job, owner,
                                                   pdf, name)) for target in run.audience]

    async def deliver_run(self, run: Run) -> None:
        """Send `run`'s e-mails once, whichever process finds it pending first: the scheduler
        service, another replica, or `agora report run` (a claim in the shared store)."""
        if not self.store.claim_delivery(run.id, self.clock(), DELIVERY_LEASE):
            return
        try:
            await self._deliver_run(run)
        except BaseException:
            self.store.release_delivery(run.id)
            raise

    async def _deliver_run(self, run: Run) -> None:
        if not self.delivery.enabled:
            self.store.delivery_done(run.id, "none", [], "e-mail is off (reports.smtp.host)")
            return
        sent, problems, retry = set(run.sent), [], False
        for target, build in self.messages(run):
            contact = self.contacts.contact(target, run.job.get("language"))
            if target in sent:
                continue
            if not contact.email:
                problems.append(f"{target} has no e-mail address")
                continue
            try:
                await asyncio.to_thread(self.delivery.send, build(contact))
                sent.add(target)
            except DeliveryError as exc:
                problems.append(str(exc))
                retry = True
        self.finish_delivery(run, sent, problems, retry)

    def finish_delivery(self, run: Run, sent: set, problems: list[str], retry: bool) -> None:
        error = "; ".join(problems) or None
        if retry and run.delivery_attempts + 1 < DELIVERY_ATTEMPTS:
            later = self.clock() + self.rules.retry_delay(run.delivery_attempts + 1)
            self.store.delivery_later(run.id, sent, error, later)
            log.warning("report %s: delivery retried at %s: %s", run.key, later, error)
            return
        outcome = "failed" if problems and not sent else ("sent" if sent else "none")
        self.store.delivery_done(run.id, outcome, sent, error)
        if problems:
            log.warning("report %s: delivery %s: %s", run.key, outcome, error)

    # -- retention -----------------------------------------------------------------------------

    def prune(self, now: datetime) -> int:
        self._pruned_at = now
        gone = self.store.prune(now - timedelta(days=self.rules.keep_days))
        for run in gone:
            self.archive.remove(run.pdf)
        if gone:
            log.info("%d report run(s) older than %d days removed with their PDFs", len(gone),
                     self.rules.keep_days)
        return len(gone)

    # -- now, for a person ---------------------------------------------------------------------

    async def run_now(self, schedule: Schedule, period: Period) -> list[Run]:
        """Run `schedule` for `period` at once, in this process, whatever ran before for
        that period (a person asked); returns the finished runs."""
        planned = runs_for_period(schedule, period, await self.members(schedule),
                                  self.rules.max_attempts)
        claimed = [run for run in (self.queue_again(p, claim=True) for p in planned) if run]
        limit = asyncio.Semaphore(self.rules.cap)

        async def one(run: Run) -> Run:
            async with limit:
                return await self.run_until_done(run)
        return list(await asyncio.gather(*(one(run) for run in claimed)))

    def queue_again(self, run: PlannedRun, claim: bool = False) -> Run | None:
        queued = self.store.queue_again(run, self.clock(), claim)
        if queued is None:
            log.warning("report %s/%s/%s is running already", run.schedule, run.period,
                        run.recipient)
        return queued

    async def run_until_done(self, run: Run) -> Run:
        """Attempts of one claimed run, waiting out the backoff, until it succeeds or fails."""
        while True:
            self.active[run.id] = task = asyncio.create_task(self._run(run))
            finished = await task
            if finished.status != "queued":
                return finished
            await asyncio.sleep(max(0.0, (finished.not_before - self.clock()).total_seconds()))
            run = self.store.claim(run.id, self.clock())
            if run is None:  # another process took the retry: wait for its end
                return await self.outcome_of(finished.id)

    async def outcome_of(self, run_id: int) -> Run:
        while (run := self.store.run(run_id)).status not in ("succeeded", "failed"):
            await asyncio.sleep(1)
        return run
