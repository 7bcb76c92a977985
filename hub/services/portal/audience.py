"""Who the visitor is, as far as the portal's pages care: workspace or not, which dashboards,
which alerts they were told of.

Both read the hub's user model (``name``, ``admin``, ``groups``: the 'identify' scopes of the
visitor's OAuth token), and each rule lives in one function here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("agora.portal")

def may_have_workspace(user: dict, groups=None, users=()) -> bool:
    """True for hub admins, `users` and members of `groups` (the settings'
    spawner.workspace_groups and workspace_users; default: the settings' defaults)."""
    from hub.config.settings import SpawnerSettings
    from hub.workspaces.access import holds_workspace

    groups = SpawnerSettings().workspace_groups if groups is None else groups
    return holds_workspace(user, groups, users)


@dataclass(frozen=True)
class DashboardLink:
    title: str
    url: str
    version: str
    published_at: Any
    publisher: str


def published_to(store, username: str, groups) -> list:
    """The dashboards of the publication store (hub/services/dashboards/publications.py)
    that `username` in `groups` may open; none without a store."""
    return [] if store is None else list(store.visible_to(username, list(groups)))


def dashboards_for(user: dict, store=None, base_url: str = "/") -> list[DashboardLink]:
    """The visitor's dashboards, newest first, with their URL under `base_url` (the hub's
    base URL on the dashboards' own origin); [] when the store cannot be read (logged)."""
    try:
        found = published_to(store, user["name"], user.get("groups") or ())
    except Exception:  # a broken store must not take the portal's home page down
        log.exception("cannot list the dashboards of %s", user.get("name"))
        return []
    links = [DashboardLink(p.title, base_url + p.url_path, str(p.version), p.published_at,
                           p.publisher) for p in found]
    return sorted(links, key=lambda d: str(d.published_at), reverse=True)


@dataclass(frozen=True)
class AlertLine:
    title: str
    dataset: str
    opened_at: str
    closed_at: str | None


def alerts_for(user: dict, store=None, lang: str = "fr", limit: int = 20) -> list[AlertLine]:
    """The alerts the visitor was told of (hub/alerts: delivery checked their rights), one
    line per episode, open ones first, newest first; [] without a store or when it fails."""
    if store is None:
        return []
    try:
        told = store.notices_for(user["name"], limit=limit * 2)
    except Exception:  # a broken alert store must not take the home page down
        log.exception("cannot list the alerts of %s", user.get("name"))
        return []
    lines = {}
    for _, e in told:
        lines.setdefault(e.id, AlertLine(e.title.get(lang) or e.title.get("fr", ""), e.dataset,
                                         e.opened_at, e.closed_at))
    ordered = sorted(lines.values(), key=lambda a: a.opened_at, reverse=True)
    return sorted(ordered, key=lambda a: a.closed_at is not None)[:limit]
