"""Recipe problems only the store can show, which `agora check` adds once the recipes load.

A ``join`` step taking a geometry column of the dataset it reads (as that dataset's current
snapshot has it) would fail when the snapshot is written: it is reported before any refresh
(the join itself refuses it at refresh time too).
"""

from __future__ import annotations

from collections.abc import Mapping

from ..config.problems import Problem
from ..config.yamlfile import line_for
from .processors.join import GEOMETRY_FIX
from .recipe import Recipe, Step
from .recipe_validation import readable_key
from .store import SnapshotStore


def geometry_join_problems(recipes: Mapping[str, Recipe], store: SnapshotStore) -> list[Problem]:
    """One problem per join step that would bring a geometry column."""
    return [problem for recipe in recipes.values()
            for index, step in enumerate(recipe.processors) if step.processor == "join"
            for problem in _step_problem(recipe, index, step, store)]


def _step_problem(recipe: Recipe, index: int, step: Step, store: SnapshotStore) -> list[Problem]:
    schema = _schema(store, step.params.dataset)
    geometry = [column["name"] for column in schema if column.get("type") == "geometry"]
    keys = step.params.keys()[1]
    taken = step.params.columns or [c["name"] for c in schema if c["name"] not in keys]
    brought = [name for name in geometry if name in taken]
    if not brought:
        return []
    key = f"processors.{index}.join" + (".columns" if step.params.columns else "")
    return [Problem(recipe.file, readable_key(key), f"dataset {step.params.dataset!r} would "
                    f"bring its geometry column {brought[0]!r}, which a join cannot store",
                    GEOMETRY_FIX,
                    line_for(recipe.lines, key))]


def _schema(store: SnapshotStore, dataset: str) -> list[dict]:
    try:
        return (store.read_manifest(dataset) or {}).get("schema") or []
    except (OSError, ValueError):  # no readable snapshot: nothing to check against
        return []
