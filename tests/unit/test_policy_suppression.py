"""Small-count suppression: the rule (who, step 4), its validation, which groups it withholds."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.config.problems import ConfigProblems
from hub.pipeline.recipe import load_catalog
from hub.policy.caller import Caller
from hub.policy.evaluate import decide
from hub.policy.rules import ColumnRule, RowRule
from hub.policy.suppression import withheld
from tests.datasets_support import HEADER


@dataclass
class Access:
    groups: list = field(default_factory=lambda: ["analysts", "officials", "statisticians"])
    users: list = field(default_factory=list)
    rows: list = field(default_factory=list)
    columns: dict = field(default_factory=dict)
    min_group_size: int | None = 5


OFFICIAL = Caller("elu", frozenset({"officials"}), {"territories": frozenset({"99101"})})
ANALYST = Caller("ana", frozenset({"analysts"}))
STATISTICIAN = Caller("stat", frozenset({"statisticians"}))
TERRITORY = RowRule(column="commune_code", in_attribute="territories",
                    applies_to_groups=["officials"])
HIDE = ColumnRule(action="hide", exempt_groups=["statisticians"])


# -- step 4: who gets suppression ---------------------------------------------------------

def test_a_caller_under_a_row_rule_gets_the_threshold():
    assert decide(OFFICIAL, Access(rows=[TERRITORY])).min_group_size == 5


def test_a_column_rule_alone_is_enough():
    assert decide(ANALYST, Access(columns={"nir": HIDE})).min_group_size == 5


def test_raw_access_means_no_rule_applies_and_no_suppression():
    access = Access(rows=[TERRITORY], columns={"nir": HIDE})
    assert decide(ANALYST, access).min_group_size == 5  # the column rule applies to analysts
    assert decide(STATISTICIAN, access).min_group_size is None  # exempt from every rule


def test_no_threshold_in_the_recipe_means_none_and_denied_means_none():
    assert decide(OFFICIAL, Access(rows=[TERRITORY], min_group_size=None)).min_group_size is None
    assert decide(Caller("x"), Access(rows=[TERRITORY])).min_group_size is None


# -- validation at load, with file:line ---------------------------------------------------

RECIPE = HEADER.format(title="Aid") + """source: {connector: parquet, path: aid.parquet}
access:
  groups: [analysts]
%s  min_group_size: %s
"""


def problems(tmp_path, rules: str, size: str) -> list[str]:
    (tmp_path / "aid.yaml").write_text(RECIPE % (rules, size))
    with pytest.raises(ConfigProblems) as info:
        load_catalog(tmp_path)
    return [str(p) for p in info.value.problems]


def test_a_threshold_below_two_is_refused_with_its_line(tmp_path):
    [problem] = problems(tmp_path, "  columns: {nir: {action: hide}}\n", "1")
    assert problem.startswith(f"{tmp_path / 'aid.yaml'}:13: access.min_group_size: ")
    assert "greater than or equal to 2" in problem


def test_a_threshold_that_would_apply_to_nobody_is_refused(tmp_path):
    [problem] = problems(tmp_path, "", "5")
    assert problem.startswith(f"{tmp_path / 'aid.yaml'}:12: access.min_group_size: ")
    assert "apply to nobody" in problem and "add the row or column rules" in problem


def test_a_good_threshold_loads(tmp_path):
    (tmp_path / "aid.yaml").write_text(RECIPE % ("  columns: {nir: {action: hide}}\n", "5"))
    assert load_catalog(tmp_path)["aid"].access.min_group_size == 5


# -- which groups are withheld ------------------------------------------------------------

def test_nothing_withheld_without_a_threshold_or_small_group():
    assert withheld([("a",), ("b",)], [1, 2], None) == [False, False]
    assert withheld([("a",), ("b",)], [5, 9], 5) == [False, False]


def test_one_small_group_takes_the_next_smallest_with_it():
    keys = [("a",), ("b",), ("c",), ("d",)]
    assert withheld(keys, [9, 2, 7, 30], 5) == [False, True, True, False]


def test_two_small_groups_need_no_complement():
    assert withheld([("a",), ("b",), ("c",)], [1, 2, 30], 5) == [True, True, False]


def test_a_single_group_is_withheld_alone():
    assert withheld([()], [3], 5) == [True]
    assert withheld([()], [5], 5) == [False]


def test_two_dimensions_protect_every_row_and_column_margin():
    # communes x aid types; only (c1, food) is small
    keys = [(c, t) for c in ("c1", "c2", "c3") for t in ("food", "rent")]
    sizes = [2, 40, 30, 20, 10, 50]
    hidden = withheld(keys, sizes, 5)
    assert hidden[0]
    assert_no_margin_with_one(keys, hidden)
    assert sum(hidden) == 4  # (c1,food) + (c1,rent) + the smallest other food and its row


def assert_no_margin_with_one(keys, hidden):
    width = len(keys[0])
    for dim in range(width):
        lines = defaultdict(list)
        for key, flag in zip(keys, hidden):
            lines[key[:dim] + key[dim + 1:]].append(flag)
        for line, flags in lines.items():
            assert sum(flags) != 1 or len(flags) == 1, (dim, line, flags)


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(st.integers(1, 3).flatmap(lambda width: st.dictionaries(
    st.tuples(*[st.sampled_from("abcd")] * width), st.integers(0, 12), min_size=1)),
    st.integers(2, 8))
def test_every_small_group_is_withheld_and_no_margin_holds_exactly_one(groups, min_size):
    keys, sizes = list(groups), list(groups.values())
    hidden = withheld(keys, sizes, min_size)
    assert all(h for h, n in zip(hidden, sizes) if n < min_size)
    assert_no_margin_with_one(keys, hidden)
    # complements are only ever taken when some group is small
    assert any(hidden) == any(n < min_size for n in sizes)
