"""Agora from scratch on PostgreSQL: the hub's database (`hub.db_url`) and Agora's shared
state (`hub.state_db_url`: reports, alerts, the audit log, published dashboards) in one fresh
PostgreSQL database; no SQLite file, no audit file and no publication folder written."""

import psycopg
import pytest
import requests

from tests.support import login_form, running_agora, xsrf_header

pytestmark = pytest.mark.integration


def test_a_hub_on_postgresql_logs_people_in_and_keeps_agoras_state_there(tmp_path, postgres):
    database = postgres.new_database()
    settings = {"hub": {"db_url": postgres.url(database, "postgresql+psycopg"),
                        "state_db_url": postgres.url(database)},
                "data": {"demo_data": False}}
    with running_agora(tmp_path / "agora", settings) as agora:
        session = requests.Session()
        assert login_form(session, agora.url, "elu-rivemont", "demo").status_code == 200
        me = session.get(f"{agora.url}hub/api/user", headers=xsrf_header(session))
        assert me.status_code == 200 and me.json()["name"] == "elu-rivemont"
        reports = session.get(f"{agora.url}services/scheduler/api/runs")
        home = session.get(f"{agora.url}services/portal/")
        board = session.get(f"{agora.dashboards_url}d/territory-kpis/", timeout=60)
        with psycopg.connect(postgres.url(database)) as db:
            users = {row[0] for row in db.execute("SELECT name FROM public.users")}
            tables = {row[0] for row in db.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'agora'")}
            [(reads,)] = db.execute("SELECT count(*) FROM agora.audit WHERE username = "
                                    "'elu-rivemont'").fetchall()
            served = {row[0] for row in db.execute(
                "SELECT name FROM agora.dashboard_current WHERE version IS NOT NULL")}
    assert "elu-rivemont" in users
    assert {"runs", "schedules", "schedule_state", "episodes", "notices", "audit",
            "dashboard_versions", "dashboard_current", "dashboard_history"} <= tables
    assert served == {"territory-kpis", "ev-and-fibre"}  # the demo's, published at start
    assert home.status_code == 200 and "Tableau de bord du territoire" in home.text
    assert reads > 0  # the portal read the catalogue as her: the datasets service audited it
    assert reports.status_code == 200, reports.text
    assert not list(agora.data_dir.rglob("*.sqlite")) and not (agora.data_dir / "audit").exists()
    assert not (agora.data_dir / "dashboards").exists()
    assert board.status_code == 200, board.text[-2000:]  # Voila ran it from its cache
    assert (agora.data_dir / "dashboard-cache" / "territory-kpis" / "v1.ipynb").is_file()
