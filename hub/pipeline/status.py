"""The status file of one dataset: what the last refreshes did, for `agora status` and the portal.

Fields: ``last_attempt`` (UTC ISO time a refresh started), ``last_result`` (new, unchanged,
failed), ``last_success`` ({at, version, result}), ``last_error`` ({at, message}),
``consecutive_failures`` and ``last_duration_seconds``. Written atomically (temp + replace).
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from .store_files import atomic_write_text, private_dir


def _iso(at: datetime) -> str:
    return at.isoformat(timespec="seconds")


def parse_time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


class StatusFile:
    def __init__(self, path: Path):
        self.path = Path(path)

    def read(self) -> dict[str, Any]:
        try:
            return json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except json.JSONDecodeError:
            return {"corrupt": True}

    def _update(self, **changes: Any) -> dict[str, Any]:
        private_dir(self.path.parent)
        status = {k: v for k, v in self.read().items() if k != "corrupt"} | changes
        atomic_write_text(self.path, json.dumps(status, indent=2, ensure_ascii=False))
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
