"""Experiment behind docs/performance.md's "Round 5": would streaming the rows in batches make
the ingestion benchmark's cleaning cheaper?

The benchmark's file and recipe (bench/ingest.py) are used as they are. The source is fetched
once; the recipe's processors then run, in turn and in the same process, on the whole frame
and on the frame cut into 2, 5 and 10 batches. Each line gives the wall seconds, the CPU
seconds (user and kernel) and the minor page faults of one pass over all the rows. The
first pass, on the whole frame, warms the process's memory and is not printed.

`deduplicate` only sees the rows of its batch here: a streaming design would carry state
across batches, which adds work, so the batches are, if anything, flattered.

    /opt/agora/venv/bin/python bench/ingest_batches.py [--rows 1000000] [--rounds 2]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from ingest import DATASET, REPO, Measured, recipe_text

BATCH_COUNTS = (1, 2, 5, 10)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=2, help="passes per batch count")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO))
    from hub.pipeline.base import ProcessContext, load_builtins
    from hub.pipeline.execute import Deadline, fetch_source, run_processors
    from hub.pipeline.memory import use_fast_memory_pool
    from hub.pipeline.recipe import load_recipe

    load_builtins()
    use_fast_memory_pool()
    with tempfile.TemporaryDirectory(prefix="agora-bench-batches-") as tmp:
        csv = Path(tmp) / "sources" / "demandes_subventions.csv"
        csv.parent.mkdir()
        (Path(tmp) / "catalog").mkdir()
        subprocess.run([sys.executable, str(Path(__file__).with_name("ingest.py")), "--generate",
                        str(csv), str(Path(tmp) / "unused.utf8.csv"), "--rows", str(args.rows)],
                       check=True)
        recipe_file = Path(tmp) / "catalog" / f"{DATASET}.yaml"
        recipe_file.write_text(recipe_text(csv.name), encoding="utf-8")
        recipe = load_recipe(recipe_file)
        frame = fetch_source(recipe, csv.parent, {}, Deadline(3600)).frame

    def one_pass(batches: int) -> tuple[Measured, int]:
        size = -(-len(frame) // batches)
        rows_out = 0
        with Measured() as measured:
            for start in range(0, len(frame), size):
                cleaned, _ = run_processors(
                    recipe, frame.iloc[start:start + size],
                    lambda report, notes: ProcessContext(DATASET, report, {}, None,
                                                         notes.__setitem__),
                    Deadline(3600), lambda event: None)
                rows_out += len(cleaned)
                del cleaned
        return measured, rows_out

    one_pass(1)  # warms the memory
    print(f"{len(frame):,} rows, the processors of bench/ingest.py's recipe, in one process")
    for _ in range(args.rounds):
        for batches in BATCH_COUNTS:
            measured, rows_out = one_pass(batches)
            user = measured.cpu_seconds - measured.kernel_seconds
            print(f"  {batches:2d} batch(es) of {-(-len(frame) // batches):>9,} rows: "
                  f"wall {measured.seconds:.2f} s, CPU {measured.cpu_seconds:.2f} s "
                  f"(user {user:.2f}, kernel {measured.kernel_seconds:.2f}), "
                  f"{measured.page_faults:,} page faults, {rows_out:,} rows out", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
