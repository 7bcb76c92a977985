"""Database URLs in the settings: the hub's (`hub.db_url`) and Agora's shared state's
(`hub.state_db_url`). Agora installs drivers for SQLite and PostgreSQL (psycopg 3) only.

A plain ``postgresql://`` URL means psycopg 3 for the hub (SQLAlchemy alone would pick
psycopg2, which Agora does not install). Messages never show a URL's password.
"""

from __future__ import annotations

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

HUB_DRIVERS = ("sqlite", "sqlite+pysqlite", "postgresql", "postgresql+psycopg")
STATE_DRIVERS = ("postgresql", "postgresql+psycopg")
EXAMPLE = "postgresql+psycopg://agora@db.example.org:5432/agora"


def parsed(url: str, key: str, drivers: tuple[str, ...]) -> URL:
    """`url` parsed, or SettingError naming `key`, the cause and a URL that would do."""
    from .settings import SettingError

    try:
        result = make_url(url)
    except ArgumentError:
        raise SettingError(key, "not a database URL (scheme://user@host:port/database)",
                           f"write a URL like {EXAMPLE}") from None
    shown = result.render_as_string(hide_password=True)
    if result.drivername not in drivers:
        raise SettingError(key, f"{shown}: {result.drivername} is not supported here",
                           f"use one of {', '.join(d + '://' for d in drivers)} e.g. {EXAMPLE}")
    if result.drivername.startswith("postgresql") and not result.database:
        raise SettingError(key, f"{shown} names no database",
                           f"end the URL with /<database>, e.g. {EXAMPLE}")
    if result.drivername.startswith("sqlite") and not result.database:
        raise SettingError(key, f"{shown} names no file (an in-memory hub forgets everything)",
                           "write sqlite:////absolute/path/jupyterhub.sqlite, or leave it unset")
    return result


def hub_db_url(url: str) -> str:
    """The URL JupyterHub gets: postgresql:// becomes postgresql+psycopg://."""
    result = make_url(url)
    if result.drivername == "postgresql":
        result = result.set(drivername="postgresql+psycopg")
    return result.render_as_string(hide_password=False)


def libpq_url(url: str) -> str:
    """The URL psycopg connects with (libpq knows postgresql://, not +psycopg)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
