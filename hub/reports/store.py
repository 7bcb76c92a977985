"""The reports store: schedules made through the API, runs and their history, in one SQLite
file (``<data_dir>/reports/reports.sqlite``, WAL, mode 600 in a 700 folder), or in the
PostgreSQL database every replica shares (``hub.state_db_url``, see hub/state).

A run is identified by its key (schedule, period, recipient), UNIQUE in the table: planning
the same slot twice, after a restart or by two processes, inserts nothing the second time
(``ON CONFLICT DO NOTHING``). A run's life::

    queued -> running -> succeeded            delivery: pending -> sent | failed | none
                      -> queued (retry later, attempts + 1)
                      -> failed               delivery: pending -> the owner's notice sent...

`claim` moves queued -> running only if the run is still queued (one process wins), and
records the claiming process; runs left running by a process that is gone (a killed
scheduler) go back to the queue with :meth:`requeue_abandoned`. Nothing is ever half
written: every change is one transaction. Times are stored as UTC ISO text.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psutil

from ..state import Database, open_database
from .schedules import Schedule

DATABASE = "reports.sqlite"
SCHEMA_VERSION = 1
SCHEMA = """
CREATE TABLE IF NOT EXISTS schedules (
    name TEXT PRIMARY KEY, definition TEXT NOT NULL,
    created_at {time} NOT NULL, updated_at {time} NOT NULL);
CREATE TABLE IF NOT EXISTS schedule_state (name TEXT PRIMARY KEY, watermark {time} NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    id {id},
    schedule TEXT NOT NULL, period TEXT NOT NULL, recipient TEXT NOT NULL,
    run_as TEXT NOT NULL, owner TEXT NOT NULL, audience TEXT NOT NULL, job TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0, max_attempts INTEGER NOT NULL,
    not_before {time} NOT NULL, error TEXT,
    pdf TEXT, pages INTEGER, lineage TEXT,
    delivery TEXT CHECK (delivery IN ('pending', 'sent', 'failed', 'none')),
    delivery_error TEXT, delivery_attempts INTEGER NOT NULL DEFAULT 0,
    delivery_not_before {time}, sent TEXT NOT NULL DEFAULT '[]',
    runner_pid INTEGER, runner_started DOUBLE PRECISION, worker_pid INTEGER,
    created_at {time} NOT NULL, started_at {time}, finished_at {time},
    UNIQUE (schedule, period, recipient));
CREATE INDEX IF NOT EXISTS runs_by_status ON runs (status, not_before);
CREATE INDEX IF NOT EXISTS runs_by_finish ON runs (finished_at);
"""


def utc_now() -> datetime:
    return datetime.now(UTC)


def _text(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat(timespec="seconds")


def _moment(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


@dataclass(frozen=True)
class PlannedRun:
    """A run to queue: its key, whose rights, who gets it, and what to render."""

    schedule: str
    period: str
    recipient: str  # the hub user whose rights it runs with
    run_as: str  # "recipient" or "owner"
    owner: str
    audience: tuple[str, ...]  # hub users and plain addresses it is delivered to
    job: dict = field(default_factory=dict)  # template, parameters, language, title
    max_attempts: int = 1


@dataclass(frozen=True)
class Run:
    id: int
    schedule: str
    period: str
    recipient: str
    run_as: str
    owner: str
    audience: tuple[str, ...]
    job: dict
    status: str
    attempts: int
    max_attempts: int
    not_before: datetime
    error: str | None
    pdf: str | None
    pages: int | None
    lineage: list
    delivery: str | None
    delivery_error: str | None
    delivery_attempts: int
    sent: tuple[str, ...]
    worker_pid: int | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @property
    def key(self) -> str:
        return f"{self.schedule}/{self.period}/{self.recipient}"

    def readable_by(self, user: str) -> bool:
        """Who may read this run and its PDF: the person whose rights built it, and, for a
        PDF built with the owner's rights, the hub users it was sent to."""
        return user == self.recipient or (self.run_as == "owner" and user in self.audience)

    @classmethod
    def from_row(cls, row: Mapping) -> Run:
        return cls(row["id"], row["schedule"], row["period"], row["recipient"], row["run_as"],
                   row["owner"], tuple(json.loads(row["audience"])), json.loads(row["job"]),
                   row["status"], row["attempts"], row["max_attempts"],
                   _moment(row["not_before"]), row["error"], row["pdf"], row["pages"],
                   json.loads(row["lineage"] or "[]"), row["delivery"], row["delivery_error"],
                   row["delivery_attempts"], tuple(json.loads(row["sent"])), row["worker_pid"],
                   _moment(row["created_at"]), _moment(row["started_at"]),
                   _moment(row["finished_at"]))

    def summary(self) -> dict:
        """The run as the API and `agora report history` show it (no file path)."""
        return {"id": self.id, "schedule": self.schedule, "period": self.period,
                "recipient": self.recipient, "run_as": self.run_as, "status": self.status,
                "attempts": self.attempts, "error": self.error, "pages": self.pages,
                "has_pdf": self.pdf is not None, "delivery": self.delivery,
                "delivery_error": self.delivery_error, "lineage": self.lineage,
                "created_at": _text(self.created_at), "started_at": _text(self.started_at),
                "finished_at": _text(self.finished_at)}


def process_alive(pid: int | None, started: float | None) -> bool:
    """The process that claimed a run still runs (same pid AND same start time)."""
    if not pid:
        return False
    try:
        return started is None or abs(psutil.Process(pid).create_time() - started) < 1
    except psutil.Error:
        return False


def own_process() -> tuple[int, float]:
    return os.getpid(), psutil.Process().create_time()


class ReportStore:
    """`folder`: where the SQLite file lives (made mode 700); `url`: PostgreSQL instead."""

    def __init__(self, folder: Path, url: str | None = None):
        self.folder = Path(folder)
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self.folder, 0o700)
        self.path = self.folder / DATABASE
        self.db: Database = open_database("reports", SCHEMA, self.path, url)
        if self.db.dialect == "sqlite":
            with self.db.read() as tx:
                tx.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    @classmethod
    def from_settings(cls, settings) -> ReportStore:
        return cls(settings.reports_dir, settings.hub.state_db_url)

    def close(self) -> None:
        self.db.close()

    def _write(self):
        """One write transaction (writers queue, never interleave)."""
        return self.db.write()

    def _rows(self, sql: str, *args) -> list:
        with self.db.read() as tx:
            return tx.execute(sql, args).fetchall()

    # -- schedules made through the API -------------------------------------------------------

    def save_schedule(self, schedule: Schedule, now: datetime | None = None) -> None:
        now_text = _text(now or utc_now())
        with self._write() as db:
            db.execute("INSERT INTO schedules VALUES (?, ?, ?, ?) ON CONFLICT (name) DO UPDATE "
                       "SET definition = excluded.definition, updated_at = excluded.updated_at",
                       (schedule.name, schedule.model_dump_json(), now_text, now_text))

    def schedule_definitions(self) -> list[dict]:
        return [json.loads(row["definition"])
                for row in self._rows("SELECT definition FROM schedules ORDER BY name")]

    # -- planning ------------------------------------------------------------------------------

    def watermark(self, schedule: str) -> datetime | None:
        rows = self._rows("SELECT watermark FROM schedule_state WHERE name = ?", schedule)
        return _moment(rows[0]["watermark"]) if rows else None

    def plan(self, schedule: str, watermark: datetime, runs: Iterable[PlannedRun] = (),
             now: datetime | None = None) -> list[int]:
        """Queue `runs` (those whose key exists are left alone) and move the schedule's
        watermark, in one transaction; the ids of the runs actually added."""
        added, now_text = [], _text(now or utc_now())
        with self._write() as db:
            for run in runs:
                run_id = db.insert(
                    "INSERT INTO runs (schedule, period, recipient, run_as, owner, "
                    "audience, job, status, max_attempts, not_before, created_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?) ON CONFLICT DO NOTHING",
                    (run.schedule, run.period, run.recipient, run.run_as, run.owner,
                     json.dumps(list(run.audience)), json.dumps(run.job), run.max_attempts,
                     now_text, now_text))
                if run_id is not None:
                    added.append(run_id)
            db.execute("INSERT INTO schedule_state VALUES (?, ?) ON CONFLICT (name) DO UPDATE "
                       "SET watermark = excluded.watermark", (schedule, _text(watermark)))
        return added

    def queue_again(self, run: PlannedRun, now: datetime | None = None,
                    claim: bool = False) -> Run | None:
        """Queue `run` now even if its key ran before (a run asked for by a person): a
        finished run starts afresh, attempts and delivery reset; a running one is left
        alone (None). `claim`: also take it for this process, in the same transaction, so
        that no scheduler picks it in between."""
        now_text = _text(now or utc_now())
        key = (run.schedule, run.period, run.recipient)
        with self._write() as db:
            db.execute(
                "INSERT INTO runs (schedule, period, recipient, run_as, owner, audience, job, "
                "status, max_attempts, not_before, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?) "
                "ON CONFLICT (schedule, period, recipient) DO UPDATE SET status = 'queued', "
                "attempts = 0, error = NULL, not_before = excluded.not_before, delivery = NULL, "
                "delivery_error = NULL, delivery_attempts = 0, delivery_not_before = NULL, "
                "sent = '[]', "
                "audience = excluded.audience, job = excluded.job, run_as = excluded.run_as, "
                "max_attempts = excluded.max_attempts, finished_at = NULL "
                "WHERE runs.status != 'running'",
                (*key, run.run_as, run.owner, json.dumps(list(run.audience)),
                 json.dumps(run.job), run.max_attempts, now_text, now_text))
            row = db.execute("SELECT * FROM runs WHERE schedule = ? AND period = ? "
                             "AND recipient = ?", key).fetchone()
            if row["status"] != "queued":
                return None
            if claim:
                self._claim(db, row["id"], now_text)
                row = db.execute("SELECT * FROM runs WHERE id = ?", (row["id"],)).fetchone()
        return Run.from_row(row)

    # -- execution -----------------------------------------------------------------------------

    def due(self, now: datetime, limit: int) -> list[Run]:
        rows = self._rows("SELECT * FROM runs WHERE status = 'queued' AND not_before <= ? "
                          "ORDER BY not_before, id LIMIT ?", _text(now), limit)
        return [Run.from_row(row) for row in rows]

    def claim(self, run_id: int, now: datetime | None = None) -> Run | None:
        """queued -> running for this process, attempts + 1; None if another took it."""
        with self._write() as db:
            taken = self._claim(db, run_id, _text(now or utc_now()))
            row = db.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
        return Run.from_row(row) if taken else None

    @staticmethod
    def _claim(db, run_id: int, now_text: str) -> bool:
        pid, started = own_process()
        return db.execute(
            "UPDATE runs SET status = 'running', attempts = attempts + 1, runner_pid = ?, "
            "runner_started = ?, worker_pid = NULL, started_at = ? "
            "WHERE id = ? AND status = 'queued'", (pid, started, now_text, run_id)).rowcount > 0

    def set_worker(self, run_id: int, pid: int | None) -> None:
        with self._write() as db:
            db.execute("UPDATE runs SET worker_pid = ? WHERE id = ?", (pid, run_id))

    def succeeded(self, run_id: int, pdf: str | Path, pages: int | None, lineage: list,
                  now: datetime | None = None) -> None:
        with self._write() as db:
            db.execute("UPDATE runs SET status = 'succeeded', error = NULL, pdf = ?, pages = ?, "
                       "lineage = ?, finished_at = ?, worker_pid = NULL, delivery = 'pending', "
                       "delivery_not_before = NULL WHERE id = ?",
                       (str(pdf), pages, json.dumps(lineage, default=str),
                        _text(now or utc_now()), run_id))

    def retry_later(self, run_id: int, error: str, not_before: datetime) -> None:
        with self._write() as db:
            db.execute("UPDATE runs SET status = 'queued', error = ?, not_before = ?, "
                       "worker_pid = NULL WHERE id = ?", (error, _text(not_before), run_id))

    def failed(self, run_id: int, error: str, now: datetime | None = None) -> None:
        with self._write() as db:
            db.execute("UPDATE runs SET status = 'failed', error = ?, finished_at = ?, "
                       "worker_pid = NULL, delivery = 'pending', delivery_not_before = NULL "
                       "WHERE id = ?",
                       (error, _text(now or utc_now()), run_id))

    def requeue_abandoned(self, alive: Callable[[int | None, float | None], bool] = process_alive,
                          now: datetime | None = None) -> list[int]:
        """Runs left `running` by a process that is gone go back to the queue (their attempt
        counts: a run that kills its scheduler every time ends as failed)."""
        rows = self._rows("SELECT id, runner_pid, runner_started FROM runs "
                          "WHERE status = 'running'")
        gone = [row["id"] for row in rows if not alive(row["runner_pid"], row["runner_started"])]
        with self._write() as db:
            for run_id in gone:
                db.execute("UPDATE runs SET status = 'queued', not_before = ?, worker_pid = NULL, "
                           "error = 'interrupted: the scheduler stopped during the run' "
                           "WHERE id = ? AND status = 'running'", (_text(now or utc_now()), run_id))
        return gone

    # -- delivery ------------------------------------------------------------------------------

    def to_deliver(self, now: datetime) -> list[Run]:
        rows = self._rows("SELECT * FROM runs WHERE delivery = 'pending' AND "
                          "(delivery_not_before IS NULL OR delivery_not_before <= ?) ORDER BY id",
                          _text(now))
        return [Run.from_row(row) for row in rows]

    def claim_delivery(self, run_id: int, now: datetime, lease: timedelta) -> bool:
        """Take the sending of a pending run's e-mails for this process until `now + lease`
        (False: another process holds it, or it is not due). The lease ends by itself, so a
        process that died while sending leaves the run to be delivered again later."""
        now_text = _text(now)
        with self._write() as db:
            return db.execute(
                "UPDATE runs SET delivery_not_before = ? WHERE id = ? AND delivery = 'pending' "
                "AND (delivery_not_before IS NULL OR delivery_not_before <= ?)",
                (_text(now + lease), run_id, now_text)).rowcount > 0

    def release_delivery(self, run_id: int) -> None:
        """Give a claimed delivery back at once (the sender stopped before the end)."""
        with self._write() as db:
            db.execute("UPDATE runs SET delivery_not_before = NULL WHERE id = ? "
                       "AND delivery = 'pending'", (run_id,))

    def delivery_done(self, run_id: int, outcome: str, sent: Iterable[str],
                      error: str | None = None) -> None:
        """outcome: sent, failed (given up) or none (nothing to send: no SMTP, no address)."""
        with self._write() as db:
            db.execute("UPDATE runs SET delivery = ?, sent = ?, delivery_error = ?, "
                       "delivery_not_before = NULL, delivery_attempts = delivery_attempts + 1 "
                       "WHERE id = ?",
                       (outcome, json.dumps(sorted(set(sent))), error, run_id))

    def delivery_later(self, run_id: int, sent: Iterable[str], error: str,
                       not_before: datetime) -> None:
        with self._write() as db:
            db.execute("UPDATE runs SET sent = ?, delivery_error = ?, delivery_not_before = ?, "
                       "delivery_attempts = delivery_attempts + 1 WHERE id = ?",
                       (json.dumps(sorted(set(sent))), error, _text(not_before), run_id))

    # -- history and retention -----------------------------------------------------------------

    def run(self, run_id: int) -> Run | None:
        rows = self._rows("SELECT * FROM runs WHERE id = ?", run_id)
        return Run.from_row(rows[0]) if rows else None

    def runs(self, schedule: str | None = None, limit: int = 200) -> list[Run]:
        """The latest runs first (of one schedule, or of all)."""
        where, args = ("WHERE schedule = ?", (schedule,)) if schedule else ("", ())
        rows = self._rows(f"SELECT * FROM runs {where} ORDER BY created_at DESC, id DESC "
                          "LIMIT ?", *args, limit)
        return [Run.from_row(row) for row in rows]

    def prune(self, before: datetime) -> list[Run]:
        """Forget runs finished before `before`; returns them (their PDFs are the caller's to
        remove: the archive knows its files, the store only their paths)."""
        rows = self._rows("SELECT * FROM runs WHERE finished_at IS NOT NULL AND finished_at < ? "
                          "AND (delivery IS NULL OR delivery != 'pending')", _text(before))
        with self._write() as db:
            db.executemany("DELETE FROM runs WHERE id = ?", [(row["id"],) for row in rows])
        return [Run.from_row(row) for row in rows]
