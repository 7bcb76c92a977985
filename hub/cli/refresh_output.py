"""Plain-text output of `agora refresh` and `agora status` (readable in a terminal and a log)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from ..pipeline.execute import ProgressEvent
from ..pipeline.refresh import RefreshResult
from ..pipeline.status import parse_time
from ..pipeline.store import SnapshotStore
from ..pipeline.store_files import utc_now

ERROR_WIDTH = 70


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
    rows = [status_row(store, d) for d in datasets]
    return table(["dataset", "version", "rows", "age", "last refresh", "failures", "last error"],
                 rows)
