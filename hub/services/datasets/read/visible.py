"""One dataset as one caller sees it: recipe metadata, snapshot summary, visible schema.

:class:`VisibleDataset` is what the datasets service hands to everything that describes data
to a caller (the JSON listing and metadata, the Intake catalog, the DCAT-AP catalog), so none
of those can describe a column, a row count or a quality note the caller may not see.

Build one with :func:`visible_dataset` from a recipe, its current manifest and the caller's
policy :class:`~hub.policy.evaluate.Decision` (allowed). What is withheld, and why:

- hidden columns are absent; pseudonymised and generalised columns carry their new type and a
  ``rule`` note ("pseudonymised", "generalised to year");
- ``row_count`` is the snapshot's count only when no row rule applies to the caller (otherwise
  the total would reveal how many rows they cannot see); the service may pass the caller's own
  count instead;
- ``temporal`` (the first and last dates of the date/timestamp columns, see
  :func:`visible_temporal`) is given only when no row rule applies and the caller sees every
  date column without a rule;
- quality keeps counts only, for visible columns without a column rule; ``*_examples`` (raw
  values, possibly from rows the caller cannot see) are always dropped, and per-step row counts
  are dropped when row rules apply.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from hub.pipeline.recipe import localised
from hub.policy.evaluate import Decision
from hub.policy.rules import ColumnRule

# Type of a column after a column rule (DuckDB computes them, see query.py).
GENERALISED_TYPES = {"year": "int32", "month": "string", "decade": "int32", "band": "string"}


@dataclass(frozen=True)
class Column:
    """A column as the caller sees it: name, Arrow type ("geometry" for geometries), rule,
    and the recipe's words for it (title and description as {"fr", "en"}, unit)."""

    name: str
    type: str
    rule: str | None = None  # None, "pseudonymised", "generalised to <to>"
    title: dict[str, str] | None = None
    description: dict[str, str] | None = None
    unit: str | None = None  # dropped when a rule changes the values


@dataclass(frozen=True)
class VisibleDataset:
    """Everything describable about one dataset for one caller (no data)."""

    id: str
    title: str
    description: str
    theme: str | None = None
    keywords: tuple[str, ...] = ()
    publisher: str | None = None
    licence: str | None = None
    contact_name: str | None = None
    contact_email: str | None = None
    update_frequency: str | None = None  # recipe word: hourly, daily, ...
    frequency_uri: str | None = None  # EU frequency authority URI (DCAT-AP)
    spatial: str | None = None
    synthetic: bool = False
    version: str | None = None  # current snapshot version
    updated: str | None = None  # ISO 8601 time the current snapshot was made (freshness)
    issued: str | None = None  # ISO 8601 time of the oldest snapshot version kept
    temporal: tuple[str, str] | None = None  # (first, last) ISO date the rows cover
    row_count: int | None = None  # rows the caller can read; None when not counted
    columns: tuple[Column, ...] = ()
    is_geo: bool = False
    quality: Mapping[str, Any] = field(default_factory=dict)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def summary(self) -> dict[str, Any]:
        """The JSON item of `GET api/datasets` (schema DatasetSummary in openapi.py)."""
        return {"id": self.id, "title": self.title, "description": self.description,
                "theme": self.theme, "keywords": list(self.keywords),
                "licence": self.licence, "publisher": self.publisher,
                "updated": self.updated, "rows": self.row_count, "geo": self.is_geo,
                "synthetic": self.synthetic}

    def to_dict(self) -> dict[str, Any]:
        """The JSON body of `GET api/datasets/{id}` (schema DatasetMetadata in openapi.py)."""
        return {**self.summary(),
                "contact": ({"name": self.contact_name, "email": self.contact_email}
                            if self.contact_name else None),
                "update_frequency": self.update_frequency, "spatial": self.spatial,
                "version": self.version,
                "columns": [asdict(c) for c in self.columns],
                "quality": dict(self.quality)}


def _rule_note(rule: ColumnRule) -> str:
    return "pseudonymised" if rule.action == "pseudonymise" else f"generalised to {rule.to}"


def _rule_type(rule: ColumnRule, original: str) -> str:
    if rule.action == "pseudonymise":
        return "string"
    return GENERALISED_TYPES.get(rule.to or "", original)


def visible_columns(schema: list[Mapping[str, str]], decision: Decision,
                    docs: Mapping[str, Any] | None = None) -> tuple[Column, ...]:
    """The manifest schema ([{name, type}]) after the caller's column rules, with the
    recipe's `docs` (column name -> ColumnDoc) for the columns that remain."""
    rules = {name: rule for name, rule in decision.column_actions if rule.action != "hide"}
    hidden, docs = decision.hidden_columns, docs or {}
    return tuple(_column(c["name"], c["type"], rules.get(c["name"]), docs.get(c["name"]))
                 for c in schema if c["name"] not in hidden)


def _column(name: str, type_: str, rule: ColumnRule | None, doc) -> Column:
    words = {} if doc is None else {
        "title": localised(doc.title), "description": localised(doc.description),
        "unit": None if rule is not None else doc.unit}
    if rule is None:
        return Column(name, type_, **words)
    return Column(name, _rule_type(rule, type_), _rule_note(rule), **words)


def _counts_only(stats: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in stats.items() if not k.endswith("_examples")}


def visible_quality(quality: Mapping[str, Any] | None, columns: tuple[Column, ...],
                    row_filtered: bool) -> dict[str, Any]:
    """Quality counts the caller may see (see the module docstring)."""
    quality = quality or {}
    if row_filtered:
        # the counts were computed over every row: they would reveal rows the caller cannot see
        return {"columns": {}, "withheld": "quality counts cover rows your rights exclude"}
    plain = {c.name for c in columns if c.rule is None}
    return {
        "columns": {name: _counts_only(stats)
                    for name, stats in (quality.get("columns") or {}).items()
                    if name in plain and isinstance(stats, Mapping)},
        "steps": [{k: s.get(k) for k in ("processor", "rows_in", "rows_out")}
                  for s in quality.get("steps") or () if isinstance(s, Mapping)],
    }


def visible_temporal(extent: Mapping[str, tuple[str, str] | None], columns: tuple[Column, ...],
                     row_filtered: bool, updated: str | None) -> tuple[str, str] | None:
    """(first, last) date the rows cover: over the date columns shown without a rule; for a
    snapshot without date columns, the day it was made (its rows are the state then). None
    when row rules apply to dated rows (dates of rows the caller cannot see), or a date
    column is hidden, ruled or has no statistics."""
    if not extent:
        return (updated[:10], updated[:10]) if updated else None
    plain = {c.name for c in columns if c.rule is None}
    spans = [span for name, span in extent.items() if name in plain]
    if row_filtered or len(spans) < len(extent) or None in spans:
        return None
    return min(s[0] for s in spans), max(s[1] for s in spans)


def visible_dataset(recipe, manifest: Mapping[str, Any] | None, decision: Decision,
                    row_count: int | None = None, extent: Mapping[str, tuple] | None = None,
                    issued: str | None = None) -> VisibleDataset:
    """What `decision`'s caller may know of `recipe`'s dataset and its current `manifest`.

    `manifest` None: the dataset has no snapshot yet (listed, with no columns or rows).
    `row_count`: the caller's own row count if the service counted it; by default the
    snapshot's count, and None when a row rule applies. `extent` (column -> (first, last)
    date; None: unknown, so no temporal coverage) and `issued` come from the snapshot files
    (extent.py).
    """
    if not decision.allowed:
        raise PermissionError(f"{recipe.id}: the policy denies this dataset to the caller")
    manifest = manifest or {}
    meta = recipe.metadata
    columns = visible_columns(manifest.get("schema") or [], decision, meta.column_docs)
    row_filtered = bool(decision.row_filters)
    if row_count is None and not row_filtered:
        row_count = manifest.get("row_count")
    return VisibleDataset(
        id=recipe.id, title=meta.title, description=meta.description, theme=meta.theme,
        keywords=tuple(meta.keywords), publisher=meta.publisher, licence=meta.licence,
        contact_name=meta.contact.name if meta.contact else None,
        contact_email=meta.contact.email if meta.contact else None,
        update_frequency=meta.update_frequency, frequency_uri=meta.frequency_uri,
        spatial=meta.spatial, synthetic=meta.synthetic, version=manifest.get("version"),
        updated=manifest.get("created_at"), issued=issued,
        temporal=None if extent is None else visible_temporal(
            extent, columns, row_filtered, manifest.get("created_at")),
        row_count=row_count, columns=columns,
        is_geo=any(c.type == "geometry" for c in columns),  # a hidden geometry: plain data
        quality=visible_quality(manifest.get("quality"), columns, row_filtered))
