"""Who gets a workspace, and where people land, as JupyterHub roles and scopes.

Every user holds JupyterHub's default `user` role, which Agora redefines without the `servers`
and `access:servers` scopes that JupyterHub's `self` carries: reading one's own model, tokens
and activity only, so that a viewer (an elected official, a partner) can read dashboards and
call services but never start a JupyterLab server. The `workspace` role adds starting,
stopping and opening one's own server, for the groups and users the settings name
(`spawner.workspace_groups`, `spawner.workspace_users`); hub admins start servers through
JupyterHub's own `admin` role. JupyterHub then refuses a viewer's /hub/spawn and server API
calls with 403 and their /user/<name>/ pages with 404, and Agora's templates
(hub/templates/error.html, home.html) word those refusals politely, in French and English.

Where people land after login (`JupyterHub.default_url`, :func:`landing_url`): their
workspace when they may have one, otherwise the portal once it runs (:data:`PORTAL_PATH`),
until then the hub's home page, which says what their account gives.
"""

from __future__ import annotations

WORKSPACE_ROLE = "workspace"
PORTAL_SERVICE = "portal"
PORTAL_PATH = f"services/{PORTAL_SERVICE}/"  # the portal's URL under the hub's base URL

# `self` without `servers` and `access:servers` (jupyterhub/scopes.py, _expand_self_scope)
VIEWER_SCOPES = ["read:users!user", "read:servers!user", "users:activity!user", "tokens!user",
                 "read:shares!user", "users:shares!user"]
WORKSPACE_SCOPES = ["servers!user", "access:servers!user"]


def workspace_roles(groups, users) -> list[dict]:
    """The redefined `user` role of everyone, and the `workspace` role of `groups`/`users`."""
    everyone = {"name": "user", "scopes": list(VIEWER_SCOPES),
                "description": "Every user: their own model, tokens and activity; no workspace"}
    workspace = {"name": WORKSPACE_ROLE, "scopes": list(WORKSPACE_SCOPES),
                 "description": "Start, stop and open one's own workspace (JupyterLab)",
                 "groups": sorted(groups), "users": sorted(users)}
    return [everyone, workspace]


def holds_workspace(user: dict, groups, users) -> bool:
    """The same rule from a hub user model (name, admin, groups), for services: hub admins,
    `users`, and members of `groups` have a workspace."""
    return (bool(user.get("admin")) or user.get("name") in set(users)
            or bool(set(groups) & set(user.get("groups") or ())))


def may_start_workspace(user) -> bool:
    """Whether the hub user may start their own server (workspace role, or admin), from
    their roles: right after the login form, the request's own scopes are still anonymous."""
    from jupyterhub.scopes import get_scopes_for

    scopes = get_scopes_for(user)
    return f"start:servers!user={user.name}" in scopes or "start:servers" in scopes


def landing_url(handler) -> str:
    """`JupyterHub.default_url`: '' (JupyterHub's default: the user's own workspace) for
    workspace holders and anonymous visitors; the portal, else the hub's home, for viewers."""
    user = handler.current_user
    if user is None or may_start_workspace(user):
        return ""
    if PORTAL_SERVICE in handler.services:
        return handler.base_url + PORTAL_PATH
    return handler.hub.base_url + "home"
