"""The status file of one dataset: what the last refreshes did, for `agora status` and the portal.

Fields: ``last_attempt`` (UTC ISO time a refresh started), ``last_result`` (new, unchanged,
failed), ``last_success`` ({at, version, result}), ``last_error`` ({at, message}),
``consecutive_failures`` and ``last_duration_seconds``. Written at once through the store's
files (store_fs.py: temp + replace locally, one object on S3).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any


def _iso(at: datetime) -> str:
    return at.isoformat(timespec="seconds")


def parse_time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


class StatusFile:
    """status.json of one dataset: `key` in the store's `files` (store_fs.py)."""

    def __init__(self, files, key: str):
        self.files, self.key = files, key

    @property
    def location(self) -> str:
        return self.files.location(self.key)

    def read(self) -> dict[str, Any]:
        text = self.files.read_text(self.key)
        if text is None:
            return {}
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return {"corrupt": True}

    def _update(self, **changes: Any) -> dict[str, Any]:
        status = {k: v for k, v in self.read().items() if k != "corrupt"} | changes
        self.files.write_text(self.key, json.dumps(status, indent=2, ensure_ascii=False))
        return status

    def last_attempt(self) -> datetime | None:
        return parse_time(self.read().get("last_attempt"))

    def record_attempt(self, at: datetime) -> None:
        self._update(last_attempt=_iso(at), running=True)

    def record_success(self, at: datetime, result: str, version: str | None,
                       seconds: float) -> None:
        self._update(running=False, last_result=result, consecutive_failures=0,
                     last_duration_seconds=round(seconds, 3),
                     last_success={"at": _iso(at), "version": version, "result": result})

    def record_failure(self, at: datetime, message: str, seconds: float) -> None:
        failures = int(self.read().get("consecutive_failures", 0)) + 1
        self._update(running=False, last_result="failed", consecutive_failures=failures,
                     last_duration_seconds=round(seconds, 3),
                     last_error={"at": _iso(at), "message": message})
