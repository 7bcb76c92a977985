"""The publication store: published dashboards as immutable, numbered notebook versions.

Layout, under ``<data_dir>/dashboards/`` (mode 700, the hub's account only)::

    <name>/v<N>.ipynb      the notebook as published, outputs stripped (never rewritten)
    <name>/v<N>.json       its record: title, publisher, time, groups, sha256 of v<N>.ipynb
    <name>/current.json    {"version": N} or {"version": null} once unpublished
    <name>/history.jsonl   one line per publish, unpublish and rollback (who, when, what)

A version file is created with a hard link from a temporary file, so it can never be
replaced; `current.json` is replaced atomically (temporary file + rename). Unpublishing and
rolling back only move `current.json`: every earlier version stays on disk.

Who may open a publication: members of one of its groups, and its publisher
(:meth:`PublicationStore.visible_to`, :meth:`PublicationStore.find_visible`); everyone else
gets the same answer as for an unknown name (None).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from hub.pipeline.store_files import atomic_write_bytes

NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
GROUP = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,99}$")
SERVICE_PATH = "services/dashboards/"


class PublishError(ValueError):
    """A publication refused; the message names the file or name, the cause and the fix."""


@dataclass(frozen=True)
class Publication:
    """One version of a published dashboard, as the portal and the dashboards service see it."""

    name: str
    title: str
    version: int
    published_at: str  # ISO 8601, UTC
    publisher: str
    groups: tuple[str, ...]
    sha256: str  # of the stored notebook (outputs stripped)

    @property
    def url_path(self) -> str:
        """Where it opens, relative to the hub's base URL (e.g. ``/agora/``)."""
        return f"{SERVICE_PATH}d/{self.name}/"

    def visible_to(self, username: str, groups: Iterable[str]) -> bool:
        return username == self.publisher or bool(set(groups) & set(self.groups))

    def record(self) -> dict:
        return {**asdict(self), "groups": list(self.groups)}

    @classmethod
    def from_record(cls, record: dict) -> Publication:
        return cls(**{**record, "groups": tuple(record["groups"])})


def name_from(path: Path) -> str:
    """A publication name from a notebook's file name: 'EV & fibre.ipynb' -> 'ev-fibre'."""
    return re.sub(r"[^a-z0-9]+", "-", path.stem.lower()).strip("-")[:63] or "dashboard"


def read_notebook(path: Path) -> dict:
    """The notebook at `path` as nbformat 4 JSON, or PublishError naming the file and the fix."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PublishError(f"{path}: cannot read the notebook ({exc}); give the path of an "
                           ".ipynb file") from None
    try:
        notebook = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PublishError(f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: "
                           f"{exc.msg}); open it in JupyterLab and save it again") from None
    return checked_notebook(notebook, str(path))


def checked_notebook(notebook, where: str) -> dict:
    """`notebook` if it is nbformat 4 JSON (a dict with a list of cells, each a dict with a
    cell_type), else PublishError naming `where`, the problem and the fix."""
    major = notebook.get("nbformat") if isinstance(notebook, dict) else None
    if major != 4 or not isinstance(notebook.get("cells"), list):
        raise PublishError(f"{where}: not an nbformat 4 notebook (nbformat: {major!r}); convert "
                           "it with `jupyter nbconvert --to notebook --nbformat 4` or save it "
                           "from JupyterLab")
    bad = [i for i, c in enumerate(notebook["cells"])
           if not isinstance(c, dict) or not isinstance(c.get("cell_type"), str)]
    if bad:
        raise PublishError(f"{where}: cell {bad[0]} is not a notebook cell (an object with a "
                           "cell_type); save the notebook from JupyterLab again")
    return notebook


def stripped(notebook: dict) -> dict:
    """The notebook without outputs, execution counts or saved widget state: the viewer's
    own run makes them, under the viewer's rights."""
    cells = []
    for cell in notebook["cells"]:
        cell = dict(cell)
        if cell.get("cell_type") == "code":
            cell.update(outputs=[], execution_count=None)
        cells.append(cell)
    metadata = {k: v for k, v in (notebook.get("metadata") or {}).items() if k != "widgets"}
    return {**notebook, "cells": cells, "metadata": metadata}


def canonical_bytes(notebook: dict) -> bytes:
    return (json.dumps(notebook, indent=1, ensure_ascii=False, sort_keys=True) + "\n").encode()


def check_groups(groups: Iterable[str]) -> tuple[str, ...]:
    groups = tuple(dict.fromkeys(groups))
    if not groups:
        raise PublishError("no group given: name who may open it, e.g. --to officials")
    bad = [g for g in groups if not GROUP.match(g)]
    if bad:
        raise PublishError(f"not a group name: {', '.join(map(repr, bad))}; use the hub's group "
                           "names, e.g. --to officials commune-99101")
    return groups


def check_name(name: str) -> str:
    if not NAME.match(name):
        raise PublishError(f"not a dashboard name: {name!r}; use lower-case letters, digits and "
                           "dashes, e.g. --name territory-kpis")
    return name


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


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


class PublicationStore:
    """Publish, list, unpublish and roll back dashboards in one folder (see the module doc)."""

    def __init__(self, root: Path):
        self.root = Path(root)

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> PublicationStore:
        return cls(Path(data_dir) / "dashboards")

    # -- reading -----------------------------------------------------------------------------

    def names(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if p.is_dir() and NAME.match(p.name))

    def versions(self, name: str) -> list[Publication]:
        """Every version of `name`, oldest first ([] for an unknown name)."""
        folder = self._folder(name)
        if folder is None:
            return []
        found = []
        for path in folder.glob("v*.json"):
            if re.fullmatch(r"v\d+\.json", path.name):
                found.append(Publication.from_record(json.loads(path.read_text())))
        return sorted(found, key=lambda p: p.version)

    def current(self, name: str) -> Publication | None:
        """The version being served, or None (unknown or unpublished)."""
        folder = self._folder(name)
        if folder is None or not (folder / "current.json").exists():
            return None
        version = json.loads((folder / "current.json").read_text()).get("version")
        if version is None:
            return None
        return Publication.from_record(json.loads((folder / f"v{version}.json").read_text()))

    def published(self) -> list[Publication]:
        """The current version of every publication being served, by name."""
        return [p for p in map(self.current, self.names()) if p is not None]

    def visible_to(self, username: str, groups: Iterable[str]) -> list[Publication]:
        """What this user may open: current versions shared with one of their groups, or
        published by them."""
        groups = set(groups)
        return [p for p in self.published() if p.visible_to(username, groups)]

    def find_visible(self, name: str, username: str, groups: Iterable[str]) -> Publication | None:
        """The publication `name` if this user may open it; None for unknown, unpublished and
        not shared alike."""
        publication = self.current(name) if NAME.match(name or "") else None
        if publication is None or not publication.visible_to(username, groups):
            return None
        return publication

    def notebook_path(self, publication: Publication) -> Path:
        return self.root / publication.name / f"v{publication.version}.ipynb"

    def history(self, name: str) -> list[dict]:
        folder = self._folder(name)
        log = folder / "history.jsonl" if folder else None
        if log is None or not log.exists():
            return []
        return [json.loads(line) for line in log.read_text().splitlines() if line.strip()]

    # -- writing -----------------------------------------------------------------------------

    def publish(self, notebook_path: Path, groups: Iterable[str], publisher: str,
                title: str | None = None, name: str | None = None) -> Publication:
        """A new version of the notebook (outputs stripped), served from now on."""
        notebook_path = Path(notebook_path)
        notebook = read_notebook(notebook_path)
        name = name or name_from(notebook_path)
        title = title or self._title_of(name) or notebook_path.stem.replace("-", " ").strip()
        return self.publish_notebook(notebook, groups, publisher, title, name)

    def publish_notebook(self, notebook: dict, groups: Iterable[str], publisher: str,
                         title: str | None, name: str) -> Publication:
        """A new version of `notebook` (nbformat 4 JSON, e.g. sent to the publish API)."""
        name = check_name(name)
        content = canonical_bytes(stripped(checked_notebook(notebook, name)))
        groups = check_groups(groups)
        folder = self._make_folder(name)
        title = title or self._title_of(name) or name.replace("-", " ").strip()
        version = self._last_version(folder)
        for _attempt in range(1000):  # another publisher may take a number meanwhile
            version += 1
            if create_once(folder / f"v{version}.ipynb", content):
                break
        else:
            raise PublishError(f"{name}: no free version number in {folder}; check the folder")
        publication = Publication(name, title, version, now(), publisher, groups,
                                  hashlib.sha256(content).hexdigest())
        atomic_write_bytes(folder / f"v{version}.json",
                         json.dumps(publication.record(), indent=1).encode())
        self._serve(name, version, "publish", publisher)
        return publication

    def unpublish(self, name: str, by: str) -> None:
        if self.current(name) is None:
            raise PublishError(f"no published dashboard named {name!r}; see `agora dashboards`")
        self._serve(name, None, "unpublish", by)

    def rollback(self, name: str, by: str, version: int | None = None) -> Publication:
        """Serve an earlier version again: `version`, or the one before the current one."""
        versions = {p.version: p for p in self.versions(name)}
        if not versions:
            raise PublishError(f"no dashboard named {name!r}; see `agora dashboards`")
        if version is None:
            current = self.current(name)
            earlier = [v for v in versions if current is None or v < current.version]
            if not earlier:
                raise PublishError(f"{name!r} has no version before v{current.version}; give "
                                   "a version, see `agora dashboards " + name + "`")
            version = max(earlier)
        if version not in versions:
            raise PublishError(f"{name!r} has no version {version} (versions: "
                               f"{', '.join(map(str, sorted(versions)))})")
        self._serve(name, version, "rollback", by)
        return versions[version]

    # -- internals ---------------------------------------------------------------------------

    @staticmethod
    def _last_version(folder: Path) -> int:
        """The highest version number of a notebook or a record in `folder` (a publish killed
        between the two leaves a notebook alone: its number is taken too)."""
        numbers = [int(f.stem[1:]) for f in folder.glob("v*.*")
                   if f.suffix in (".ipynb", ".json") and f.stem[1:].isdigit()]
        return max(numbers, default=0)

    def _folder(self, name: str) -> Path | None:
        folder = self.root / name
        return folder if NAME.match(name or "") and folder.is_dir() else None

    def _make_folder(self, name: str) -> Path:
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        folder = self.root / name
        folder.mkdir(mode=0o700, exist_ok=True)
        return folder

    def _title_of(self, name: str) -> str | None:
        versions = self.versions(name)
        return versions[-1].title if versions else None

    def _serve(self, name: str, version: int | None, action: str, by: str) -> None:
        folder = self.root / name
        atomic_write_bytes(folder / "current.json", json.dumps({"version": version}).encode())
        event = {"action": action, "version": version, "by": by, "at": now()}
        with open(folder / "history.jsonl", "a", encoding="utf-8") as log:
            log.write(json.dumps(event) + "\n")
