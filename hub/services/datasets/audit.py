"""The datasets service's audit log: one JSON line per read, append-only, one file per month.

``<data_dir>/audit/audit-YYYY-MM.jsonl`` (folder mode 700, files mode 600). Each record is
written with a single ``os.write`` on a descriptor opened with ``O_APPEND``, so concurrent
writers (threads or processes) never interleave lines and nothing sits in a buffer.

A record holds: ``time`` (UTC, ISO 8601), ``user``, ``dataset``, ``action`` (list, metadata,
records, aggregate, export:<fmt>, catalog, dcat, harvest, audit), every parameter that shaped
the rows of a read or an export (``filters``, ``select``, ``order_by``, ``limit``, ``offset``; for an
aggregate ``by``, ``measures``, ``buckets``) as the caller gave them, ``rows`` returned (an
aggregate: groups), ``suppressed_groups`` (an aggregate's withheld groups), the HTTP
``status`` and, for a refusal that is not the policy's, its ``reason`` (``quota:<name>``, a
429 of fair use: requests_per_minute, concurrent_exports or export_bytes_per_day; action
``request`` on a page not otherwise audited). Never a
token, a cookie or a header: the record is built from named fields only (:func:`record`), so
nothing else can slip in.

Times are UTC everywhere: in the records, in the month of a file's name and in :func:`query`,
which converts its `since` to UTC first (a naive `since` is taken to be UTC already).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

FIELDS = ("time", "user", "dataset", "action", "filters", "select", "order_by", "limit",
          "offset", "by", "measures", "buckets", "rows", "suppressed_groups", "reason", "status")
MAX_VALUE_CHARS = 500  # a caller-supplied value is cut, so a huge query cannot bloat the log


def audit_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "audit"


def as_utc(at: datetime) -> datetime:
    """`at` in UTC; a naive time is taken to be UTC already."""
    if at.tzinfo is None:
        return at.replace(tzinfo=UTC)
    try:
        return at.astimezone(UTC)
    except OverflowError:  # an offset pushing year 1 or 9999 out of range: the nearest end
        return (datetime.min if at.year == 1 else datetime.max).replace(tzinfo=UTC)


def month_file(folder: Path, at: datetime) -> Path:
    """The file of the UTC month `at` falls in (a zero-padded year, so names sort by time)."""
    at = as_utc(at)
    return Path(folder) / f"audit-{at.year:04d}-{at.month:02d}.jsonl"


def _short(value: Any) -> Any:
    if isinstance(value, str) and len(value) > MAX_VALUE_CHARS:
        return value[:MAX_VALUE_CHARS] + "…"
    if isinstance(value, (list, tuple)):
        return [_short(v) for v in value[:100]]
    return value


def record(user: str | None, action: str, status: int, dataset: str | None = None,
           rows: int | None = None, **query: Any) -> dict[str, Any]:
    """One audit record from named fields only (query: filters, select, order_by, limit...)."""
    entry = {"time": datetime.now(UTC).isoformat(timespec="milliseconds"), "user": user,
             "dataset": _short(dataset), "action": action, "rows": rows, "status": status}
    entry.update({k: _short(v) for k, v in query.items() if k in FIELDS and v not in (None, [])})
    return entry


def append(folder: Path, entry: dict[str, Any]) -> None:
    """Append one record as one line (one write, O_APPEND, mode 600)."""
    folder = Path(folder)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    line = (json.dumps(entry, ensure_ascii=False, default=str) + "\n").encode("utf-8")
    at = datetime.fromisoformat(entry["time"]) if "time" in entry else datetime.now(UTC)
    descriptor = os.open(month_file(folder, at), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(descriptor, line)
    finally:
        os.close(descriptor)


def _files_newest_first(folder: Path, since: datetime | None) -> list[Path]:
    """The month files, newest first, down to the month of `since` (UTC)."""
    files = sorted(Path(folder).glob("audit-*.jsonl"), reverse=True)
    if since is None:
        return files
    oldest = month_file(folder, since).name
    return [path for path in files if path.name >= oldest]


def _lines_newest_first(folder: Path, since: datetime | None) -> Iterator[dict[str, Any]]:
    for path in _files_newest_first(folder, since):
        for line in reversed(path.read_text(encoding="utf-8").splitlines()):
            try:
                yield json.loads(line)
            except json.JSONDecodeError:
                continue  # a torn line from a crash: skip it, keep the rest readable


def _matches(entry: dict, user: str | None, dataset: str | None, since: datetime | None) -> bool:
    if user and entry.get("user") != user:
        return False
    if dataset and entry.get("dataset") != dataset:
        return False
    if since:
        try:
            return as_utc(datetime.fromisoformat(entry["time"])) >= since
        except (KeyError, TypeError, ValueError):
            return False
    return True


def query(folder: Path, user: str | None = None, dataset: str | None = None,
          since: datetime | None = None, limit: int = 100) -> list[dict[str, Any]]:
    """The newest `limit` records matching user, dataset and `since`, newest first.

    `since` may carry any UTC offset; a naive `since` is taken to be UTC.
    """
    since = as_utc(since) if since is not None else None
    found = []
    for entry in _lines_newest_first(folder, since):
        if since is not None and entry.get("time", "") < since.isoformat()[:10]:
            break  # files and lines are in time order (to the day): nothing older can match
        if _matches(entry, user, dataset, since):
            found.append(entry)
            if len(found) >= limit:
                break
    return found
