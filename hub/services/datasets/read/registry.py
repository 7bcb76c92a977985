"""What the datasets service may serve: the catalog's recipes and the store's current snapshots.

:class:`DatasetRegistry` reloads changed recipe files, fails closed per dataset (a recipe that
does not load is absent, never served with the rules it had before; the catalog folder
unreadable: :class:`CatalogUnavailable`, 503), serves a dataset only when its recipe, snapshot,
rule columns and pseudonym key all agree, and caches each caller's view by generation.
:meth:`~DatasetRegistry.visible` and :meth:`~DatasetRegistry.resolve` are what the rest of the
service builds on. What is cached and when it is re-read: docs/decisions/0003-datasets-registry.md.
"""

from __future__ import annotations

import itertools
import logging
import os
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from hub.config.problems import ConfigProblems
from hub.pipeline.recipe import Recipe, RecipeCache, read_catalog
from hub.pipeline.store import SnapshotStore
from hub.policy.caller import Caller
from hub.policy.evaluate import Decision, decide

from .extent import Extent, first_created, time_extent
from .visible import VisibleDataset, visible_dataset

log = logging.getLogger("agora.datasets.registry")
UNAVAILABLE = "catalog unavailable: ask an administrator (agora check)"
CACHED_VIEWS = 64  # callers' views kept (~2 MB each with 1,000 datasets; one per distinct rights)
_GENERATIONS = itertools.count(1)  # process-wide: no two registries share a generation


class CatalogUnavailable(Exception):
    """The catalog cannot be loaded: nothing is served (fail closed)."""


@dataclass(frozen=True)
class Snapshot:
    """A dataset's current snapshot, checked against its access rules."""

    recipe: Recipe
    version: str
    path: str  # a local path or an s3:// location (hub/pipeline/store_fs.py)
    manifest: dict[str, Any]
    first_created: str | None = None  # created_at of the oldest version kept (extent.py)

    @property
    def column_names(self) -> list[str]:
        return [c["name"] for c in self.manifest.get("schema") or ()]

    @cached_property
    def time_extent(self) -> Extent | None:
        """Date/timestamp columns' (first, last) dates, read once per snapshot."""
        return time_extent(self.path)


@dataclass(frozen=True)
class Resolved:
    """One served dataset with one caller's (allowing) decision."""

    snapshot: Snapshot
    decision: Decision

    @property
    def id(self) -> str:
        return self.snapshot.recipe.id

    @property
    def version(self) -> str:
        return self.snapshot.version

    def visible(self, row_count: int | None = None) -> VisibleDataset:
        snapshot = self.snapshot
        return visible_dataset(snapshot.recipe, snapshot.manifest, self.decision, row_count,
                               extent=snapshot.time_extent, issued=snapshot.first_created)


@dataclass
class View:
    """One caller's view of the catalog at one generation (see the module docstring).

    `key` identifies it: equal keys give equal views, so caches of anything built from a view
    (rendered catalogs) may use it. It is None for a view built while a manifest could not be
    read: such a view is incomplete and must not be kept. `visible` is built on first use."""

    key: tuple | None
    readable: list[Resolved]
    _visible: list[VisibleDataset] | None = field(default=None, repr=False)

    @property
    def visible(self) -> list[VisibleDataset]:
        if self._visible is None:
            self._visible = [r.visible() for r in self.readable]
        return self._visible


def catalog_signature(folder: Path) -> tuple:
    """Changes whenever a recipe file is added, removed or rewritten."""
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return ("missing",)
    return tuple((e.name, e.stat().st_mtime_ns, e.stat().st_size) for e in entries
                 if e.is_file())


def needs_key(recipe: Recipe) -> bool:
    return any(rule.action == "pseudonymise" for rule in recipe.access.columns.values())


class DatasetRegistry:
    def __init__(self, catalog_dir: Path, store: SnapshotStore, has_key: bool,
                 check_every: float = 2.0):
        self.catalog_dir = Path(catalog_dir)
        self.store = store
        self.has_key = has_key
        self.check_every = check_every
        self._lock = threading.RLock()  # view() resolves (snapshot()) while holding it
        self._signature: tuple | None = None
        self._checked = 0.0
        self._recipes: dict[str, Recipe] | None = None
        self._parsed = RecipeCache()  # a changed file is parsed again, not the 999 others
        self._snapshots: dict[tuple[str, str], Snapshot | None] = {}
        self._current: dict[str, str | None] = {}  # dataset id -> current version, in memory
        self._stamps: dict[str, tuple] = {}  # dataset id -> its CURRENT's stamp when read
        self._named_users: frozenset[str] = frozenset()  # every user name a recipe lists
        self._views: OrderedDict[tuple, View] = OrderedDict()
        self._unreadable = 0  # manifest read failures so far (views seeing one are not cached)
        self.generation = next(_GENERATIONS)

    # -- the catalog ----------------------------------------------------------------------
    def _reload_if_changed(self) -> None:
        now = time.monotonic()
        if self._signature is not None and now - self._checked < self.check_every:
            return
        signature = catalog_signature(self.catalog_dir)
        self._checked = now
        catalog_changed = signature != self._signature
        if catalog_changed:
            self._signature = signature
            self._load_catalog()
        current_moved = self._reread_current()
        if catalog_changed or current_moved:
            self._new_generation()

    def _load_catalog(self) -> None:
        self._snapshots.clear()
        try:
            catalog = read_catalog(self.catalog_dir, self._parsed)
            self._recipes = catalog.recipes
            log.info("catalog loaded: %d datasets from %s", len(self._recipes), self.catalog_dir)
            if catalog.problems:
                log.error("%d recipe(s) with problems are not served until fixed (agora check): "
                          "%s\n%s", len(catalog.broken), ", ".join(sorted(catalog.broken)),
                          "\n".join(str(p) for p in catalog.problems))
        except ConfigProblems as exc:
            self._recipes = None
            log.error("catalog cannot be read; serving nothing until fixed (agora check):\n%s",
                      "\n".join(str(p) for p in exc.problems))
        except Exception:  # anything else: still fail closed
            self._recipes = None
            log.exception("catalog could not be loaded; serving nothing")
        self._named_users = frozenset(
            name for recipe in (self._recipes or {}).values() if recipe.access is not None
            for name in recipe.access.users)

    def _new_generation(self) -> None:
        self.generation = next(_GENERATIONS)
        self._views.clear()

    def _read_current(self, dataset_id: str) -> str | None:
        try:
            return self.store.current(dataset_id)
        except (OSError, ValueError):  # unreadable pointer: not served until the next check
            log.exception("cannot read the current version of %s", dataset_id)
            return None

    def _reread_current(self) -> bool:
        """Every dataset's current version from the store; whether any moved. A CURRENT file
        whose stamp (a stat on a local store) did not change is not read again: with 10,000
        datasets, reading each every check cost ~0.5 s of the event loop, stat-ing ~0.1 s."""
        stamps = {dataset_id: self.store.current_stamp(dataset_id)
                  for dataset_id in self._recipes or ()}  # before the reads: never too new
        current = {dataset_id: self._current[dataset_id]
                   if stamp is not None and self._stamps.get(dataset_id) == stamp
                   else self._read_current(dataset_id) for dataset_id, stamp in stamps.items()}
        self._stamps = {dataset_id: stamp for dataset_id, stamp in stamps.items()
                        if current[dataset_id] is not None or stamp == ("missing",)}
        if current == self._current:
            return False
        self._current = current
        self._snapshots = {key: snapshot for key, snapshot in self._snapshots.items()
                           if current.get(key[0]) == key[1]}
        return True

    def recipes(self) -> dict[str, Recipe]:
        """The current recipes; raises CatalogUnavailable while the catalog is broken."""
        with self._lock:
            self._reload_if_changed()
            if self._recipes is None:
                raise CatalogUnavailable(UNAVAILABLE)
            return self._recipes

    def prime(self) -> None:
        """Check every current snapshot and read its time extent now (before serving), so the
        first catalog does not: ~1.3 ms per dataset (manifests, footer), 10,000 datasets ~13 s."""
        with self._lock:
            for recipe in self.recipes().values():
                snapshot = self.snapshot(recipe)
                if snapshot is not None:
                    _ = snapshot.time_extent  # a cached property: read once, then kept

    # -- snapshots ------------------------------------------------------------------------
    def _check(self, recipe: Recipe, version: str) -> Snapshot | None:
        manifest = self.store.read_manifest(recipe.id, version) or {}
        path = self.store.data_location(recipe.id, version)
        snapshot = Snapshot(recipe, version, path, manifest,
                            first_created(self.store, recipe.id))
        missing = recipe.access.referenced_columns() - set(snapshot.column_names)
        if missing:
            log.error("not serving %s: its access rules name column(s) %s, missing from "
                      "snapshot %s", recipe.id, ", ".join(sorted(missing)), version)
            return None
        if needs_key(recipe) and not self.has_key:
            log.error("not serving %s: a column rule pseudonymises and no valid pseudonym key "
                      "is set (data.pseudonym_key_env, at least 16 characters)", recipe.id)
            return None
        return snapshot

    def snapshot(self, recipe: Recipe) -> Snapshot | None:
        """The served current snapshot of `recipe`, or None (no snapshot, or not servable).

        "Current" is the version read at the last catalog check (see the module docstring)."""
        with self._lock:
            version = self._current.get(recipe.id)  # read for every recipe at each check
            if version is None:
                return None
            key = (recipe.id, version)
            if key not in self._snapshots:
                try:
                    self._snapshots[key] = self._check(recipe, version)
                except (OSError, ValueError):
                    log.exception("cannot read the manifest of %s version %s", recipe.id,
                                  version)
                    self._unreadable += 1
                    return None  # not cached: a racing prune or refresh may settle
            return self._snapshots[key]

    # -- per caller -----------------------------------------------------------------------
    def resolve(self, caller: Caller, dataset_id: str) -> Resolved | None:
        """The dataset with the caller's decision, or None if unknown, unserved or denied."""
        recipe = self.recipes().get(dataset_id)
        return None if recipe is None else self.resolve_recipe(caller, recipe)

    def resolve_recipe(self, caller: Caller, recipe: Recipe) -> Resolved | None:
        """`recipe`'s dataset with the caller's decision, or None if unserved or denied."""
        decision = decide(caller, recipe.access)
        if not decision.allowed:
            return None
        snapshot = self.snapshot(recipe)
        return Resolved(snapshot, decision) if snapshot else None

    def view_key(self, caller: Caller) -> tuple:
        """What the caller's view depends on: the generation and what ``decide`` reads of a
        caller (groups, attributes; the name only when some recipe lists user names)."""
        attributes = frozenset((name, frozenset(values))
                               for name, values in caller.attributes.items())
        named = caller.name if caller.name in self._named_users else None
        return (self.generation, frozenset(caller.groups), attributes, named)

    def view(self, caller: Caller) -> View:
        """The caller's view (cached, see the module docstring); raises CatalogUnavailable."""
        with self._lock:
            recipes = self.recipes()  # the periodic check first: fail closed, new generation
            key = self.view_key(caller)
            view = self._views.get(key)
            if view is not None:
                self._views.move_to_end(key)
                return view
            failures = self._unreadable
            resolved = [self.resolve_recipe(caller, recipes[i]) for i in sorted(recipes)]
            if self._unreadable != failures:  # incomplete: neither kept nor keyed
                return View(None, [r for r in resolved if r is not None])
            view = self._views[key] = View(key, [r for r in resolved if r is not None])
            while len(self._views) > CACHED_VIEWS:
                self._views.popitem(last=False)
            return view

    def readable(self, caller: Caller) -> list[Resolved]:
        """Every served dataset the caller may read, by id."""
        return list(self.view(caller).readable)

    def visible(self, caller: Caller) -> list[VisibleDataset]:
        """What the caller may know of each dataset they may read (catalog, DCAT, listing)."""
        return list(self.view(caller).visible)

    def decision(self, caller: Caller, dataset_id: str) -> Decision:
        """The caller's decision for a dataset; denied when unknown, unserved or not allowed."""
        resolved = self.resolve(caller, dataset_id)
        return resolved.decision if resolved else Decision(False)
