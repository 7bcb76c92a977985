"""The publication store: published dashboards as immutable, numbered notebook versions.

Each version is the notebook as published (outputs stripped) and its record (title,
publisher, time, groups, sha256); a pointer names the version being served, and a history
keeps every publish, unpublish and rollback. A version is never rewritten: unpublishing
and rolling back only move the pointer. Where they are kept, the store's *shelf*:
files under ``<data_dir>/dashboards/`` by default (publication_files.py), the state
database every replica shares when ``hub.state_db_url`` is set (publication_tables.py).
The checks and the access rules below are the same for both.

Who may open a publication: members of one of its groups, and its publisher
(:meth:`PublicationStore.visible_to`, :meth:`PublicationStore.find_visible`); everyone else
gets the same answer as for an unknown name (None).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from .publication_files import PublicationFiles

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


class PublicationStore:
    """Publish, list, unpublish and roll back dashboards (see the module doc). `root`: the
    folder the dashboards service serves notebooks from (the files themselves, or the
    cache of the database's); `shelf`: where they are kept (default: files in `root`)."""

    def __init__(self, root: Path, shelf=None):
        self.root = Path(root)
        self.shelf = shelf or PublicationFiles(self.root)

    @classmethod
    def in_data_dir(cls, data_dir: Path, state_db_url: str | None = None) -> PublicationStore:
        """Files in ``<data_dir>/dashboards``, or the database at `state_db_url` with its
        notebooks cached in ``<data_dir>/dashboard-cache``."""
        if not state_db_url:
            return cls(Path(data_dir) / "dashboards")
        from .publication_tables import PublicationTables

        cache = Path(data_dir) / "dashboard-cache"
        return cls(cache, PublicationTables(state_db_url, cache))

    @classmethod
    def from_settings(cls, settings) -> PublicationStore:
        return cls.in_data_dir(settings.hub.data_dir, settings.hub.state_db_url)

    # -- reading -----------------------------------------------------------------------------

    def names(self) -> list[str]:
        return [name for name in self.shelf.names() if NAME.match(name)]

    def versions(self, name: str) -> list[Publication]:
        """Every version of `name`, oldest first ([] for an unknown name)."""
        if not NAME.match(name or ""):
            return []
        found = map(Publication.from_record, self.shelf.records(name))
        return sorted(found, key=lambda p: p.version)

    def current(self, name: str) -> Publication | None:
        """The version being served, or None (unknown or unpublished)."""
        record = self.shelf.current_record(name) if NAME.match(name or "") else None
        return None if record is None else Publication.from_record(record)

    def published(self) -> list[Publication]:
        """The current version of every publication being served, by name."""
        return [Publication.from_record(r) for r in self.shelf.served() if NAME.match(r["name"])]

    def visible_to(self, username: str, groups: Iterable[str]) -> list[Publication]:
        """What this user may open: current versions shared with one of their groups, or
        published by them."""
        groups = set(groups)
        return [p for p in self.published() if p.visible_to(username, groups)]

    def find_visible(self, name: str, username: str, groups: Iterable[str]) -> Publication | None:
        """The publication `name` if this user may open it; None for unknown, unpublished and
        not shared alike."""
        publication = self.current(name)
        if publication is None or not publication.visible_to(username, groups):
            return None
        return publication

    def notebook_path(self, publication: Publication) -> Path:
        """The version's notebook as a local file, under `root`."""
        return self.shelf.notebook_file(publication.name, publication.version,
                                        publication.sha256)

    def history(self, name: str) -> list[dict]:
        return self.shelf.history(name) if NAME.match(name or "") else []

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
        title = title or self._title_of(name) or name.replace("-", " ").strip()
        at, sha256 = now(), hashlib.sha256(content).hexdigest()

        def record_for(version: int) -> dict:
            return Publication(name, title, version, at, publisher, groups, sha256).record()

        record = self.shelf.add(name, content, record_for, self._event("publish", publisher, at))
        if record is None:
            raise PublishError(f"{name}: no free version number (another publisher took it); "
                               "publish again")
        return Publication.from_record(record)

    def unpublish(self, name: str, by: str) -> None:
        if self.current(name) is None:
            raise PublishError(f"no published dashboard named {name!r}; see `agora dashboards`")
        self.shelf.serve(name, None, {**self._event("unpublish", by), "version": None})

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
        self.shelf.serve(name, version, {**self._event("rollback", by), "version": version})
        return versions[version]

    # -- internals ---------------------------------------------------------------------------

    def _title_of(self, name: str) -> str | None:
        versions = self.versions(name)
        return versions[-1].title if versions else None

    @staticmethod
    def _event(action: str, by: str, at: str | None = None) -> dict:
        return {"action": action, "version": None, "by": by, "at": at or now()}
