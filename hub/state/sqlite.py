"""A store in one SQLite file: WAL, mode 600 in a 700 folder, BEGIN IMMEDIATE for writes."""

from __future__ import annotations

import os
import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path

from .database import Database, Transaction, schema_statements

TYPES = {"id": "INTEGER PRIMARY KEY", "time": "TEXT"}


class SqliteDatabase(Database):
    dialect = "sqlite"

    def __init__(self, path: Path, schema: str, timeout: float = 10):
        self.path = Path(path)
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                                   timeout=timeout)
        os.chmod(self.path, 0o600)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
        with self.write() as tx:
            for statement in schema_statements(schema, TYPES):
                tx.execute(statement)

    @contextmanager
    def write(self):
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield Transaction(self._db)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    @contextmanager
    def read(self):
        with self._lock:
            yield Transaction(self._db)

    def close(self) -> None:
        self._db.close()
