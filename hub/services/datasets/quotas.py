"""Fair use: per-caller limits of the datasets service, kept in memory (one service process).

Each caller (``user:<name>``, or ``service:<name>`` for a service's own token) has:

- a sliding 60 s window of requests; only admitted requests count, so a refused caller gets
  back in as soon as their oldest admitted request leaves the window;
- a count of exports streaming now, held by an :class:`ExportSlot` until it is released;
- a sliding 24 h window of export bytes, counted as they are sent. A new export is admitted
  while the caller is under the limit; a running export is never cut (a truncated file would
  be worse than a few bytes over).

A refused call gets a :class:`Refusal`: which quota, a readable message and the whole seconds
after which the same call would be admitted (``Retry-After``). A limit of 0 means no limit.
The clock is injectable (tests move it instead of sleeping). Only the tornado loop's thread
uses a :class:`Quotas`, so it takes no lock.
"""

from __future__ import annotations

import math
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass

MINUTE, DAY = 60.0, 86_400.0
GB = 1_000_000_000
SWEEP_SECONDS = 600.0


@dataclass(frozen=True)
class Limits:
    requests_per_minute: int = 600
    concurrent_exports: int = 2
    export_bytes_per_day: int = 5 * GB

    @classmethod
    def from_settings(cls, quotas) -> Limits:
        """From ``services.datasets_quotas`` (hub.config.settings.DatasetsQuotaSettings)."""
        return cls(quotas.requests_per_minute, quotas.concurrent_exports,
                   quotas.export_bytes_per_day)


@dataclass(frozen=True)
class Refusal:
    quota: str  # the settings key: requests_per_minute, concurrent_exports, export_bytes_per_day
    message: str
    retry_after: int  # whole seconds, at least 1


class Window:
    """Amounts added over time, summed over the last `seconds` (a sliding log).

    Amounts added within `merge_seconds` of a bucket's start join that bucket (a long export
    adds thousands of chunks); a bucket leaves the window `seconds` after its LAST addition,
    so merging can only make the window stricter, never let more through.
    """

    def __init__(self, seconds: float, merge_seconds: float = 0.0):
        self.seconds, self.merge_seconds = seconds, merge_seconds
        self.buckets: deque[list[float]] = deque()  # [start, last, amount]
        self.total = 0.0

    def prune(self, now: float) -> None:
        while self.buckets and self.buckets[0][1] + self.seconds <= now:
            self.total -= self.buckets.popleft()[2]

    def add(self, now: float, amount: float) -> None:
        if self.buckets and now - self.buckets[-1][0] < self.merge_seconds:
            self.buckets[-1][1:] = [now, self.buckets[-1][2] + amount]
        else:
            self.buckets.append([now, now, amount])
        self.total += amount

    def wait(self, now: float, limit: int) -> float:
        """Seconds until the total drops below `limit` (0 if it is below already)."""
        self.prune(now)
        total, wait = self.total, 0.0
        for _start, last, amount in self.buckets:  # oldest first: the first to leave
            if total < limit:
                break
            total -= amount
            wait = last + self.seconds - now
        return wait


def whole_seconds(seconds: float) -> int:
    return max(1, math.ceil(seconds))


def readable_bytes(count: int) -> str:
    for unit, size in (("GB", GB), ("MB", 1_000_000)):
        if count >= size:
            return f"{count / size:g} {unit}"
    return f"{count} bytes"


class ExportSlot:
    """One running export of one caller: counts the bytes sent, releases its slot once."""

    def __init__(self, quotas: Quotas, caller: str):
        self.quotas, self.caller, self.released = quotas, caller, False

    def sent(self, count: int) -> None:
        self.quotas.bytes_window(self.caller).add(self.quotas.clock(), count)

    def release(self) -> None:
        if not self.released:
            self.released = True
            self.quotas.exports[self.caller] -= 1


class Quotas:
    """Every caller's windows and running exports."""

    def __init__(self, limits: Limits = Limits(), clock: Callable[[], float] = time.monotonic):
        self.limits, self.clock = limits, clock
        self.requests: dict[str, Window] = {}
        self.bytes: dict[str, Window] = {}
        self.exports: Counter[str] = Counter()
        self.swept = clock()

    def bytes_window(self, caller: str) -> Window:
        return self.bytes.setdefault(caller, Window(DAY, merge_seconds=1.0))

    def admit_request(self, caller: str) -> Refusal | None:
        """Count one request, or refuse it (not counted) when the minute is full."""
        limit, now = self.limits.requests_per_minute, self.clock()
        if now - self.swept >= SWEEP_SECONDS:
            self.swept = now
            self.forget_idle()
        window = self.requests.setdefault(caller, Window(MINUTE))
        wait = window.wait(now, limit) if limit else 0.0
        if wait:
            return Refusal("requests_per_minute", f"more than {limit} requests in a minute: "
                           f"wait {whole_seconds(wait)} s", whole_seconds(wait))
        window.add(now, 1)
        return None

    def start_export(self, caller: str) -> ExportSlot | Refusal:
        """A slot for one more export, or why not (too many at once, or the day's bytes)."""
        limit = self.limits.concurrent_exports
        if limit and self.exports[caller] >= limit:
            return Refusal("concurrent_exports", f"more than {limit} exports at once: wait "
                           "for one to finish", 1)
        limit = self.limits.export_bytes_per_day
        wait = self.bytes_window(caller).wait(self.clock(), limit) if limit else 0.0
        if wait:
            return Refusal("export_bytes_per_day", f"more than {readable_bytes(limit)} of "
                           f"exports in a day: wait {whole_seconds(wait)} s",
                           whole_seconds(wait))
        self.exports[caller] += 1
        return ExportSlot(self, caller)

    def forget_idle(self) -> None:
        """Drop callers with empty windows and no export running (so memory stays bounded)."""
        now = self.clock()
        for windows in (self.requests, self.bytes):
            for caller, window in list(windows.items()):
                window.prune(now)
                if not window.buckets:
                    del windows[caller]
        for caller in [c for c, running in self.exports.items() if running <= 0]:
            del self.exports[caller]
