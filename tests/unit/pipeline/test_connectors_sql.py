"""The sql connector against a real SQLite file, and a throwaway PostgreSQL cluster when present."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import sqlite3
import subprocess
import tempfile

import pydantic
import pytest

from hub.pipeline import registry
from hub.pipeline.interfaces import SourceError
from tests.support import free_port

from .connector_support import run

ROWS = [
    (1, "69123", "Lyon", "Crèche des Pentes", 60, None),
    (2, "69123", "Lyon", "Crèche Part-Dieu", 45, "2024-01-15"),
    (3, "69259", "Vénissieux", "Crèche Parilly", 30, "2023-09-01"),
    (4, "42218", "Saint-Étienne", "Crèche Jacquard", 25, None),
]


@pytest.fixture
def sqlite_env(tmp_path):
    path = tmp_path / "equipements.db"
    with sqlite3.connect(path) as db:
        db.execute('CREATE TABLE "Crèches" (id INTEGER PRIMARY KEY, code_insee TEXT, commune TEXT,'
                   ' nom TEXT, places INTEGER, ouverture TEXT)')
        db.executemany('INSERT INTO "Crèches" VALUES (?, ?, ?, ?, ?, ?)', ROWS)
        db.execute("CREATE TABLE secrets (token TEXT)")
        db.execute("INSERT INTO secrets VALUES ('s3cr3t')")
    return {"EQUIP_DB_URL": f"sqlite:///{path}"}


def test_whole_table_with_a_quoted_name(sqlite_env):
    result = run("sql", environ=sqlite_env, url_env="EQUIP_DB_URL", table="Crèches")
    assert result.frame["commune"].tolist() == ["Lyon", "Lyon", "Vénissieux", "Saint-Étienne"]
    assert result.frame["places"].dtype.kind == "i"
    assert result.details["rows"] == 4
    assert '"Crèches"' in result.details["query"]


def test_structured_select_binds_filters_as_parameters(sqlite_env):
    select = {"table": "Crèches", "columns": ["nom", "places"], "where": {"code_insee": "69123"},
              "order_by": ["places"]}
    result = run("sql", environ=sqlite_env, url_env="EQUIP_DB_URL", select=select)
    assert result.frame.to_dict("list") == {"nom": ["Crèche Part-Dieu", "Crèche des Pentes"], "places": [45, 60]}
    assert ":code_insee" in result.details["query"] and "69123" not in result.details["query"]


def test_filter_lists_nulls_and_limit(sqlite_env):
    select = {"table": "Crèches", "columns": ["id"], "where": {"code_insee": ["69259", "42218"], "ouverture": None},
              "limit": 5}
    frame = run("sql", environ=sqlite_env, url_env="EQUIP_DB_URL", select=select).frame
    assert frame["id"].tolist() == [4]


def test_an_injection_attempt_in_a_filter_value_is_only_data(sqlite_env):
    attack = "69123' OR '1'='1"
    select = {"table": "Crèches", "where": {"code_insee": attack}}
    with pytest.raises(SourceError, match="no rows"):
        run("sql", environ=sqlite_env, url_env="EQUIP_DB_URL", select=select)
    union = "x' UNION SELECT token, token, token, token, 1, token FROM secrets --"
    select = {"table": "Crèches", "where": {"commune": union}}
    assert run("sql", environ=sqlite_env, url_env="EQUIP_DB_URL", select=select, allow_empty=True).frame.empty


def test_identifiers_are_checked_against_the_table(sqlite_env):
    bad_column = {"table": "Crèches", "columns": ['nom" FROM secrets --']}
    with pytest.raises(SourceError, match="has no column 'nom\" FROM secrets --'"):
        run("sql", environ=sqlite_env, url_env="EQUIP_DB_URL", select=bad_column)
    with pytest.raises(SourceError, match="no table 'secrets; DROP TABLE secrets'"):
        run("sql", environ=sqlite_env, url_env="EQUIP_DB_URL", table="secrets; DROP TABLE secrets")


def test_fingerprint_follows_the_data(sqlite_env):
    first = run("sql", environ=sqlite_env, url_env="EQUIP_DB_URL", table="Crèches")
    assert run("sql", environ=sqlite_env, url_env="EQUIP_DB_URL", table="Crèches").fingerprint == first.fingerprint
    with sqlite3.connect(sqlite_env["EQUIP_DB_URL"].removeprefix("sqlite:///")) as db:
        db.execute('UPDATE "Crèches" SET places = 61 WHERE id = 1')
    assert run("sql", environ=sqlite_env, url_env="EQUIP_DB_URL", table="Crèches").fingerprint != first.fingerprint


def test_missing_environment_variable_and_unreachable_database(tmp_path):
    with pytest.raises(SourceError, match="environment variable EQUIP_DB_URL is not set"):
        run("sql", url_env="EQUIP_DB_URL", table="t")
    environ = {"DB": f"sqlite:///{tmp_path}/no/such/dir/x.db"}
    with pytest.raises(SourceError, match="unable to open database file"):
        run("sql", environ=environ, url_env="DB", table="t")


@pytest.mark.parametrize("params, problem", [
    ({"url": "postgresql://agora:hunter2@db/agora", "table": "t"}, "no password in recipes"),
    ({"url_env": "X"}, "exactly one of `table` or `select`"),
    ({"url_env": "X", "table": "t", "select": {"table": "t"}}, "exactly one of `table` or `select`"),
    ({"table": "t"}, "exactly one of `url_env`"),
    ({"url_env": "X", "query": "SELECT * FROM t"}, "Extra inputs are not permitted"),
    ({"url_env": "X", "select": {"table": "t", "where": {"a": {"$gt": 1}}}}, "where"),
])
def test_recipe_validation(params, problem):
    with pytest.raises(pydantic.ValidationError, match=problem):
        registry.connector("sql").Params.model_validate(params)


def test_a_password_free_url_may_be_in_the_recipe(sqlite_env):
    result = run("sql", url=sqlite_env["EQUIP_DB_URL"], table="Crèches")
    assert len(result.frame) == 4


# --- PostgreSQL --------------------------------------------------------------------------------

def _postgres_bin() -> str | None:
    packaged = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    found = shutil.which("initdb") or (packaged[0] if packaged else None)
    return os.path.dirname(found) if found else None


@pytest.fixture(scope="module")
def postgres_url():
    bindir = _postgres_bin()
    if not bindir:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    pytest.importorskip("psycopg", reason="the psycopg driver is not installed")
    folder = tempfile.mkdtemp(prefix="agora-pg-")
    as_user = _drop_root(folder)
    port = free_port()
    data = os.path.join(folder, "data")
    try:
        init = subprocess.run([*as_user, f"{bindir}/initdb", "-D", data, "-A", "trust", "-U", "agora",
                               "-E", "UTF8", "--locale=C", "--no-sync"], capture_output=True, text=True)
        if init.returncode:
            pytest.skip(f"initdb failed: {init.stderr.strip()[:200]}")
        options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        subprocess.run([*as_user, f"{bindir}/pg_ctl", "-D", data, "-o", options, "-l",
                        os.path.join(folder, "log"), "-w", "-t", "30", "start"], check=True, capture_output=True)
        yield f"postgresql+psycopg://agora@127.0.0.1:{port}/postgres"
        subprocess.run([*as_user, f"{bindir}/pg_ctl", "-D", data, "-m", "immediate", "stop"], capture_output=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _drop_root(folder: str) -> list[str]:
    """initdb refuses to run as root: run the cluster as the `postgres` account then."""
    if os.geteuid() != 0:
        return []
    try:
        account = pwd.getpwnam("postgres")
    except KeyError:
        pytest.skip("running as root and there is no `postgres` account to run a cluster")
    os.chown(folder, account.pw_uid, account.pw_gid)
    return ["runuser", "-u", "postgres", "--"]


def test_postgresql_schema_table_and_select(postgres_url):
    import sqlalchemy as sa

    engine = sa.create_engine(postgres_url)
    with engine.begin() as connection:
        connection.execute(sa.text('CREATE SCHEMA IF NOT EXISTS "Équipements"'))
        connection.execute(sa.text('CREATE TABLE IF NOT EXISTS "Équipements".creches '
                                   "(id int PRIMARY KEY, code_insee text, places int, budget numeric(10,2))"))
        connection.execute(sa.text('TRUNCATE "Équipements".creches'))
        connection.execute(sa.text('INSERT INTO "Équipements".creches VALUES '
                                   "(1, '69123', 60, 1250.50), (2, '69123', 45, NULL), (3, '42218', 25, 980)"))
    engine.dispose()
    environ = {"PG_URL": postgres_url}
    whole = run("sql", environ=environ, url_env="PG_URL", table="creches", schema="Équipements")
    assert whole.frame["id"].tolist() == [1, 2, 3]
    select = {"table": "creches", "schema": "Équipements", "columns": ["id"],
              "where": {"code_insee": "69123' OR '1'='1"}}
    assert run("sql", environ=environ, url_env="PG_URL", select=select, allow_empty=True).frame.empty
    select["where"] = {"code_insee": "69123"}
    assert run("sql", environ=environ, url_env="PG_URL", select=select).frame["id"].tolist() == [1, 2]
    assert "agora@127.0.0.1" in whole.details["url"]


def test_postgresql_refused_connection_is_a_source_error():
    pytest.importorskip("psycopg", reason="the psycopg driver is not installed")
    environ = {"PG_URL": f"postgresql+psycopg://agora:pw@127.0.0.1:{free_port()}/x"}
    with pytest.raises(SourceError) as caught:
        run("sql", environ=environ, url_env="PG_URL", table="t")
    assert "pw" not in str(caught.value).replace("psycopg", "")
    assert "***" in str(caught.value)
