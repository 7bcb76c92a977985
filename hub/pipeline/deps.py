"""Dependencies between datasets (a join step reads another dataset's current snapshot).

A dataset is refreshed after the datasets it reads. Unknown datasets and cycles are recipe
problems, reported by :func:`dependency_problems` when the catalog loads.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from graphlib import CycleError, TopologicalSorter
from typing import TYPE_CHECKING

from ..config.problems import Problem
from ..config.yamlfile import line_for
from .recipe_validation import readable_key, suggest

if TYPE_CHECKING:
    from .recipe import Recipe


class UnknownDataset(ValueError):
    """A dataset id asked for (e.g. on the command line) has no recipe."""


def _dependency_keys(recipe: Recipe) -> dict[str, str]:
    """{dataset it reads: dotted key of the step param naming it}."""
    keys: dict[str, str] = {}
    for index, step in enumerate(recipe.processors):
        for dataset, key in step.dependency_keys.items():
            keys.setdefault(dataset, f"processors.{index}.{step.processor}.{key}")
    return keys


def _problem(recipe: Recipe, dataset: str, message: str, fix: str) -> Problem:
    key = _dependency_keys(recipe)[dataset]
    return Problem(recipe.file, readable_key(key), message, fix, line_for(recipe.lines, key))


def _unknown(recipes: Mapping[str, Recipe], known: set[str]) -> list[Problem]:
    return [_problem(r, dep, f"unknown dataset {dep!r}", suggest(dep, known))
            for r in recipes.values() for dep in r.dependencies if dep not in known]


def _cycles(recipes: Mapping[str, Recipe]) -> list[Problem]:
    """One problem per recipe in each dependency cycle (a self-join is a cycle too)."""
    graph = {rid: {d for d in r.dependencies if d in recipes} for rid, r in recipes.items()}
    problems = []
    while True:
        try:
            TopologicalSorter(graph).prepare()
            return problems
        except CycleError as exc:
            cycle = exc.args[1]  # [a, b, ..., a]
        chain = " -> ".join(cycle)
        for here, there in zip(cycle[1:], cycle[:-1]):  # `here` reads `there`
            problems.append(_problem(recipes[here], there, f"dependency cycle: {chain}",
                                     "a dataset cannot (indirectly) join itself; remove one "
                                     "of these join steps"))
        for node in cycle:
            graph.pop(node, None)
        graph = {k: v - set(cycle) for k, v in graph.items()}


def dependency_problems(recipes: Mapping[str, Recipe], known: set[str]) -> list[Problem]:
    return _unknown(recipes, known) + _cycles(recipes)


def refresh_order(recipes: Mapping[str, Recipe], ids: Iterable[str] | None = None) -> list[str]:
    """`ids` (default: all) plus what they read, each after the datasets it reads."""
    wanted = list(recipes) if ids is None else list(dict.fromkeys(ids))
    for dataset in wanted:
        if dataset not in recipes:
            raise UnknownDataset(f"no recipe for dataset {dataset!r}: "
                                 + suggest(dataset, recipes))
    graph: dict[str, set[str]] = {}
    todo = sorted(wanted)
    while todo:
        dataset = todo.pop()
        if dataset not in graph:
            graph[dataset] = {d for d in recipes[dataset].dependencies if d in recipes}
            todo.extend(sorted(graph[dataset]))
    sorter = TopologicalSorter({k: sorted(graph[k]) for k in sorted(graph)})
    return list(sorter.static_order())
