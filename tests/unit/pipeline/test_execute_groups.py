"""Column-local steps on different columns run at the same time, with the same result."""

from __future__ import annotations

from functools import partial
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from hub.pipeline import execute, parallel, registry
from hub.pipeline.execute import Deadline, RefreshFailed, run_processors, step_groups
from hub.pipeline.interfaces import ProcessContext
from hub.pipeline.recipe import Step


def context_for(dataset: str, report, notes: dict) -> ProcessContext:
    return ProcessContext(dataset, report, {}, None, notes.__setitem__)


def step(name: str, **params) -> Step:
    return Step(processor=name, params=registry.processor(name).Params(**params))


STEPS = (
    step("rename", columns={"A": "a"}),
    step("deduplicate"),
    step("normalise_text", columns=["a"], case="upper"),
    step("normalise_text", columns=["b"], canonical=["Lyon", "Saint-Étienne"]),
    step("normalise_dates", columns=["c"]),
    step("parse_numbers", columns=["d"], decimal=","),
    step("parse_numbers", columns=["e", "a"]),  # `a` again: a new group
    step("validate", columns={"d": {"min": 0, "action": "null_invalid"}}),
)


def test_consecutive_column_local_steps_on_other_columns_are_grouped():
    assert step_groups(STEPS) == [[0], [1], [2, 3, 4, 5], [6], [7]]


def frame(n: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    return pd.DataFrame({
        "A": pd.Series([f" x{i % 40} " if i % 9 else "" for i in range(n)], dtype="str"),
        "b": pd.Series(rng.choice(["lyon", "St Etienne", "Lyn", "Paris", None], n), dtype="str"),
        "c": pd.Series(rng.choice(["31/12/2024", "2024-01-02", "3 mars 2024", "?", None], n),
                       dtype="str"),
        "d": pd.Series(rng.choice(["1 234,5", "-3", "n/a", "x", None], n), dtype="str"),
        "e": pd.Series([str(i) if i % 4 else "1.5" for i in range(n)], dtype="str"),
    })


def run() -> tuple[pd.DataFrame, dict]:
    recipe = SimpleNamespace(id="t", processors=STEPS)
    make = partial(context_for, "t")
    out, report = run_processors(recipe, frame(), make, Deadline(60), lambda event: None)
    for entry in report.steps:
        entry.pop("seconds")
    return out, report.to_dict()


def test_grouped_steps_give_the_frame_and_report_of_one_by_one(monkeypatch):
    monkeypatch.setattr(parallel, "workers", lambda: 2)
    monkeypatch.setattr(parallel, "MIN_ROWS_PER_PART", 10)
    assert any(len(group) > 1 for group in step_groups(STEPS))  # some steps do run together
    together = run()
    monkeypatch.setattr(execute, "step_groups", lambda steps: [[i] for i in range(len(steps))])
    alone = run()
    pd.testing.assert_frame_equal(together[0], alone[0])
    assert together[1] == alone[1]
    assert list(together[1]["columns"]) == list(alone[1]["columns"])  # same order too
    assert [s["step"] for s in together[1]["steps"]] == list(range(1, 9))


def test_the_first_failing_step_of_a_group_is_reported(monkeypatch):
    monkeypatch.setattr(parallel, "workers", lambda: 2)
    steps = (step("normalise_text", columns=["b"]), step("parse_numbers", columns=["nope"]),
             step("normalise_dates", columns=["missing"]))
    recipe = SimpleNamespace(id="t", processors=steps)
    make = partial(context_for, "t")
    with pytest.raises(RefreshFailed, match=r"step 2 \(parse_numbers\).*'nope'"):
        run_processors(recipe, frame(), make, Deadline(60), lambda event: None)
