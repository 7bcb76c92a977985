"""The publication store's shelf in the state database every replica shares
(``hub.state_db_url``, hub/state; tables in the schema ``agora``).

``dashboard_versions`` holds each version's record and notebook, keyed (name, version):
a number is taken once, and nothing ever updates a version. ``dashboard_current`` is the
pointer, ``dashboard_history`` one row per publish, unpublish and rollback. A publish
(next number, version, pointer, history) and a move of the pointer are each one
transaction, queued behind the store's other writers (hub/state), so two replicas
publishing the same name at once get consecutive numbers.

Voilà runs notebooks from files: :meth:`notebook_file` writes a version once into a local
cache folder (checked against its sha256), where the service reads it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

from hub.pipeline.store_files import atomic_write_bytes, private_dir
from hub.state import open_database

SCHEMA = """
CREATE TABLE IF NOT EXISTS dashboard_versions (
    name TEXT NOT NULL, version INTEGER NOT NULL CHECK (version > 0),
    record TEXT NOT NULL, notebook TEXT NOT NULL,
    PRIMARY KEY (name, version));
CREATE TABLE IF NOT EXISTS dashboard_current (
    name TEXT PRIMARY KEY, version INTEGER,
    FOREIGN KEY (name, version) REFERENCES dashboard_versions (name, version));
CREATE TABLE IF NOT EXISTS dashboard_history (
    id {id}, name TEXT NOT NULL, action TEXT NOT NULL, version INTEGER,
    by_user TEXT NOT NULL, at {time} NOT NULL);
CREATE INDEX IF NOT EXISTS dashboard_history_by_name ON dashboard_history (name, id);
"""

SERVED = ("SELECT v.record FROM dashboard_current c JOIN dashboard_versions v "
          "ON v.name = c.name AND v.version = c.version")


class PublicationTables:
    """Versions, pointers and histories in the database at `url`; notebooks cached for
    Voilà in `root`."""

    def __init__(self, url: str, root: Path):
        self.url, self.root = url, Path(root)
        self.db = open_database("dashboards", SCHEMA, url=url)

    def __reduce__(self):
        """Copied (Voila deep-copies its tornado settings) or sent to another process, the
        shelf opens its own connection there."""
        return PublicationTables, (self.url, self.root)

    def names(self) -> list[str]:
        with self.db.read() as db:
            rows = db.execute("SELECT DISTINCT name FROM dashboard_versions ORDER BY name")
            return [row["name"] for row in rows]

    def records(self, name: str) -> list[dict]:
        with self.db.read() as db:
            rows = db.execute("SELECT record FROM dashboard_versions WHERE name = ?", (name,))
            return [json.loads(row["record"]) for row in rows]

    def current_record(self, name: str) -> dict | None:
        """The record of the version served (None: unknown or unpublished)."""
        with self.db.read() as db:
            row = db.execute(f"{SERVED} WHERE c.name = ?", (name,)).fetchone()
        return None if row is None else json.loads(row["record"])

    def served(self) -> list[dict]:
        """The records of the versions served, by name (one query)."""
        with self.db.read() as db:
            return [json.loads(row["record"]) for row in db.execute(f"{SERVED} ORDER BY c.name")]

    def history(self, name: str) -> list[dict]:
        with self.db.read() as db:
            rows = db.execute("SELECT action, version, by_user, at FROM dashboard_history "
                              "WHERE name = ? ORDER BY id", (name,))
            return [{"action": r["action"], "version": r["version"], "by": r["by_user"],
                     "at": r["at"]} for r in rows]

    def notebook_file(self, name: str, version: int, sha256: str) -> Path:
        """The version's notebook in the local cache, written from the database when it is
        missing or differs from its sha256."""
        path = self.root / name / f"v{version}.ipynb"
        if path.exists() and hashlib.sha256(path.read_bytes()).hexdigest() == sha256:
            return path
        with self.db.read() as db:
            row = db.execute("SELECT notebook FROM dashboard_versions WHERE name = ? AND "
                             "version = ?", (name, version)).fetchone()
        if row is None:
            raise FileNotFoundError(f"dashboard {name} v{version} is not in {self.url}")
        private_dir(self.root)
        private_dir(path.parent)
        atomic_write_bytes(path, row["notebook"].encode("utf-8"))
        return path

    def add(self, name: str, content: bytes, record_for: Callable[[int], dict],
            event: dict) -> dict | None:
        """Store `content` as the next version of `name` and serve it, in one transaction;
        its record, or None when the number was taken (nothing is written then)."""
        with self.db.write() as db:
            last = db.execute("SELECT COALESCE(MAX(version), 0) AS last FROM "
                              "dashboard_versions WHERE name = ?", (name,)).fetchone()["last"]
            record = record_for(last + 1)
            added = db.execute("INSERT INTO dashboard_versions (name, version, record, "
                               "notebook) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                               (name, last + 1, json.dumps(record), content.decode("utf-8")))
            if added.rowcount != 1:
                return None
            self._serve(db, name, last + 1, {**event, "version": last + 1})
        return record

    def serve(self, name: str, version: int | None, event: dict) -> None:
        with self.db.write() as db:
            self._serve(db, name, version, event)

    @staticmethod
    def _serve(db, name: str, version: int | None, event: dict) -> None:
        db.execute("INSERT INTO dashboard_current (name, version) VALUES (?, ?) "
                   "ON CONFLICT (name) DO UPDATE SET version = excluded.version",
                   (name, version))
        db.execute("INSERT INTO dashboard_history (name, action, version, by_user, at) "
                   "VALUES (?, ?, ?, ?, ?)",
                   (name, event["action"], version, event["by"], event["at"]))

    def close(self) -> None:
        self.db.close()
