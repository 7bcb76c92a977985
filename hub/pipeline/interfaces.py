"""Interfaces shared by every connector and processor, and the quality report.

A connector reads one source and returns a :class:`SourceData` (a DataFrame or GeoDataFrame
plus a fingerprint of the raw source, so an unchanged source makes no new snapshot).
A processor transforms a frame and records what it did in the :class:`QualityReport`.
Both declare a pydantic ``Params`` model: recipes are validated against it at load time, so a
typo in a recipe is reported as file:line before anything runs.

A recipe names connectors and processors by their ``name`` (see registry.py).
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd
from pydantic import BaseModel, ConfigDict


class Params(BaseModel):
    """Base of every connector/processor parameter model: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceError(Exception):
    """A source could not be read or is corrupt; the refresh fails, `current` is kept."""


class ByteBudget:
    """What a source may still read (``max_source_bytes``): its files, downloads and pages
    together. `limit` None: no limit."""

    def __init__(self, limit: int | None = None):
        self.limit, self.used = limit, 0

    @property
    def left(self) -> int | None:
        return None if self.limit is None else self.limit - self.used

    def expect(self, size: int, source: str) -> None:
        """Refuse, before reading it, a body or file announced as `size` bytes."""
        if self.limit is not None and self.used + size > self.limit:
            raise _too_large(source, self.used + size, self.limit)

    def take(self, size: int, source: str) -> None:
        """Count `size` bytes received; refuse once the source has gone past the limit."""
        self.used += size
        if self.limit is not None and self.used > self.limit:
            raise _too_large(source, None, self.limit)


def _too_large(source: str, size: int | None, limit: int) -> SourceError:
    """The error for a source over ``max_source_bytes``; `size` None when only known to be more."""
    exact = size is not None and _byte_size(size) == _byte_size(limit)  # "2.0 KiB" both: say more
    found = "goes on past the limit" if size is None else f"is {_byte_size(size, exact)}"
    return SourceError(
        f"{source}: the source {found}, and a refresh reads at most {_byte_size(limit, exact)} (it "
        "holds about ten times its source in memory); if the machine has the memory, raise "
        "refresh.max_source_bytes in the recipe or data.max_source_bytes in the settings")


def _byte_size(count: int, exact: bool = False) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if count >= scale and not exact:
            return f"{count / scale:,.1f} {unit}"
    return f"{count:,} bytes"


class ProcessingError(Exception):
    """A processor cannot run on this data (e.g. a missing column); the refresh fails."""


@dataclass
class SourceData:
    frame: pd.DataFrame  # a geopandas.GeoDataFrame for geographic sources
    fingerprint: str  # same source content -> same fingerprint
    details: dict[str, Any] = field(default_factory=dict)  # encoding, delimiter, url, pages...


def fingerprint_bytes(*chunks: bytes) -> str:
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    return "sha256:" + digest.hexdigest()


@dataclass
class SourceContext:
    """What a connector may use besides its params."""

    sources_dir: Path  # relative file paths in recipes resolve against this folder
    timeout: float = 60.0  # seconds, for network sources
    environ: Mapping[str, str] = field(default_factory=dict)  # for secrets named in params
    max_bytes: int | None = None  # the largest source (file, download) to read; None: no limit
    budget: ByteBudget = field(init=False)  # what is left of max_bytes; http_get and files count

    def __post_init__(self) -> None:
        self.budget = ByteBudget(self.max_bytes)


@dataclass
class QualityReport:
    """Per-column counts and per-step notes, stored in the snapshot manifest."""

    columns: dict[str, dict[str, Any]] = field(default_factory=dict)
    steps: list[dict[str, Any]] = field(default_factory=list)
    # column -> "step N (processor)" that added it, for error messages; not in the manifest
    origins: dict[str, str] = field(default_factory=dict, repr=False)

    def count(self, column: str, metric: str, n: int, examples: list | None = None) -> None:
        """Add `n` to `metric` (e.g. "unparseable_dates", "out_of_range") for `column`."""
        entry = self.columns.setdefault(column, {})
        entry[metric] = entry.get(metric, 0) + int(n)
        if examples:
            kept = entry.setdefault(f"{metric}_examples", [])
            kept.extend(str(e) for e in examples[: max(0, 5 - len(kept))])

    def to_dict(self) -> dict[str, Any]:
        return {"columns": self.columns, "steps": self.steps}


@dataclass
class ProcessContext:
    """What a processor may use besides the frame and its params."""

    dataset: str
    quality: QualityReport
    environ: Mapping[str, str] = field(default_factory=dict)  # secrets (pseudonym key...)
    load_dataset: Callable[[str], pd.DataFrame] | None = None  # current snapshot of another dataset
    note: Callable[[str, Any], None] = lambda key, value: None  # notes for the current step


class Connector(ABC):
    name: ClassVar[str]
    summary: ClassVar[str]  # one line, used in docs and `agora check`
    Params: ClassVar[type[Params]]

    def __init__(self, params: Params, context: SourceContext):
        self.params = params
        self.context = context

    @abstractmethod
    def fetch(self) -> SourceData:
        """Read the whole source. Raise SourceError with a readable message on failure."""


class Processor(ABC):
    name: ClassVar[str]
    summary: ClassVar[str]
    Params: ClassVar[type[Params]]
    # True when apply() reads and replaces only the columns listed in ``params.columns``,
    # keeps every row, the index and the column order, and uses nothing of the context but
    # ``quality.count`` and ``note``. The executor then runs consecutive such steps on
    # different columns at the same time (execute.run_processors).
    column_local: ClassVar[bool] = False

    def __init__(self, params: Params):
        self.params = params

    @abstractmethod
    def apply(self, frame: pd.DataFrame, context: ProcessContext) -> pd.DataFrame:
        """Return the transformed frame (do not mutate the input)."""
