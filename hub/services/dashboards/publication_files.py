"""The publication store's default shelf: one folder per dashboard under
``<data_dir>/dashboards/`` (mode 700, the hub's account only)::

    <name>/v<N>.ipynb      the notebook as published, outputs stripped (never rewritten)
    <name>/v<N>.json       its record: title, publisher, time, groups, sha256 of v<N>.ipynb
    <name>/current.json    {"version": N} or {"version": null} once unpublished
    <name>/history.jsonl   one line per publish, unpublish and rollback (who, when, what)

A version file is created with a hard link from a temporary file, so it can never be
replaced; `current.json` is replaced atomically (temporary file + rename).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

from hub.pipeline.store_files import atomic_write_bytes

VERSION_RECORD = re.compile(r"v\d+\.json")


def create_once(path: Path, data: bytes) -> bool:
    """Write `path` complete or not at all, never over an existing file (False if it exists)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.link(tmp, path)
        return True
    except FileExistsError:
        return False
    finally:
        Path(tmp).unlink(missing_ok=True)


class PublicationFiles:
    """Versions, current pointers and histories in `root` (see the module doc)."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def names(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if p.is_dir())

    def records(self, name: str) -> list[dict]:
        folder = self.root / name
        return [json.loads(path.read_text()) for path in folder.glob("v*.json")
                if VERSION_RECORD.fullmatch(path.name)]

    def current_record(self, name: str) -> dict | None:
        """The record of the version served (None: unknown or unpublished)."""
        pointer = self.root / name / "current.json"
        version = json.loads(pointer.read_text()).get("version") if pointer.exists() else None
        if version is None:
            return None
        return json.loads((self.root / name / f"v{version}.json").read_text())

    def served(self) -> list[dict]:
        """The records of the versions served, by name."""
        return [r for r in map(self.current_record, self.names()) if r is not None]

    def history(self, name: str) -> list[dict]:
        log = self.root / name / "history.jsonl"
        if not log.exists():
            return []
        return [json.loads(line) for line in log.read_text().splitlines() if line.strip()]

    def notebook_file(self, name: str, version: int, sha256: str) -> Path:
        return self.root / name / f"v{version}.ipynb"

    def add(self, name: str, content: bytes, record_for: Callable[[int], dict],
            event: dict) -> dict | None:
        """Store `content` as the next free version of `name` and serve it; its record, or
        None when no number could be taken."""
        folder = self._make_folder(name)
        version = self._last_version(folder)
        for _attempt in range(1000):  # another publisher may take a number meanwhile
            version += 1
            if create_once(folder / f"v{version}.ipynb", content):
                break
        else:
            return None
        record = record_for(version)
        atomic_write_bytes(folder / f"v{version}.json", json.dumps(record, indent=1).encode())
        self.serve(name, version, {**event, "version": version})
        return record

    def serve(self, name: str, version: int | None, event: dict) -> None:
        folder = self.root / name
        atomic_write_bytes(folder / "current.json", json.dumps({"version": version}).encode())
        with open(folder / "history.jsonl", "a", encoding="utf-8") as log:
            log.write(json.dumps(event) + "\n")

    @staticmethod
    def _last_version(folder: Path) -> int:
        """The highest version number of a notebook or a record in `folder` (a publish killed
        between the two leaves a notebook alone: its number is taken too)."""
        numbers = [int(f.stem[1:]) for f in folder.glob("v*.*")
                   if f.suffix in (".ipynb", ".json") and f.stem[1:].isdigit()]
        return max(numbers, default=0)

    def _make_folder(self, name: str) -> Path:
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        folder = self.root / name
        folder.mkdir(mode=0o700, exist_ok=True)
        return folder
