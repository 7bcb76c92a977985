"""Shared helpers for the connector tests."""

from __future__ import annotations

from pathlib import Path

from hub.pipeline import registry
from hub.pipeline.interfaces import SourceContext, SourceData


def run(name: str, sources_dir: Path | str = ".", timeout: float = 5.0, environ=None,
        max_bytes: int | None = None, **params) -> SourceData:
    """Validate `params` with the connector's Params model, as a recipe would, and fetch."""
    cls = registry.connector(name)
    context = SourceContext(sources_dir=Path(sources_dir), timeout=timeout, environ=environ or {},
                            max_bytes=max_bytes)
    return cls(cls.Params.model_validate(params), context).fetch()
