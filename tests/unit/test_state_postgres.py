"""hub/state on PostgreSQL: tables in the schema agora beside the hub's, a connection the
server dropped opened again, advisory lock numbers the same in every process."""

import psycopg

from hub.reports.store import ReportStore
from hub.state import postgres
from tests.unit.reports.test_store import NOW, planned


def test_agoras_tables_live_in_their_own_schema(tmp_path, postgres_url):
    ReportStore(tmp_path, postgres_url).plan("digest", NOW, [planned()], NOW)
    with psycopg.connect(postgres_url) as db:
        schemas = {row[0] for row in db.execute(
            "SELECT table_schema FROM information_schema.tables WHERE table_name = 'runs'")}
    assert schemas == {"agora"}
    assert not (tmp_path / "reports.sqlite").exists()


def test_a_connection_dropped_by_the_server_is_opened_again(tmp_path, postgres_url,
                                                             monkeypatch):
    store = ReportStore(tmp_path, postgres_url)
    [run_id] = store.plan("digest", NOW, [planned()], NOW)
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
                      "datname = current_database() AND pid != pg_backend_pid()")
    monkeypatch.setattr(postgres, "CHECK_IDLE_SECONDS", 0)  # as after a long idle time
    assert store.run(run_id).status == "queued"
    assert store.claim(run_id, NOW) is not None


def test_lock_numbers_are_stable_and_apart():
    assert postgres.lock_key("reports") == postgres.lock_key("reports")
    assert len({postgres.lock_key(n) for n in ("reports", "alerts", "audit", "schema")}) == 4
    assert 0 <= postgres.lock_key("reports") < 2 ** 31
