"""Agora's own state in SQL (report schedules and runs, alert episodes; the audit log and
published dashboards on PostgreSQL only, files otherwise): a SQLite file per store by
default, one PostgreSQL database shared by every replica when `hub.state_db_url` is set
(tables in the schema ``agora``).

A store writes its SQL once for both: ``?`` placeholders, ``INSERT ... ON CONFLICT``,
``RETURNING id`` (:meth:`Transaction.insert`), ISO text for times; its schema's
dialect-specific types are written ``{id}`` (an auto-numbered primary key) and ``{time}``
(text that sorts bytewise). Writers of a store queue and never interleave, on both engines
(:meth:`Database.write`).
"""

from __future__ import annotations

from pathlib import Path

from .database import Database, Transaction

__all__ = ["Database", "Transaction", "open_database"]


def open_database(name: str, schema: str, file: Path | None = None, url: str | None = None,
                  timeout: float = 10) -> Database:
    """Store `name`'s database: PostgreSQL at `url` when given, else the SQLite `file`."""
    if file is None and not url:
        raise ValueError(f"store {name}: give a SQLite file or a PostgreSQL URL")
    if url:
        from .postgres import PostgresDatabase

        return PostgresDatabase(url, name, schema, timeout)
    from .sqlite import SqliteDatabase

    return SqliteDatabase(file, schema, timeout)
