"""Experiment: would a streaming refresh bring the ingestion benchmark to its target?

Behind docs/performance.md's "Round 5": the rows read, cleaned and written in batches.

It emulates one with the benchmark's file and recipe (bench/ingest.py), each configuration in
a fresh process like the benchmark's own runs: pyarrow's streaming CSV reader gives the rows in
blocks; each batch of rows (500,000, 250,000 or 125,000, see BATCH_ROWS) is cleaned by the
recipe's processors, and a second thread appends the cleaned batch to one Parquet file as row
groups, so the writing overlaps the cleaning. "whole" is the same code with one batch of every row.

What it leaves out flatters the batches: `deduplicate` only sees the rows of its batch (a
real design would carry state across batches), and no manifest or quality report is merged.

Each line: wall seconds, CPU seconds (user, kernel), minor page faults and peak RSS of the
child, medians over the rounds; the configurations alternate within each round.

    /opt/agora/venv/bin/python bench/ingest_batches.py [--rows 1000000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import queue
import statistics
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from ingest import DATASET, REPO, Measured, peak_rss_mib, recipe_text

BATCH_ROWS = (None, 500_000, 250_000, 125_000)  # None: one batch of every row


def child(csv: Path, work: Path, batch_rows: int | None) -> dict:
    sys.path.insert(0, str(REPO))
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    from hub.pipeline.connectors import _csv
    from hub.pipeline.execute import Deadline, run_processors
    from hub.pipeline.interfaces import ProcessContext
    from hub.pipeline.memory import use_fast_memory_pool
    from hub.pipeline.recipe import load_recipe
    from hub.pipeline.store import DICTIONARY_PAGE_BYTES, ROW_GROUP_ROWS

    use_fast_memory_pool()
    recipe = load_recipe(work / "catalog" / f"{DATASET}.yaml")
    cleaned_batches: queue.Queue = queue.Queue(maxsize=2)

    def write_batches() -> None:
        writer = None
        while (table := cleaned_batches.get()) is not None:
            if writer is None:
                writer = pq.ParquetWriter(work / "out.parquet", table.schema,
                                          dictionary_pagesize_limit=DICTIONARY_PAGE_BYTES)
            writer.write_table(table.cast(writer.schema), row_group_size=ROW_GROUP_ROWS)
        if writer is not None:
            writer.close()

    def clean(blocks: list) -> int:
        frame = _csv.text_frame(pa.Table.from_batches(blocks))
        cleaned, _ = run_processors(
            recipe, frame, lambda report, notes: ProcessContext(DATASET, report, {}, None,
                                                                notes.__setitem__),
            Deadline(3600), lambda event: None)
        cleaned_batches.put(pa.Table.from_pandas(cleaned, preserve_index=False))
        return len(cleaned)

    with Measured() as measured:
        data = csv.read_bytes()
        encoding = _csv.detect_encoding(data)  # the connector's reading, in blocks
        reader = pacsv.open_csv(pa.py_buffer(data), **_csv.arrow_read_options(
            encoding, ";", check_utf8=_csv.needs_utf8_check(encoding, utf8_checked=True)))
        writer = threading.Thread(target=write_batches)
        writer.start()
        blocks, pending, rows_out = [], 0, 0
        try:
            for block in reader:
                blocks.append(block)
                pending += block.num_rows
                if batch_rows is not None and pending >= batch_rows:
                    rows_out += clean(blocks)
                    blocks, pending = [], 0
            if blocks:
                rows_out += clean(blocks)
        finally:
            cleaned_batches.put(None)  # the writer stops, even after an error
            writer.join()
    return {**measured.as_dict(), "peak_rss_mib": peak_rss_mib(), "rows_out": rows_out}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--csv", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--batch-rows", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.csv, args.work, args.batch_rows)))
        return 0
    with tempfile.TemporaryDirectory(prefix="agora-bench-batches-") as tmp:
        work = Path(tmp)
        csv = work / "demandes_subventions.csv"
        (work / "catalog").mkdir()
        subprocess.run([sys.executable, str(Path(__file__).with_name("ingest.py")), "--generate",
                        str(csv), "--rows", str(args.rows)], check=True)
        (work / "catalog" / f"{DATASET}.yaml").write_text(recipe_text(csv.name), encoding="utf-8")
        runs: dict[int | None, list[dict]] = {size: [] for size in BATCH_ROWS}
        for _ in range(args.rounds):
            for size in BATCH_ROWS:
                command = [sys.executable, __file__, "--child", "--csv", str(csv),
                           "--work", str(work)]
                command += ["--batch-rows", str(size)] if size else []
                output = subprocess.run(command, check=True, capture_output=True, text=True)
                runs[size].append(json.loads(output.stdout.splitlines()[-1]))
    print(f"{args.rows:,} rows, bench/ingest.py's recipe, a fresh process per run, "
          f"medians of {args.rounds}")
    for size, results in runs.items():
        def median(key: str) -> float:
            return statistics.median(result[key] for result in results)
        user = median("cpu_seconds") - median("kernel_seconds")
        label = "whole" if size is None else f"batches of {size:,}"
        print(f"  {label:<22} wall {median('seconds'):.2f} s, CPU {median('cpu_seconds'):.2f} s "
              f"(user {user:.2f}, kernel {median('kernel_seconds'):.2f}), "
              f"{median('page_faults'):,.0f} page faults, peak {median('peak_rss_mib'):,.0f} MiB, "
              f"{results[0]['rows_out']:,} rows out")
    return 0


if __name__ == "__main__":
    sys.exit(main())
