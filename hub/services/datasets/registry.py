"""What the datasets service may serve: the catalog's recipes and the store's current snapshots.

:class:`DatasetRegistry` loads the recipes once and reloads them when a catalog file changes
(names, sizes, mtimes; checked at most every ``check_every`` seconds). It FAILS CLOSED: while
:func:`~hub.pipeline.recipe.load_catalog` raises, :meth:`DatasetRegistry.recipes` raises
:class:`CatalogUnavailable` and the handlers answer 503 for every data endpoint.

A dataset is *served* only when all hold (otherwise it is treated as unknown, and the reason is
logged once per snapshot version):

- it has a recipe and a current snapshot;
- every column its access rules name exists in the snapshot's schema;
- if any column rule pseudonymises, a pseudonym key is configured.

The two functions the rest of the service (and the catalog, DCAT and OpenAPI handlers) build
on are :meth:`DatasetRegistry.visible` (every dataset a caller may read, as
:class:`~.visible.VisibleDataset`) and :meth:`DatasetRegistry.resolve` (one dataset with the
caller's :class:`~hub.policy.evaluate.Decision`, or None — same answer for unknown and denied).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hub.pipeline.recipe import Recipe, load_catalog
from hub.pipeline.store import SnapshotStore
from hub.policy.caller import Caller
from hub.policy.evaluate import Decision, decide
from hub.problems import ConfigProblems

from .visible import VisibleDataset, visible_dataset

log = logging.getLogger("agora.datasets.registry")
UNAVAILABLE = "catalog unavailable: ask an administrator (agora check)"


class CatalogUnavailable(Exception):
    """The catalog cannot be loaded: nothing is served (fail closed)."""


@dataclass(frozen=True)
class Snapshot:
    """A dataset's current snapshot, checked against its access rules."""

    recipe: Recipe
    version: str
    path: Path
    manifest: dict[str, Any]

    @property
    def column_names(self) -> list[str]:
        return [c["name"] for c in self.manifest.get("schema") or ()]


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
        return visible_dataset(self.snapshot.recipe, self.snapshot.manifest, self.decision,
                               row_count)


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
        self._lock = threading.Lock()
        self._signature: tuple | None = None
        self._checked = 0.0
        self._recipes: dict[str, Recipe] | None = None
        self._snapshots: dict[tuple[str, str], Snapshot | None] = {}

    # -- the catalog ----------------------------------------------------------------------
    def _reload_if_changed(self) -> None:
        now = time.monotonic()
        if self._signature is not None and now - self._checked < self.check_every:
            return
        signature = catalog_signature(self.catalog_dir)
        self._checked = now
        if signature == self._signature:
            return
        self._signature = signature
        self._snapshots.clear()
        try:
            self._recipes = load_catalog(self.catalog_dir)
            log.info("catalog loaded: %d datasets from %s", len(self._recipes), self.catalog_dir)
        except ConfigProblems as exc:
            self._recipes = None
            log.error("catalog has %d problem(s); serving nothing until fixed (agora check):\n%s",
                      len(exc.problems), "\n".join(str(p) for p in exc.problems))
        except Exception:  # anything else: still fail closed
            self._recipes = None
            log.exception("catalog could not be loaded; serving nothing")

    def recipes(self) -> dict[str, Recipe]:
        """The current recipes; raises CatalogUnavailable while the catalog is broken."""
        with self._lock:
            self._reload_if_changed()
            if self._recipes is None:
                raise CatalogUnavailable(UNAVAILABLE)
            return self._recipes

    # -- snapshots ------------------------------------------------------------------------
    def _check(self, recipe: Recipe, version: str) -> Snapshot | None:
        manifest = self.store.read_manifest(recipe.id, version) or {}
        path = self.store.version_dir(recipe.id, version) / "data.parquet"
        snapshot = Snapshot(recipe, version, path, manifest)
        missing = recipe.access.referenced_columns() - set(snapshot.column_names)
        if missing:
            log.error("not serving %s: its access rules name column(s) %s, missing from "
                      "snapshot %s", recipe.id, ", ".join(sorted(missing)), version)
            return None
        if needs_key(recipe) and not self.has_key:
            log.error("not serving %s: a column rule pseudonymises and no pseudonym key is set",
                      recipe.id)
            return None
        return snapshot

    def snapshot(self, recipe: Recipe) -> Snapshot | None:
        """The served current snapshot of `recipe`, or None (no snapshot, or not servable)."""
        version = self.store.current(recipe.id)
        if version is None:
            return None
        key = (recipe.id, version)
        if key not in self._snapshots:
            try:
                self._snapshots[key] = self._check(recipe, version)
            except (OSError, ValueError):
                log.exception("cannot read the manifest of %s version %s", recipe.id, version)
                return None  # not cached: a racing prune or refresh may settle
        return self._snapshots[key]

    # -- per caller -----------------------------------------------------------------------
    def resolve(self, caller: Caller, dataset_id: str) -> Resolved | None:
        """The dataset with the caller's decision, or None if unknown, unserved or denied."""
        recipe = self.recipes().get(dataset_id)
        if recipe is None:
            return None
        decision = decide(caller, recipe.access)
        if not decision.allowed:
            return None
        snapshot = self.snapshot(recipe)
        return Resolved(snapshot, decision) if snapshot else None

    def readable(self, caller: Caller) -> list[Resolved]:
        """Every served dataset the caller may read, by id."""
        resolved = (self.resolve(caller, dataset_id) for dataset_id in sorted(self.recipes()))
        return [r for r in resolved if r is not None]

    def visible(self, caller: Caller) -> list[VisibleDataset]:
        """What the caller may know of each dataset they may read (catalog, DCAT, listing)."""
        return [r.visible() for r in self.readable(caller)]

    def decision(self, caller: Caller, dataset_id: str) -> Decision:
        """The caller's decision for a dataset; denied when unknown, unserved or not allowed."""
        resolved = self.resolve(caller, dataset_id)
        return resolved.decision if resolved else Decision(False)
