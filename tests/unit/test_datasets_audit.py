"""The audit log's month files and its `since` query, across UTC offsets and month boundaries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from hub.services.datasets import audit

PLUS_2 = timezone(timedelta(hours=2))
MINUS_2 = timezone(timedelta(hours=-2))
TIMES = ("2026-10-31T21:00:00.000+00:00", "2026-10-31T22:00:00.000+00:00",
         "2026-10-31T22:45:00.000+00:00", "2026-11-01T00:15:00.000+00:00",
         "2026-11-01T01:00:00.000+00:00", "2026-11-01T02:00:00.000+00:00")


@pytest.fixture
def folder(tmp_path):
    for at in TIMES:
        audit.append(tmp_path, {"time": at, "user": "u", "action": "records", "status": 200})
    return tmp_path


def times(found):
    return [e["time"][11:16] for e in found]


def test_records_go_to_the_file_of_their_utc_month(folder):
    assert sorted(p.name for p in folder.iterdir()) == ["audit-2026-10.jsonl",
                                                       "audit-2026-11.jsonl"]
    late = datetime(2026, 11, 1, 0, 30, tzinfo=PLUS_2)  # still October in UTC
    assert audit.month_file(folder, late).name == "audit-2026-10.jsonl"


@pytest.mark.parametrize("since, expected", [
    # 22:30 UTC on 31 October: back into the October file, across the month boundary
    (datetime(2026, 11, 1, 0, 30, tzinfo=PLUS_2), ["02:00", "01:00", "00:15", "22:45"]),
    # 01:30 UTC on 1 November: nothing from October
    (datetime(2026, 10, 31, 23, 30, tzinfo=MINUS_2), ["02:00"]),
    # naive means UTC
    (datetime(2026, 10, 31, 22, 30), ["02:00", "01:00", "00:15", "22:45"]),
    (datetime(2026, 11, 1, 0, 30), ["02:00", "01:00"]),
    (datetime(2026, 10, 31, 22, 30, tzinfo=UTC), ["02:00", "01:00", "00:15", "22:45"]),
])
def test_since_is_compared_in_utc(folder, since, expected):
    assert times(audit.query(folder, since=since)) == expected


def test_a_since_before_every_record_returns_them_all(folder):
    assert len(audit.query(folder, since=datetime(2000, 1, 1))) == len(TIMES)
    assert len(audit.query(folder, since=datetime(999, 1, 1, tzinfo=UTC))) == len(TIMES)
    assert len(audit.query(folder, since=datetime.min.replace(tzinfo=PLUS_2))) == len(TIMES)
    assert audit.query(folder, since=datetime.max.replace(tzinfo=MINUS_2)) == []
