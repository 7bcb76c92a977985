"""Where the datasets service keeps its audit log: the monthly JSON-lines files of audit.py
(the default), or the table ``agora.audit`` of the PostgreSQL database every replica shares
(``hub.state_db_url``). The records are the same (:func:`audit.record`) and :meth:`query`
answers the same on both: newest first, filtered by user, dataset and `since` (UTC).

An append is one INSERT of its own, not queued behind other writers; a failed one raises
OSError, as a failed file write does.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from hub.state import open_database

from . import audit

SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (
    id {id}, time {time} NOT NULL, username TEXT, dataset TEXT, record TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS audit_by_time ON audit (time)
"""


class FileAuditLog:
    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def append(self, entry: dict[str, Any]) -> None:
        audit.append(self.folder, entry)

    def query(self, user: str | None = None, dataset: str | None = None,
              since: datetime | None = None, limit: int = 100) -> list[dict[str, Any]]:
        return audit.query(self.folder, user, dataset, since, limit)


class SqlAuditLog:
    """The audit table in PostgreSQL at `url` (no SQLite file: the default is the files)."""

    def __init__(self, url: str):
        self.db = open_database("audit", SCHEMA, url=url)

    def append(self, entry: dict[str, Any]) -> None:
        import psycopg

        text = json.dumps(entry, ensure_ascii=False, default=str)
        try:
            with self.db.read() as db:
                db.execute("INSERT INTO audit (time, username, dataset, record) "
                           "VALUES (?, ?, ?, ?)", (entry["time"], entry.get("user"),
                                                   entry.get("dataset"), text))
        except psycopg.Error as exc:
            raise OSError(f"audit record not written: {exc}") from exc

    def query(self, user: str | None = None, dataset: str | None = None,
              since: datetime | None = None, limit: int = 100) -> list[dict[str, Any]]:
        where, args = [], []
        for column, value in (("username", user), ("dataset", dataset)):
            if value:
                where.append(f"{column} = ?")
                args.append(value)
        if since is not None:
            where.append("time >= ?")
            args.append(audit.as_utc(since).isoformat(timespec="milliseconds"))
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        with self.db.read() as db:
            rows = db.execute(f"SELECT record FROM audit {clause} ORDER BY time DESC, id DESC "
                              "LIMIT ?", (*args, limit)).fetchall()
        return [json.loads(row["record"]) for row in rows]

    def close(self) -> None:
        self.db.close()


def log_from_settings(settings) -> FileAuditLog | SqlAuditLog:
    """The audit log the settings name."""
    if settings.hub.state_db_url:
        return SqlAuditLog(settings.hub.state_db_url)
    return FileAuditLog(audit.audit_dir(settings.data_dir))
