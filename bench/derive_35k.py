"""Time each of derive's ops on 35,000 rows, in one warm process (docs/performance.md).

The frame has the columns of a communes export: text as pandas' ``str`` dtype (what the csv
connector gives), float numbers with nulls, dates. Each op prints the best of 5 calls of
``apply``. To compare with older code, point ``AGORA_CODE`` at a checkout of it:

    /opt/agora/venv/bin/python bench/derive_35k.py
    git archive <commit> hub | tar -x -C /tmp/before
    AGORA_CODE=/tmp/before /opt/agora/venv/bin/python bench/derive_35k.py
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, os.environ.get("AGORA_CODE", str(Path(__file__).parents[1])))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from hub.pipeline import registry  # noqa: E402
from hub.pipeline.interfaces import ProcessContext, QualityReport  # noqa: E402

ROWS = 35_000
STEPS = [
    {"column": "d", "op": "ratio", "of": ["population", "surface"]},
    {"column": "d", "op": "sum", "of": ["population", "surface"]},
    {"column": "d", "expression": "population / surface * 100"},
    {"column": "d", "op": "concat", "of": ["code", "nom"]},
    {"column": "d", "op": "year", "of": ["date"]},
    {"column": "d", "op": "round", "of": ["surface"], "digits": 1},
    {"column": "d", "op": "upper", "of": ["nom"]},
    {"column": "d", "op": "coalesce", "of": ["adresse", "nom"]},
]
NEW_STEPS = [  # ops that older code refuses
    {"column": "t", "op": "bands", "of": ["population"], "edges": [0, 500, 2000, 10000, 50000]},
    {"op": "split", "of": ["libelle"], "separator": " - ", "columns": ["a", "b"]},
    {"op": "extract", "of": ["libelle"],
     "pattern": "^CA (?P<num>[0-9]+) - (?P<ville>[^(]+) [(](?P<d>[0-9]+)[)]$"},
]


def communes(rows: int) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    text = lambda values: pd.Series(values, dtype="str")  # noqa: E731
    frame = pd.DataFrame({
        "code": text([f"{i:05d}" for i in rng.integers(1000, 99000, rows)]),
        "nom": text([f"SAINT-ÉTIENNE-DE-TINÉE {i}" for i in range(rows)]),
        "population": rng.integers(0, 500_000, rows).astype("float64"),
        "surface": rng.uniform(0, 100, rows),
        "date": pd.to_datetime("2020-01-01") + pd.to_timedelta(rng.integers(0, 2000, rows), "D"),
        "adresse": text([None if i % 3 else f"{i} rue" for i in range(rows)]),
        "libelle": text([f"CA {i} - Rivemont ({i % 95:02d})" for i in range(rows)]),
    })
    frame.loc[::7, "population"] = np.nan
    return frame


def best_ms(params: dict, frame: pd.DataFrame, calls: int = 5) -> float:
    cls = registry.processor("derive")
    step = cls(cls.Params(**params))
    seconds = []
    for _ in range(calls):
        started = time.perf_counter()
        step.apply(frame, ProcessContext(dataset="bench", quality=QualityReport()))
        seconds.append(time.perf_counter() - started)
    return min(seconds) * 1000


def main() -> None:
    frame = communes(ROWS)
    for params in STEPS + NEW_STEPS:
        try:
            print(f"{params.get('op') or params['expression']:30} {best_ms(params, frame):9.2f} ms")
        except ValueError:  # the op does not exist in the code measured
            print(f"{params['op']:30}         -")


if __name__ == "__main__":
    main()
