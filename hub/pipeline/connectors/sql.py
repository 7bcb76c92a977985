"""A table, or a structured select, from any database SQLAlchemy can reach.

The connection URL comes from an environment variable named by `url_env` (so passwords live in
the hub's secrets, never in a recipe); `url` is accepted only without a password (e.g. SQLite).
Recipes never carry SQL text: `table` reads a whole table, `select` names columns, equality
filters (bound as parameters, so a filter value is always data) and an order. Table and column
names are checked against the reflected table and quoted by SQLAlchemy.

The fingerprint hashes the result (column names, types and values), as there are no raw bytes.
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
from pydantic import Field, field_validator, model_validator

from ..interfaces import Connector, Params, SourceData, SourceError, fingerprint_bytes
from ._tidy import require_rows

Scalar = str | int | float | bool | None


class Select(Params):
    table: str
    schema_: str | None = Field(None, alias="schema")
    columns: list[str] | None = Field(None, description="default: every column")
    where: dict[str, Scalar | list[Scalar]] = Field(default_factory=dict,
                                                    description="column: value or [values]")
    order_by: list[str] = Field(default_factory=list)
    limit: int | None = Field(None, gt=0)


class SqlParams(Params):
    url_env: str | None = Field(None, description="environment variable holding the SQLAlchemy URL")
    url: str | None = Field(None, description="a URL without password, e.g. sqlite:////data/x.db")
    table: str | None = None
    schema_: str | None = Field(None, alias="schema")
    select: Select | None = None
    allow_empty: bool = False

    @field_validator("url")
    @classmethod
    def _no_password(cls, value: str | None) -> str | None:
        if value is not None and sa.engine.make_url(value).password:
            raise ValueError("no password in recipes: put the URL in an environment variable "
                             "and name it in `url_env`")
        return value

    @model_validator(mode="after")
    def _one_each(self):
        if (self.url is None) == (self.url_env is None):
            raise ValueError("give exactly one of `url_env` (recommended) or `url`")
        if (self.table is None) == (self.select is None):
            raise ValueError("give exactly one of `table` or `select`")
        return self


class SqlConnector(Connector):
    name = "sql"
    summary = "A table or a structured select from a SQL database (URL from an environment variable)"
    Params = SqlParams

    def fetch(self) -> SourceData:
        url = self._url()
        label = f"sql {url.render_as_string(hide_password=True)}"
        engine = sa.create_engine(url, connect_args=_connect_args(url, self.context.timeout))
        try:
            with engine.connect() as connection:
                frame, statement = self._read(connection, label)
        except sa.exc.SQLAlchemyError as exc:
            raise SourceError(f"{label}: {_short(exc)}") from None
        finally:
            engine.dispose()
        frame = require_rows(frame, label, self.params.allow_empty)
        details = {"url": url.render_as_string(hide_password=True), "query": statement, "rows": len(frame)}
        return SourceData(frame, fingerprint_frame(frame), details)

    def _url(self) -> sa.engine.URL:
        if self.params.url is not None:
            return sa.engine.make_url(self.params.url)
        value = self.context.environ.get(self.params.url_env)
        if not value:
            raise SourceError(f"sql: environment variable {self.params.url_env} is not set")
        try:
            return sa.engine.make_url(value)
        except sa.exc.ArgumentError:
            raise SourceError(f"sql: {self.params.url_env} does not hold a valid SQLAlchemy URL") from None

    def _read(self, connection, label: str) -> tuple[pd.DataFrame, str]:
        spec = self.params.select or Select(table=self.params.table, schema=self.params.schema_)
        table = _reflect(connection, spec.table, spec.schema_, label)
        statement = build_select(table, spec, label)
        result = connection.execute(statement)
        frame = pd.DataFrame(result.fetchall(), columns=list(result.keys())).infer_objects()
        return frame, str(statement)


def build_select(table: sa.Table, spec: Select, label: str) -> sa.Select:
    columns = [_column(table, name, label) for name in spec.columns] if spec.columns else [table]
    statement = sa.select(*columns)
    for name, value in spec.where.items():
        column = _column(table, name, label)
        if isinstance(value, list):
            statement = statement.where(column.in_(value))
        else:
            statement = statement.where(column.is_(None) if value is None else column == value)
    statement = statement.order_by(*[_column(table, name, label) for name in spec.order_by])
    return statement.limit(spec.limit) if spec.limit else statement


def fingerprint_frame(frame: pd.DataFrame) -> str:
    header = repr([(str(name), str(dtype)) for name, dtype in frame.dtypes.items()]).encode()
    values = pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes()
    return fingerprint_bytes(header, values)


def _reflect(connection, name: str, schema: str | None, label: str) -> sa.Table:
    try:
        return sa.Table(name, sa.MetaData(), schema=schema, autoload_with=connection)
    except sa.exc.NoSuchTableError:
        where = f" in schema {schema!r}" if schema else ""
        raise SourceError(f"{label}: no table {name!r}{where}") from None


def _column(table: sa.Table, name: str, label: str) -> sa.Column:
    if name not in table.c:
        raise SourceError(f"{label}: table {table.name!r} has no column {name!r} "
                          f"(columns: {list(table.c.keys())})")
    return table.c[name]


def _connect_args(url: sa.engine.URL, timeout: float) -> dict:
    if url.get_backend_name() == "postgresql":
        return {"connect_timeout": max(1, int(timeout))}
    if url.get_backend_name() == "sqlite":
        return {"timeout": timeout}
    return {}


def _short(exc: Exception) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__
