"""Alert episodes and the notices owed for them, in SQLite (``<data_dir>/alerts/alerts.sqlite``).

An **episode** is one `per` value of one rule being in alert: opened at the first refresh
that finds it, closed at the first refresh that no longer does; while it stays open, later
refreshes change nothing, so recipients hear of it once. A value that clears and returns
opens a new episode. Opening (and closing) an episode records a **notice** per rule
(UNIQUE per episode and kind): delivery (delivery.py) takes them, tells each recipient who
may read that row, and marks them sent, so a crash between two steps never tells anyone
twice.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS episodes (
    id INTEGER PRIMARY KEY,
    dataset TEXT NOT NULL, rule TEXT NOT NULL, key TEXT NOT NULL,
    opened_at TEXT NOT NULL, opened_version TEXT, row TEXT NOT NULL, title TEXT NOT NULL,
    closed_at TEXT, closed_version TEXT);
CREATE UNIQUE INDEX IF NOT EXISTS one_open_episode
    ON episodes (dataset, rule, key) WHERE closed_at IS NULL;
CREATE TABLE IF NOT EXISTS notices (
    id INTEGER PRIMARY KEY,
    episode INTEGER NOT NULL REFERENCES episodes (id), kind TEXT NOT NULL,
    created_at TEXT NOT NULL, delivered_at TEXT,
    UNIQUE (episode, kind));
CREATE TABLE IF NOT EXISTS deliveries (
    notice INTEGER NOT NULL REFERENCES notices (id), recipient TEXT NOT NULL,
    outcome TEXT NOT NULL, at TEXT NOT NULL,
    UNIQUE (notice, recipient));
"""


@dataclass(frozen=True)
class Episode:
    id: int
    dataset: str
    rule: str
    key: str
    opened_at: str
    opened_version: str | None
    row: dict
    title: dict  # {"fr": ..., "en": ...}, filled from the row when it opened
    closed_at: str | None = None
    closed_version: str | None = None


@dataclass(frozen=True)
class Changes:
    opened: list[Episode]
    closed: list[Episode]


class EpisodeStore:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with self.connect() as db:
            db.executescript(SCHEMA)

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> EpisodeStore:
        return cls(Path(data_dir) / "alerts" / "alerts.sqlite")

    @contextmanager
    def connect(self):
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA journal_mode=WAL")
        try:
            yield db
        finally:
            db.close()

    def update(self, dataset: str, rule: str, active: dict[str, tuple[dict, dict]],
               version: str | None, now: str) -> Changes:
        """Open an episode for each newly active key ({key: (row, {fr, en} title)}), close
        those no longer active (one transaction, with their notices)."""
        with self.connect() as db:
            db.execute("BEGIN IMMEDIATE")
            open_now = {e.key: e for e in self._open(db, dataset, rule)}
            opened = [self._open_one(db, dataset, rule, key, *found, version, now)
                      for key, found in active.items() if key not in open_now]
            closed = [self._close(db, e, version, now)
                      for key, e in open_now.items() if key not in active]
            db.execute("COMMIT")
        return Changes(opened, closed)

    def _open(self, db, dataset: str, rule: str) -> list[Episode]:
        rows = db.execute("SELECT * FROM episodes WHERE dataset = ? AND rule = ? AND "
                          "closed_at IS NULL ORDER BY id", (dataset, rule))
        return [episode(r) for r in rows]

    def _open_one(self, db, dataset, rule, key, row, title, version, now) -> Episode:
        row = json.loads(json.dumps(row, default=str))
        cursor = db.execute("INSERT INTO episodes (dataset, rule, key, opened_at, "
                            "opened_version, row, title) VALUES (?, ?, ?, ?, ?, ?, ?)",
                            (dataset, rule, key, now, version, json.dumps(row),
                             json.dumps(title)))
        db.execute("INSERT INTO notices (episode, kind, created_at) VALUES (?, 'opened', ?)",
                   (cursor.lastrowid, now))
        return Episode(cursor.lastrowid, dataset, rule, key, now, version, row, title)

    def _close(self, db, e: Episode, version, now) -> Episode:
        db.execute("UPDATE episodes SET closed_at = ?, closed_version = ? WHERE id = ?",
                   (now, version, e.id))
        db.execute("INSERT INTO notices (episode, kind, created_at) VALUES (?, 'closed', ?)",
                   (e.id, now))
        return Episode(e.id, e.dataset, e.rule, e.key, e.opened_at, e.opened_version, e.row,
                       e.title, now, version)

    # -- reading ---------------------------------------------------------------------------

    def open_episodes(self, dataset: str | None = None) -> list[Episode]:
        with self.connect() as db:
            rows = db.execute("SELECT * FROM episodes WHERE closed_at IS NULL AND "
                              "(? IS NULL OR dataset = ?) ORDER BY opened_at DESC, id DESC",
                              (dataset, dataset))
            return [episode(r) for r in rows]

    def episodes(self, dataset: str, rule: str) -> list[Episode]:
        with self.connect() as db:
            rows = db.execute("SELECT * FROM episodes WHERE dataset = ? AND rule = ? "
                              "ORDER BY id", (dataset, rule))
            return [episode(r) for r in rows]

    def undelivered(self) -> list[tuple[int, str, Episode]]:
        """(notice id, kind, episode) of notices not yet delivered, oldest first."""
        with self.connect() as db:
            rows = db.execute("SELECT n.id AS notice, n.kind, e.* FROM notices n JOIN "
                              "episodes e ON e.id = n.episode WHERE n.delivered_at IS NULL "
                              "ORDER BY n.id").fetchall()
            return [(r["notice"], r["kind"], episode(r)) for r in rows]

    def delivered_to(self, notice: int) -> set[str]:
        with self.connect() as db:
            return {r[0] for r in db.execute("SELECT recipient FROM deliveries WHERE "
                                             "notice = ?", (notice,))}

    def record_delivery(self, notice: int, recipient: str, outcome: str, now: str) -> bool:
        """Record that `recipient` was dealt with for `notice`; False if already recorded."""
        with self.connect() as db:
            cursor = db.execute("INSERT OR IGNORE INTO deliveries (notice, recipient, outcome, "
                                "at) VALUES (?, ?, ?, ?)", (notice, recipient, outcome, now))
            return cursor.rowcount == 1

    def mark_delivered(self, notice: int, now: str) -> None:
        with self.connect() as db:
            db.execute("UPDATE notices SET delivered_at = ? WHERE id = ?", (now, notice))

    def notices_for(self, recipient: str, limit: int = 50) -> list[tuple[str, Episode]]:
        """(kind, episode) of what `recipient` was told, newest first (the portal's list)."""
        with self.connect() as db:
            rows = db.execute("SELECT n.kind, e.* FROM deliveries d JOIN notices n ON n.id = "
                              "d.notice JOIN episodes e ON e.id = n.episode WHERE "
                              "d.recipient = ? AND d.outcome = 'told' ORDER BY n.id DESC "
                              "LIMIT ?", (recipient, limit)).fetchall()
            return [(r["kind"], episode(r)) for r in rows]


def episode(row: sqlite3.Row) -> Episode:
    return Episode(row["id"], row["dataset"], row["rule"], row["key"], row["opened_at"],
                   row["opened_version"], json.loads(row["row"]), json.loads(row["title"]),
                   row["closed_at"], row["closed_version"])
