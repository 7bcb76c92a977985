"""The audit log on each engine (`state_url`): the month files (default) and the PostgreSQL
table answer the same queries; through the datasets service, a read is recorded in the table
and the admins' audit API reads it back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from hub.services.datasets import audit
from hub.services.datasets.audit_log import FileAuditLog, SqlAuditLog
from hub.services.datasets.http.app import make_app
from hub.services.datasets.http.identity import Identity, StaticGroups
from hub.services.datasets.read.engine import Engine
from hub.services.datasets.read.registry import DatasetRegistry
from tests.datasets_support import KEY, RECIPES, build_workspace
from tests.unit.test_datasets_audit import TIMES

PLUS_2 = timezone(timedelta(hours=2))


@pytest.fixture
def log(tmp_path, state_url):
    log = SqlAuditLog(state_url) if state_url else FileAuditLog(tmp_path)
    for n, at in enumerate(TIMES):
        log.append({"time": at, "user": "u" if n % 2 else "v", "action": "records",
                    "dataset": "a" if n < 3 else "b", "status": 200, "rows": n})
    return log


def rows(found):
    return [entry["rows"] for entry in found]


def test_newest_first_with_a_limit(log):
    assert rows(log.query()) == [5, 4, 3, 2, 1, 0]
    assert rows(log.query(limit=2)) == [5, 4]


def test_filtered_by_user_dataset_and_since_in_utc(log):
    assert rows(log.query(user="u")) == [5, 3, 1]
    assert rows(log.query(dataset="a")) == [2, 1, 0]
    assert rows(log.query(user="v", dataset="b")) == [4]
    assert rows(log.query(since=datetime(2026, 11, 1, 0, 30, tzinfo=PLUS_2))) == [5, 4, 3, 2]
    assert rows(log.query(since=datetime(2026, 11, 1, 0, 15))) == [5, 4, 3]  # naive: UTC
    assert log.query(since=datetime.max.replace(tzinfo=UTC)) == []


def test_a_record_keeps_every_field(log):
    entry = audit.record("elu", "export:csv", 200, "incidents", 7, filters=["a:eq:1"])
    log.append(entry)
    assert log.query(user="elu") == [entry]


def test_the_service_records_reads_in_postgresql_and_serves_them_back(tmp_path, postgres_url):
    from tests.unit import test_datasets_service as seam

    ws = build_workspace(tmp_path, {"incidents": RECIPES["incidents"]})
    app = make_app(prefix=seam.PREFIX, registry=DatasetRegistry(ws.catalog_dir, ws.store, has_key=True),
                   engine=Engine(KEY.encode()), identity=Identity(StaticGroups({})),
                   audit_log=SqlAuditLog(postgres_url), user_model=seam.seam_user_model)
    server = seam.Server(app).start()
    try:
        seam.records(server, user="analyst", where="amount:ge:20", select="name")
        found = seam.get(server, "api/audit", "admin", user="analyst").json()
    finally:
        server.stop()
    [read] = [entry for entry in found if entry["action"] == "records"]
    assert read["filters"] == ["amount:ge:20"] and read["dataset"] == "incidents"
    assert not (ws.data_dir / "audit").exists()  # nothing in files
