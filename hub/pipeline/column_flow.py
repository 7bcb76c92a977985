"""The columns each step of a recipe will see, and the names steps use that will not exist.

`agora check` starts from the columns of the source: the header of a local CSV file (its first
64 KiB, parsed as a refresh parses them), else the columns the current snapshot's refresh
read from the same source (``source.columns`` in its manifest). It then follows the steps:
:data:`FLOWS` says, for each built-in processor, which column names a step reads (with the
param naming each) and what the names are after it (rename renames, select keeps, derive and
geo_points add, anonymise drops...). A step whose effect is not known (a plugin processor, a
join without ``columns``) ends the walk: what follows is not checked, so a column made by a
step is never reported missing. The first step that reads a missing name is reported; the
refresh would stop there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from ..config.problems import Problem
from ..config.yamlfile import line_for
from .recipe import Recipe
from .recipe_validation import closest, step_label

HEADER_BYTES = 64 * 1024
SHOWN_COLUMNS = 12
Reads = Iterator[tuple[str, str]]  # (column name, dotted param key naming it)
Flow = tuple[Callable[[Any], Reads], Callable[[Any, list[str]], list[str] | None]]


def _listed(params: Any, *fields: str) -> Reads:
    """The names in list, mapping (its keys) or single-name params `fields` (dotted)."""
    for field in fields:
        value = params
        for part in field.split("."):
            value = getattr(value, part, None)
        if isinstance(value, str):
            yield value, field
        elif isinstance(value, Mapping):
            yield from ((name, f"{field}.{name}") for name in value)
        elif isinstance(value, (list, tuple)):
            yield from ((name, f"{field}.{i}") for i, name in enumerate(value))


def _same(params: Any, columns: list[str]) -> list[str]:
    return columns


def _added(columns: list[str], *names: str) -> list[str]:
    return columns + [n for n in names if n not in columns]


def _derive_reads(params: Any) -> Reads:
    if params.expression is None:
        return _listed(params, "of")
    from .processors import _expr

    return ((name, "expression") for name in _expr.names(_expr.parse(params.expression)))


def _geo_points_after(params: Any, columns: list[str]) -> list[str]:
    sources = [params.wkt] if params.wkt else [params.lon, params.lat]
    dropped = set(sources) if params.drop_source else set()
    return [c for c in columns if c not in dropped and c != "geometry"] + ["geometry"]


def _join_reads(params: Any) -> Reads:
    return _listed(params, "on" if params.on else "left_on")


def _joined(params: Any, columns: list[str]) -> list[str] | None:
    if params.columns is None:  # every column of the other dataset: not known here
        return None
    return _added(columns, *(params.prefix + c for c in params.columns))


def _anonymise_reads(params: Any) -> Reads:
    return _listed(params, "drop", "pseudonymise", "generalise_dates", "bands", "suppress.by",
                   "suppress.columns", "suppress.count_column")


FLOWS: dict[str, Flow] = {
    "rename": (lambda p: _listed(p, "columns"),
               lambda p, cols: [p.columns.get(c, c) for c in cols]),
    "select": (lambda p: _listed(p, "columns"), lambda p, cols: list(dict.fromkeys(p.columns))),
    "derive": (_derive_reads, lambda p, cols: _added(cols, *p.outputs())),
    "filter": (lambda p: _listed(p, "keep.column" if p.keep else "drop.column"), _same),
    "explode": (lambda p: _listed(p, "column"), _same),
    "join_list": (lambda p: _listed(p, "columns"), _same),
    "flatten": (lambda p: _listed(p, "columns"), lambda p, cols: None),  # keys known at refresh
    "normalise_dates": (lambda p: _listed(p, "columns"), _same),
    "parse_numbers": (lambda p: _listed(p, "columns"), _same),
    "normalise_text": (lambda p: _listed(p, "columns"), _same),
    "validate": (lambda p: _listed(p, "columns"), _same),
    "deduplicate": (lambda p: _listed(p, "subset", "order_by"), _same),
    "geo_points": (lambda p: _listed(p, "wkt", "lon", "lat"), _geo_points_after),
    "geo_reproject": (lambda p: iter(()),
                      lambda p, cols: cols if "geometry" in cols else None),
    "join": (_join_reads, _joined),
    "geo_join": (lambda p: iter(()), _joined),
    "anonymise": (_anonymise_reads,
                  lambda p, cols: [c for c in cols if c not in set(p.drop)]),
}


def csv_header(recipe: Recipe, sources_dir: Path) -> list[str] | None:
    """The column names of a local CSV source, read from its first lines as the csv connector
    reads them; None for other sources or a header that cannot be read."""
    from .connectors._compressed import compression
    from .connectors._csv import read_csv_bytes
    from .connectors._location import resolve_path

    params = recipe.source.params
    if recipe.source.connector != "csv" or not getattr(params, "path", None):
        return None
    try:
        with open(resolve_path(params.path, Path(sources_dir)), "rb") as file:
            sample = file.read(HEADER_BYTES + 1)
    except OSError:
        return None
    if compression(sample):  # a compressed file's header is only known at refresh
        return None
    if len(sample) > HEADER_BYTES:  # only whole lines
        sample = sample[: sample.rfind(b"\n", 0, HEADER_BYTES) + 1]
    try:
        frame, _ = read_csv_bytes(sample, params, params.path)
    except Exception:  # noqa: BLE001 - the refresh reports an unreadable source
        return None
    return [str(c) for c in frame.columns]


def snapshot_source_columns(recipe: Recipe, store) -> list[str] | None:
    """The columns the current snapshot's refresh read, while the recipe's source is the same."""
    try:
        source = (store.read_manifest(recipe.id) or {}).get("source") or {}
    except (OSError, ValueError):  # a store this account may not read, a manifest cut short
        return None
    if source.get("columns") is None or source.get("hash") != recipe.source_hash:
        return None
    return [str(c) for c in source["columns"]]


def source_columns(recipe: Recipe, sources_dir: Path, store) -> tuple[list[str], str] | None:
    """(the source's column names, where they come from), or None when not known."""
    header = csv_header(recipe, sources_dir)
    if header is not None:
        return header, f"the header of {recipe.source.params.path}"
    columns = snapshot_source_columns(recipe, store)
    if columns is not None:
        return columns, f"the source read for version {store.current(recipe.id)}"
    return None


def _shown(columns: list[str]) -> str:
    more = f"… ({len(columns)} in all)" if len(columns) > SHOWN_COLUMNS else ""
    return ", ".join(columns[:SHOWN_COLUMNS]) + more


def missing_columns(recipe: Recipe, columns: list[str], origin: str) -> list[Problem]:
    """Problems for the names the first step reading a missing column uses, walking the
    steps from the source's `columns`; none once a step's effect is not known."""
    for index, step in enumerate(recipe.processors):
        if step.processor not in FLOWS:
            return []
        reads, after = FLOWS[step.processor]
        try:
            missing = [(name, key) for name, key in reads(step.params) if name not in columns]
            if missing:
                return [_problem(recipe, index, name, key, columns, origin)
                        for name, key in missing]
            columns = after(step.params, columns)
        except (TypeError, AttributeError, ValueError):  # params this flow does not know
            return []
        if columns is None:
            return []
    return []


def _problem(recipe: Recipe, index: int, name: str, key: str, columns: list[str],
             origin: str) -> Problem:
    step = recipe.processors[index]
    at = f"processors.{index}.{step.processor}.{key}"
    close = closest(name, columns)
    hint = f"did you mean {close!r}? " if close else ""
    where = "the source's columns" if index == 0 else \
        f"the columns after {step_label(index - 1, recipe.processors[index - 1].processor)}"
    return Problem(recipe.file, f"{step_label(index, step.processor)}.{key}",
                   f"no column {name!r} at this step",
                   f"{hint}{where}: {_shown(columns)} (from {origin})",
                   line_for(recipe.lines, at))


def column_problems(recipes: Mapping[str, Recipe], sources_dir: Path, store) -> list[Problem]:
    """The column names steps use that will not exist at their step, for every recipe whose
    source columns are known."""
    problems = []
    for recipe in recipes.values():
        known = source_columns(recipe, sources_dir, store)
        if known is not None:
            problems += missing_columns(recipe, *known)
    return problems
