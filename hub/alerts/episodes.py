"""Alert episodes and the notices owed for them, in SQLite (``<data_dir>/alerts/alerts.sqlite``)
or in the PostgreSQL database every replica shares (``hub.state_db_url``, see hub/state).

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
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ..state import open_database

SCHEMA = """
CREATE TABLE IF NOT EXISTS episodes (
    id {id},
    dataset TEXT NOT NULL, rule TEXT NOT NULL, key TEXT NOT NULL,
    opened_at {time} NOT NULL, opened_version TEXT, row TEXT NOT NULL, title TEXT NOT NULL,
    closed_at {time}, closed_version TEXT);
CREATE UNIQUE INDEX IF NOT EXISTS one_open_episode
    ON episodes (dataset, rule, key) WHERE closed_at IS NULL;
CREATE TABLE IF NOT EXISTS notices (
    id {id},
    episode BIGINT NOT NULL REFERENCES episodes (id), kind TEXT NOT NULL,
    created_at {time} NOT NULL, delivered_at {time},
    UNIQUE (episode, kind));
CREATE TABLE IF NOT EXISTS deliveries (
    notice BIGINT NOT NULL REFERENCES notices (id), recipient TEXT NOT NULL,
    outcome TEXT NOT NULL, at {time} NOT NULL,
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
    """`path`: the SQLite file (its folder made mode 700); `url`: PostgreSQL instead."""

    def __init__(self, path: Path, url: str | None = None):
        self.path, self.url = Path(path), url
        self.db = open_database("alerts", SCHEMA, self.path, url, timeout=30)

    def __reduce__(self):
        """Sent to another process (a Dask worker's refresh), the store opens its own
        connection there."""
        return EpisodeStore, (self.path, self.url)

    @classmethod
    def in_data_dir(cls, data_dir: Path, url: str | None = None) -> EpisodeStore:
        return cls(Path(data_dir) / "alerts" / "alerts.sqlite", url)

    @classmethod
    def from_settings(cls, settings) -> EpisodeStore:
        return cls.in_data_dir(settings.hub.data_dir, settings.hub.state_db_url)

    def close(self) -> None:
        self.db.close()

    def update(self, dataset: str, rule: str, active: dict[str, tuple[dict, dict]],
               version: str | None, now: str) -> Changes:
        """Open an episode for each newly active key ({key: (row, {fr, en} title)}), close
        those no longer active (one transaction, with their notices)."""
        with self.db.write() as db:
            open_now = {e.key: e for e in self._open(db, dataset, rule)}
            opened = [self._open_one(db, dataset, rule, key, *found, version, now)
                      for key, found in active.items() if key not in open_now]
            closed = [self._close(db, e, version, now)
                      for key, e in open_now.items() if key not in active]
        return Changes(opened, closed)

    def _open(self, db, dataset: str, rule: str) -> list[Episode]:
        rows = db.execute("SELECT * FROM episodes WHERE dataset = ? AND rule = ? AND "
                          "closed_at IS NULL ORDER BY id", (dataset, rule))
        return [episode(r) for r in rows]

    def _open_one(self, db, dataset, rule, key, row, title, version, now) -> Episode:
        row = json.loads(json.dumps(row, default=str))
        episode_id = db.insert("INSERT INTO episodes (dataset, rule, key, opened_at, "
                               "opened_version, row, title) VALUES (?, ?, ?, ?, ?, ?, ?)",
                               (dataset, rule, key, now, version, json.dumps(row),
                                json.dumps(title)))
        db.execute("INSERT INTO notices (episode, kind, created_at) VALUES (?, 'opened', ?)",
                   (episode_id, now))
        return Episode(episode_id, dataset, rule, key, now, version, row, title)

    def _close(self, db, e: Episode, version, now) -> Episode:
        db.execute("UPDATE episodes SET closed_at = ?, closed_version = ? WHERE id = ?",
                   (now, version, e.id))
        db.execute("INSERT INTO notices (episode, kind, created_at) VALUES (?, 'closed', ?)",
                   (e.id, now))
        return Episode(e.id, e.dataset, e.rule, e.key, e.opened_at, e.opened_version, e.row,
                       e.title, now, version)

    # -- reading ---------------------------------------------------------------------------

    def open_episodes(self, dataset: str | None = None) -> list[Episode]:
        where, args = ("AND dataset = ?", (dataset,)) if dataset is not None else ("", ())
        with self.db.read() as db:
            rows = db.execute(f"SELECT * FROM episodes WHERE closed_at IS NULL {where} "
                              "ORDER BY opened_at DESC, id DESC", args)
            return [episode(r) for r in rows]

    def episodes(self, dataset: str, rule: str) -> list[Episode]:
        with self.db.read() as db:
            rows = db.execute("SELECT * FROM episodes WHERE dataset = ? AND rule = ? "
                              "ORDER BY id", (dataset, rule))
            return [episode(r) for r in rows]

    def undelivered(self) -> list[tuple[int, str, Episode]]:
        """(notice id, kind, episode) of notices not yet delivered, oldest first."""
        with self.db.read() as db:
            rows = db.execute("SELECT n.id AS notice, n.kind, e.* FROM notices n JOIN "
                              "episodes e ON e.id = n.episode WHERE n.delivered_at IS NULL "
                              "ORDER BY n.id").fetchall()
            return [(r["notice"], r["kind"], episode(r)) for r in rows]

    def delivered_to(self, notice: int) -> set[str]:
        with self.db.read() as db:
            return {r["recipient"] for r in db.execute("SELECT recipient FROM deliveries "
                                                       "WHERE notice = ?", (notice,))}

    def record_delivery(self, notice: int, recipient: str, outcome: str, now: str) -> bool:
        """Record that `recipient` was dealt with for `notice`; False if already recorded."""
        with self.db.write() as db:
            cursor = db.execute("INSERT INTO deliveries (notice, recipient, outcome, at) "
                                "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                                (notice, recipient, outcome, now))
            return cursor.rowcount == 1

    def mark_delivered(self, notice: int, now: str) -> None:
        with self.db.write() as db:
            db.execute("UPDATE notices SET delivered_at = ? WHERE id = ?", (now, notice))

    def notices_for(self, recipient: str, limit: int = 50) -> list[tuple[str, Episode]]:
        """(kind, episode) of what `recipient` was told, newest first (the portal's list)."""
        with self.db.read() as db:
            rows = db.execute("SELECT n.kind, e.* FROM deliveries d JOIN notices n ON n.id = "
                              "d.notice JOIN episodes e ON e.id = n.episode WHERE "
                              "d.recipient = ? AND d.outcome = 'told' ORDER BY n.id DESC "
                              "LIMIT ?", (recipient, limit)).fetchall()
            return [(r["kind"], episode(r)) for r in rows]


def episode(row: Mapping) -> Episode:
    return Episode(row["id"], row["dataset"], row["rule"], row["key"], row["opened_at"],
                   row["opened_version"], json.loads(row["row"]), json.loads(row["title"]),
                   row["closed_at"], row["closed_version"])
