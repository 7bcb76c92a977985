"""hub.pipeline.parallel: work split over threads must give what one thread gives."""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd
import pytest

from hub.pipeline import parallel
from hub.pipeline.parallel import by_parts, keep_rows, map_parallel

from .processor_support import run


@pytest.fixture
def two_cores(monkeypatch):
    """Pretend to have 2 cores and split from 10 rows on, so small frames are split too."""
    monkeypatch.setattr(parallel, "workers", lambda: 2)
    monkeypatch.setattr(parallel, "MIN_ROWS_PER_PART", 10)


def test_map_parallel_keeps_the_order_and_uses_threads(two_cores):
    seen = set()

    def square(x):
        seen.add(threading.current_thread().name)
        return x * x

    assert map_parallel(square, range(20)) == [x * x for x in range(20)]
    assert all(name.startswith("agora-parallel") for name in seen)


def test_by_parts_concatenates_series_and_tuples_in_order(two_cores):
    values = pd.Series([f" v{i} " if i % 5 else None for i in range(101)], dtype="str",
                       index=np.arange(101) * 3)
    stripped = by_parts(lambda s: s.str.strip(), values)
    pd.testing.assert_series_equal(stripped, values.str.strip())
    assert stripped.array._pa_array.num_chunks == 1
    upper, missing = by_parts(lambda s: (s.str.upper(), s.isna()), values)
    pd.testing.assert_series_equal(upper, values.str.upper())
    pd.testing.assert_series_equal(missing, values.isna())


def test_by_parts_does_not_split_small_series(monkeypatch):
    monkeypatch.setattr(parallel, "workers", lambda: 2)
    calls = []
    by_parts(lambda s: calls.append(len(s)) or s, pd.Series(range(100)))
    assert calls == [100]


def test_keep_rows_equals_boolean_indexing(two_cores):
    n = 400
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({
        "text": pd.Series([f"v{i}" if i % 7 else None for i in range(n)], dtype="str"),
        "number": rng.random(n),
        "count": pd.array(rng.integers(0, 5, n), dtype="Int64"),
        "when": pd.date_range("2024-01-01", periods=n, freq="h", tz="Europe/Paris"),
        "kind": pd.Categorical(rng.choice(list("abc"), n)),
        "flag": rng.random(n) > 0.5,
        "mixed": pd.Series([1, "a", None, 2.5] * (n // 4), dtype=object),
    }, index=pd.RangeIndex(10, 10 + n))
    frame.attrs["source"] = "test"
    keep = rng.random(n) > 0.3
    kept = keep_rows(frame, keep)
    pd.testing.assert_frame_equal(kept, frame[keep], check_exact=True)
    assert kept.attrs == {"source": "test"}


def test_keep_rows_with_repeated_column_names_falls_back(two_cores):
    frame = pd.DataFrame([[1, 2], [3, 4], [5, 6]], columns=["a", "a"])
    keep = np.array([True, False, True])
    pd.testing.assert_frame_equal(keep_rows(frame, keep), frame[keep])


def _messy_frame(n: int = 3000) -> pd.DataFrame:
    rng = np.random.default_rng(11)
    amounts = np.array(["1 234,56", "12\u00a0345,5 €", "n/a", "-7,25", "12,3,4", "", "1.234,5",
                        "(12)", "45 %", "3.14", "1e3", "-"], dtype=object)
    names = np.array(["  Cœur  de Lyon ", "ÉCOLE", "école", "Œuvre d’entraide", "", "St-Étienne",
                      "Saint  Etienne", "lyon", "Lyonn"], dtype=object)
    dates = np.array(["31/12/2025", "2025-12-31", "31-12-2025", "3 mars 2024", "1er août 2023",
                      "à vérifier", "", "31/12/2025 14:30", "mardi 3 mars 2025"], dtype=object)
    return pd.DataFrame({
        "amount": pd.Series(amounts[rng.integers(0, len(amounts), n)], dtype="str"),
        "name": pd.Series(names[rng.integers(0, len(names), n)], dtype="str"),
        "date": pd.Series(dates[rng.integers(0, len(dates), n)], dtype="str"),
        "code": pd.Series(rng.choice(["69123", "4221", "2A004", None], n), dtype="str"),
    })


STEPS = [
    ("parse_numbers", {"columns": ["amount"], "decimal": "auto", "percent": "fraction",
                       "parentheses_negative": True}),
    ("parse_numbers", {"columns": ["amount"], "decimal": ","}),
    ("normalise_text", {"columns": ["name"], "case": "upper", "fold_accents": True}),
    ("normalise_text", {"columns": ["name"], "match": "folded", "mapping": {"ecole": "École"},
                        "canonical": ["Lyon", "Saint-Étienne"], "unmatched": "null"}),
    ("normalise_dates", {"columns": ["date"], "dayfirst": True}),
    ("validate", {"columns": {"code": {"format": "insee_commune", "action": "drop_row"},
                              "amount": {"required": True, "action": "null_invalid"},
                              "name": {"allowed": ["ÉCOLE", "lyon"]}}}),
    ("deduplicate", {}),
]


@pytest.mark.parametrize("name, params", STEPS, ids=[s[0] for s in STEPS])
def test_split_work_gives_the_same_frame_and_quality_report(name, params, monkeypatch):
    frame = _messy_frame()
    monkeypatch.setattr(parallel, "workers", lambda: 1)
    single = run(name, frame, **params)
    monkeypatch.setattr(parallel, "workers", lambda: 3)  # three uneven parts
    monkeypatch.setattr(parallel, "MIN_ROWS_PER_PART", 2)
    split = run(name, frame, **params)
    pd.testing.assert_frame_equal(split.out, single.out, check_exact=True)
    assert split.quality == single.quality
    assert split.notes == single.notes


def test_repeated_values_split_by_last_byte_equal_duplicated(two_cores):
    from hub.pipeline.processors.dedupe import repeated_values

    rng = np.random.default_rng(2)
    alphabet = ["a", "b", "é", "€", "", "zz"]
    values = ["".join(rng.choice(alphabet, rng.integers(0, 3))) if rng.random() > 0.1 else None
              for _ in range(3000)]
    text = pd.Series(values, dtype="str")
    for column in (text, text.iloc[3:], text.iloc[::2], pd.concat([text, text]),
                   pd.Series(range(100)), text.astype(object)):
        expected = column.duplicated(keep=False).to_numpy()
        assert (repeated_values(column) == expected).all()
