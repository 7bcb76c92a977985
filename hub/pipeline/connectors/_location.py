"""Where a file source lives (`path` under the sources folder, or an http(s) `url`) and its bytes.

Relative paths are resolved against ``SourceContext.sources_dir`` and may not climb out of it
with ``..``; absolute paths are allowed (an administrator wrote the recipe). The check is
lexical on purpose: an administrator may symlink a mounted share into the sources folder.
Only http and https URLs are accepted: ``file://`` would bypass the path rules.
Compressed bytes (gzip, bzip2, xz, zstd, a zip of one file or `member`) are inflated here,
within the same size limit (_compressed.py); the fingerprint is the inflated bytes'.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator

from ..interfaces import ByteBudget, Params, SourceContext, SourceError
from ._compressed import decompress
from ._http import http_get


class FileLocation(Params):
    path: str | None = None
    url: str | None = None
    allow_empty: bool = False
    member: str | None = Field(None, description="the file to read in a zip archive holding "
                               "several, e.g. export/communes.csv")

    @field_validator("path")
    @classmethod
    def _no_escape(cls, value: str | None) -> str | None:
        if value is not None and not os.path.isabs(value):
            normalised = os.path.normpath(value)
            if normalised == ".." or normalised.startswith(".." + os.sep):
                raise ValueError(f"{value!r} climbs out of the sources folder; use a path inside it")
        return value

    @field_validator("url")
    @classmethod
    def _http_only(cls, value: str | None) -> str | None:
        if value is not None and urlsplit(value).scheme not in ("http", "https"):
            raise ValueError(f"{value!r}: only http:// and https:// URLs are allowed (use `path`)")
        return value

    @model_validator(mode="after")
    def _exactly_one(self):
        if (self.path is None) == (self.url is None):
            raise ValueError("give exactly one of `path` (under the sources folder) or `url`")
        return self

    def label(self) -> str:
        return self.url or self.path or "?"


def read_location(params: FileLocation, context: SourceContext,
                  unzip: bool = True) -> tuple[bytes, dict]:
    """Return (bytes, details) for a path or URL, inflated when compressed (a zip only when
    `unzip`); empty sources are errors unless allowed."""
    if params.url:
        data = http_get(params.url, source=params.url, timeout=context.timeout,
                        budget=context.budget)
        details = {"url": params.url}
    else:
        file_path = resolve_path(params.path, context.sources_dir)
        data = _read_file(file_path, params.path, context.budget)
        details = {"path": str(file_path)}
    details["bytes"] = len(data)
    data, found = decompress(data, params.label(), context.budget.limit, params.member, unzip)
    if (not data or data.isspace()) and not params.allow_empty:
        raise SourceError(f"{params.label()}: the source is empty (0 bytes of data)")
    return data, {**details, **found}


def resolve_path(path: str, sources_dir: Path) -> Path:
    candidate = Path(path)
    return candidate if candidate.is_absolute() else Path(sources_dir) / candidate


def _read_file(file_path: Path, label: str, budget: ByteBudget) -> bytes:
    """The file's bytes; over the budget it is refused by its size, before it is read, or
    while it is read (a file still being written, a pipe)."""
    try:
        if budget.left is None:
            return file_path.read_bytes()
        budget.expect(file_path.stat().st_size, label)
        with open(file_path, "rb") as file:
            data = file.read(budget.left + 1)
        budget.take(len(data), label)
        return data
    except FileNotFoundError:
        raise SourceError(f"{label}: file not found ({file_path})") from None
    except OSError as exc:
        raise SourceError(f"{label}: cannot read {file_path}: {exc.strerror or exc}") from None
