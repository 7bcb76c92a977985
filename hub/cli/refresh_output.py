"""Plain-text output of `agora refresh` and `agora status` (readable in a terminal and a log)."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Sequence
from datetime import datetime

from ..pipeline.execute import ProgressEvent
from ..pipeline.refresh import RefreshResult
from ..pipeline.status import parse_time
from ..pipeline.store import SnapshotStore
from ..pipeline.store_files import utc_now

ERROR_WIDTH = 70
RECORD_WIDTH = 88


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Left-aligned columns separated by two spaces."""
    cells = [[str(c) for c in headers]] + [["" if c is None else str(c) for c in r] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in cells]
    return "\n".join([lines[0], "  ".join("-" * w for w in widths), *lines[1:]])


def shorten(text: str | None, width: int = ERROR_WIDTH) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[: width - 1] + "…"


def progress_line(event: ProgressEvent) -> str:
    rows = f"{event.rows} rows" if event.rows is not None else ""
    seconds = f"{event.seconds:.2f} s" if event.seconds is not None else ""
    return f"{event.dataset:<24} {event.step:<18} {rows:>12} {seconds:>9}  {event.message}".rstrip()


def printer(write: Callable[[str], None] | None = None) -> Callable[[ProgressEvent], None]:
    """A progress callback printing one line per event (flushed: it may feed a log)."""
    write = write or (lambda line: print(line, flush=True))
    return lambda event: write(progress_line(event))


def results_table(results: Sequence[RefreshResult]) -> str:
    rows = [(r.dataset, r.result, r.version or "-", r.rows if r.rows is not None else "-",
             f"{r.seconds:.2f} s", shorten(r.error)) for r in results]
    return table(["dataset", "result", "version", "rows", "duration", "error"], rows)


def age(then: datetime | None, now: datetime | None = None) -> str:
    if then is None:
        return "-"
    seconds = max(0, int(((now or utc_now()) - then).total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"


def status_row(store: SnapshotStore, dataset: str) -> tuple:
    manifest = store.read_manifest(dataset) or {}
    status = store.status(dataset).read()
    created = parse_time(manifest.get("created_at"))
    error = (status.get("last_error") or {}).get("message") if status.get(
        "last_result") == "failed" else ""
    return (dataset, manifest.get("version", "-"), manifest.get("row_count", "-"), age(created),
            status.get("last_result", "never"), status.get("consecutive_failures", 0),
            shorten(error))


def status_table(store: SnapshotStore, datasets: Sequence[str]) -> str:
    """One line per dataset; an error cut short sends the reader to the dataset's record."""
    rows = [status_row(store, d) for d in datasets]
    lines = table(["dataset", "version", "rows", "age", "last refresh", "failures",
                   "last error"], rows)
    cut = [row[0] for row in rows if row[-1].endswith("…")]
    if cut:
        lines += f"\n\nerrors cut short: `agora status {' '.join(cut)}` shows them whole"
    return lines


def _when(at: str | None, now: datetime | None = None) -> str:
    return f"{at} ({age(parse_time(at), now)} ago)" if at else "-"


def _current(manifest: dict, now: datetime | None) -> str:
    if not manifest:
        return "none (never refreshed successfully)"
    rows = manifest.get("row_count")
    counted = f", {rows:,} rows" if isinstance(rows, int) else ""
    return f"{manifest.get('version')}{counted}, made {_when(manifest.get('created_at'), now)}"


def _attempt(status: dict, now: datetime | None) -> str:
    if not status.get("last_attempt"):
        return "never"
    if status.get("running"):
        return f"{_when(status['last_attempt'], now)}, running"
    seconds = status.get("last_duration_seconds")
    took = f" after {seconds:g} s" if isinstance(seconds, (int, float)) else ""
    failures = int(status.get("consecutive_failures") or 0)
    streak = f" ({failures} failures in a row)" if failures > 1 else ""
    return f"{_when(status['last_attempt'], now)}: {status.get('last_result', '?')}{took}{streak}"


def _success(success: dict | None, now: datetime | None) -> str:
    if not success:
        return "never"
    return f"{_when(success.get('at'), now)}: {success.get('result')}, version " \
           f"{success.get('version')}"


def status_record(store: SnapshotStore, dataset: str, now: datetime | None = None,
                  served: str | None = None) -> str:
    """Everything the store knows of one dataset's refreshes, the last error in full;
    `served`, when given, says whether the datasets service serves it and why not."""
    status, manifest = store.status(dataset).read(), store.read_manifest(dataset) or {}
    error = status.get("last_error") or {}
    lines = [dataset, *([f"  served           {served}"] if served else []),
             f"  current version  {_current(manifest, now)}",
             f"  last attempt     {_attempt(status, now)}",
             f"  last success     {_success(status.get('last_success'), now)}"]
    if status.get("corrupt"):
        lines.append(f"  status file      unreadable ({store.status(dataset).location})")
    if error:
        lines.append(f"  last error       {_when(error.get('at'), now)}")
        lines += textwrap.wrap(error.get("message") or "", RECORD_WIDTH, initial_indent="    ",
                               subsequent_indent="    ", break_long_words=False,
                               break_on_hyphens=False)  # a path or URL stays whole
    return "\n".join(lines)
