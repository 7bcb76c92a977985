"""What a store sees of its database, whichever engine holds it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any


class Transaction:
    """Statements on one connection: inside :meth:`Database.write`, one transaction."""

    def __init__(self, connection, placeholder: str = "?"):
        self.connection, self.placeholder = connection, placeholder

    def sql(self, text: str) -> str:
        """`text` with its ``?`` placeholders in the driver's style (no literal ? or %)."""
        if self.placeholder == "?":
            return text
        return text.replace("%", "%%").replace("?", self.placeholder)

    def execute(self, text: str, params: Sequence[Any] = ()):
        """The cursor: rows read by column name, `rowcount` of a change."""
        return self.connection.execute(self.sql(text), tuple(params))

    def executemany(self, text: str, rows: Iterable[Sequence[Any]]) -> None:
        rows = [tuple(row) for row in rows]
        if rows:
            self.connection.cursor().executemany(self.sql(text), rows)

    def insert(self, text: str, params: Sequence[Any] = ()) -> int | None:
        """An INSERT's new id; None when ON CONFLICT DO NOTHING left the row out."""
        row = self.execute(text + " RETURNING id", params).fetchone()
        return None if row is None else row["id"]


class Database:
    """One store's database; :class:`SqliteDatabase` and :class:`PostgresDatabase`."""

    dialect = ""

    @contextmanager
    def write(self) -> Iterator[Transaction]:
        """One transaction; the store's other writers wait until it ends."""
        raise NotImplementedError
        yield

    @contextmanager
    def read(self) -> Iterator[Transaction]:
        """Statements each on its own, not queued behind the writers: reads, and a change
        made by one statement (an append)."""
        raise NotImplementedError
        yield

    def close(self) -> None:
        raise NotImplementedError


def schema_statements(schema: str, types: dict[str, str]) -> list[str]:
    """The store's schema in this dialect, one statement each."""
    return [part.strip() for part in schema.format(**types).split(";") if part.strip()]
