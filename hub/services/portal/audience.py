"""Who the visitor is, as far as the portal's pages care: workspace or not, which dashboards.

Both read the hub's user model (``name``, ``admin``, ``groups``: the 'identify' scopes of the
visitor's OAuth token), and each rule lives in one function here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Protocol

log = logging.getLogger("agora.portal")

def may_have_workspace(user: dict, groups=None, users=()) -> bool:
    """True for hub admins, `users` and members of `groups` (the settings'
    spawner.workspace_groups and workspace_users; default: the settings' defaults)."""
    from hub.config.settings import SpawnerSettings
    from hub.workspaces.access import holds_workspace

    groups = SpawnerSettings().workspace_groups if groups is None else groups
    return holds_workspace(user, groups, users)


class Publication(Protocol):
    """What the portal reads of a published dashboard (hub/services/dashboards/publications.py)."""

    name: str
    title: str
    version: Any
    published_at: Any
    publisher: str


@dataclass(frozen=True)
class DashboardLink:
    title: str
    url: str
    version: str
    published_at: Any
    publisher: str


def _url(publication) -> str:
    for attribute in ("url_path", "url", "path"):
        value = getattr(publication, attribute, None)
        if value:
            return str(value)
    return ""


def published_to(username: str, groups) -> list:
    """The publication store's `visible_to`, once it exists; until then no dashboard."""
    try:
        from hub.services.dashboards.publications import visible_to
    except ImportError:
        return []
    return list(visible_to(username, list(groups)))


def dashboards_for(user: dict) -> list[DashboardLink]:
    """The visitor's dashboards, newest first; [] when the store cannot be read (logged)."""
    try:
        found = published_to(user["name"], user.get("groups") or ())
    except Exception:  # a broken store must not take the portal's home page down
        log.exception("cannot list the dashboards of %s", user.get("name"))
        return []
    links = [DashboardLink(p.title, _url(p), str(p.version), p.published_at, p.publisher)
             for p in found]
    return sorted(links, key=lambda d: str(d.published_at), reverse=True)
