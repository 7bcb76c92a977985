"""`agora check` and `agora up` connect to the PostgreSQL databases the settings name
(`hub.db_url`, `hub.state_db_url`), so that a wrong host, port, database, user or password
is one clear line before anything starts, never a traceback from the hub or a service.
Messages show the URL without its password.
"""

from __future__ import annotations

from .environment import ENV_PREFIX
from .problems import Problem
from .settings import Settings

CONNECT_SECONDS = 5
FIX = ("check the host, port, database name and user; create the database first "
       "(docs/postgresql.md); a password goes in {env} or the hub account's ~/.pgpass")


def database_problems(s: Settings, environ: dict) -> list[Problem]:
    problems = []
    for key in ("db_url", "state_db_url"):
        url = getattr(s.hub, key)
        if url and url.startswith("postgresql"):
            problem = _connect_problem(url)
            if problem:
                env = f"{ENV_PREFIX}HUB__{key.upper()}"
                problems.append(Problem(env if env in environ else s.source, f"hub.{key}",
                                        problem, FIX.format(env=env)))
    return problems


def _connect_problem(url: str) -> str | None:
    """Why `url` cannot be used, or None once a connection answered."""
    import psycopg
    from sqlalchemy.engine import make_url

    from .db_urls import libpq_url

    try:
        with psycopg.connect(libpq_url(url), connect_timeout=CONNECT_SECONDS) as db:
            db.execute("SELECT 1")
    except psycopg.Error as exc:
        reason = " ".join(str(exc).split())
        return f"cannot connect to {make_url(url).render_as_string(hide_password=True)}: {reason}"
    return None
