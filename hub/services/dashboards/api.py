"""The publish API: analysts publish from their workspace (widgets.PublishPanel), no terminal.

Under the service prefix (``/services/dashboards/``)::

    GET  api/publications                   who you are, whether you may publish, the groups
                                            to offer, the dashboards you may open, your own
    POST api/publications                   {"notebook": {...nbformat 4...}, "name": "...",
                                            "title": "...", "groups": ["officials", ...]}
                                            (no name: from "file", the notebook's file name)
    POST api/publications/<name>/unpublish
    POST api/publications/<name>/rollback   {"version": N} or {} (the one before)

Rules, in this order (:func:`refusal`), all answered as JSON ``{"error": "..."}``:

1. a hub token in the ``Authorization: token ...`` header, and nothing else: a browser's
   cookie is refused (401) for every method, so there is no cross-site request to forge and
   no XSRF check to pass (a page on another site cannot set that header without a CORS
   preflight, which this service never allows);
2. writing needs a workspace (hub.workspaces.access.holds_workspace with the settings'
   spawner.workspace_groups/users): viewers (officials, partners) get 403;
3. writing needs a workspace *token* (one with an ``access:servers`` scope: the server's
   $JUPYTERHUB_API_TOKEN, or a token the user made): the OAuth token a dashboard kernel holds
   for its viewer has none, so a dashboard opened by an analyst cannot publish as them (403);
4. a name already published by someone else stays theirs (403), except for hub admins.

The publisher recorded is the token's owner, never a field of the request. Groups follow the
store's name rule (publications.check_groups); the service has no hub role, so it cannot list
the hub's groups: ``targets`` offers the settings' known groups and those already published to.
"""

from __future__ import annotations

import json
from pathlib import PurePosixPath

from jupyter_server.auth.decorator import allow_unauthenticated
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join
from tornado import web

from hub.services.json_body import json_object
from hub.workspaces.access import holds_workspace

from .access import viewer_groups
from .publications import Publication, PublicationStore, PublishError, name_from

MAX_BODY_BYTES = 20 * 1024 * 1024  # a notebook without outputs is rarely above 1 MB
NO_TOKEN = ("this API takes your hub token in an 'Authorization: token ...' header (in a "
            "workspace: $JUPYTERHUB_API_TOKEN), not a browser session")
NOT_A_PUBLISHER = ("only users with a workspace (analysts) publish dashboards; ask an "
                   "analyst to publish this for you")
NOT_A_WORKSPACE_TOKEN = ("publish from your workspace, with its token ($JUPYTERHUB_API_TOKEN): "
                         "this token (a dashboard's, or one without workspace access) may not "
                         "publish")


def hub_model(user) -> dict:
    """The hub's user model behind a jupyter_server user (name, groups; admin if known)."""
    return dict(getattr(user, "hub_user", None) or {"name": user.username})


def may_publish(model: dict, publishers: tuple) -> bool:
    groups, users = publishers
    return holds_workspace(model, groups, users)


def workspace_token(model: dict) -> bool:
    """Whether the caller's token reaches workspaces (an ``access:servers`` scope, any filter)."""
    return any(scope.split("!")[0] == "access:servers" for scope in model.get("scopes") or ())


def owned_by_other(store: PublicationStore, name: str, model: dict) -> str | None:
    """The publisher who holds `name` when it is not this user (None: free, theirs, admin)."""
    publishers = {p.publisher for p in store.versions(name)}
    if not publishers or model.get("name") in publishers or model.get("admin"):
        return None
    return sorted(publishers)[0]


def described(p: Publication, prefix: str) -> dict:
    return {**p.record(), "url": url_path_join(prefix, f"d/{p.name}/")}


class PublicationsAPI(APIHandler):
    """Base of the API's handlers: token-only identity, JSON in and out."""

    def check_xsrf_cookie(self):
        """No XSRF check: cookies are refused (module docstring, rule 1)."""

    async def prepare(self):
        await super().prepare()
        if not self.request.headers.get("Authorization") or self.get_query_argument("token", ""):
            raise web.HTTPError(401, NO_TOKEN)
        if self.current_user is None or not getattr(self, "_token_authenticated", False):
            raise web.HTTPError(401, "your token was refused (expired, or without access to "
                                "the dashboards service): " + NO_TOKEN)

    def write_error(self, status_code, **kwargs):
        error = kwargs.get("exc_info", (None, None, None))[1]
        message = getattr(error, "log_message", None) or self._reason
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish(json.dumps({"error": message, "status": status_code}))

    @property
    def store(self) -> PublicationStore:
        return self.settings["publications"]

    @property
    def caller(self) -> dict:
        return hub_model(self.current_user)

    @property
    def prefix(self) -> str:
        """Where browsers open dashboards (their own origin), else this service's path."""
        return self.settings.get("dashboards_url") or self.base_url

    def require_publisher(self, name: str | None = None) -> dict:
        model = self.caller
        if not may_publish(model, self.settings.get("publishers", ((), ()))):
            raise web.HTTPError(403, NOT_A_PUBLISHER)
        if not workspace_token(model):
            raise web.HTTPError(403, NOT_A_WORKSPACE_TOKEN)
        holder = owned_by_other(self.store, name, model) if name else None
        if holder:
            raise web.HTTPError(403, f"{name!r} is published by {holder}: choose another "
                                "name, or ask them to publish the new version")
        return model

    def body(self) -> dict:
        return json_object(self.request.body, MAX_BODY_BYTES,
                           f"request above {MAX_BODY_BYTES // 2**20} MB: clear the "
                           "notebook's outputs and publish again")

    def answer(self, value: dict, status: int = 200) -> None:
        self.set_status(status)
        self.finish(json.dumps(value))


def text_field(body: dict, key: str, required: bool = False, limit: int = 200) -> str | None:
    value = body.get(key)
    if value is None or value == "":
        if required:
            raise web.HTTPError(400, f"'{key}' is missing")
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise web.HTTPError(400, f"'{key}' must be a text of at most {limit} characters")
    return value.strip()


def default_name(body: dict) -> str:
    """The store's name for the notebook's file name (`file`), as `agora publish` makes it."""
    file = text_field(body, "file", limit=255)
    if not file:
        raise web.HTTPError(400, "'name' is missing (or give 'file', the notebook's file name)")
    return name_from(PurePosixPath(file))


def group_list(body: dict) -> list[str]:
    groups = body.get("groups")
    if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
        raise web.HTTPError(400, "'groups' must be a list of hub group names, e.g. "
                            '["officials"]')
    return [g.strip() for g in groups if g.strip()]


class PublicationsHandler(PublicationsAPI):
    """GET: what the caller may open and what they published; POST: publish."""

    @allow_unauthenticated  # identity: token only, checked in prepare (never a redirect)
    async def get(self):
        model = self.caller
        name, groups = model.get("name"), viewer_groups(self.current_user)
        visible = self.store.visible_to(name, groups)
        mine = [n for n in self.store.names()
                if any(p.publisher == name for p in self.store.versions(n))]
        known = {g for p in self.store.published() for g in p.groups}
        targets = sorted({*self.settings.get("publish_targets", ()), *known, *groups})
        self.answer({
            "user": name,
            "may_publish": may_publish(model, self.settings.get("publishers", ((), ()))),
            "targets": targets,
            "publications": [described(p, self.prefix) for p in visible],
            "mine": [self.own(n) for n in mine]})

    def own(self, name: str) -> dict:
        current = self.store.current(name)
        return {"name": name, "current": current.version if current else None,
                "versions": [p.record() for p in self.store.versions(name)]}

    @allow_unauthenticated
    async def post(self):
        body = self.body()
        name = text_field(body, "name", limit=63) or default_name(body)
        model = self.require_publisher(name)
        notebook = body.get("notebook")
        if isinstance(notebook, str):  # the .ipynb file's text, as read from disk
            try:
                notebook = json.loads(notebook)
            except json.JSONDecodeError as exc:
                raise web.HTTPError(400, f"'notebook' is not valid JSON (line {exc.lineno}, "
                                    f"column {exc.colno}: {exc.msg})") from None
        try:
            p = self.store.publish_notebook(notebook, group_list(body), model["name"],
                                            text_field(body, "title"), name)
        except PublishError as exc:
            raise web.HTTPError(400, str(exc)) from None
        self.log.info("dashboard %s v%s published by %s to %s", p.name, p.version,
                      p.publisher, ",".join(p.groups))
        self.answer(described(p, self.prefix), 201)


class UnpublishHandler(PublicationsAPI):
    @allow_unauthenticated
    async def post(self, name):
        model = self.require_publisher(name)
        try:
            self.store.unpublish(name, model["name"])
        except PublishError as exc:
            raise web.HTTPError(404, str(exc)) from None
        self.answer({"name": name, "current": None})


class RollbackHandler(PublicationsAPI):
    @allow_unauthenticated
    async def post(self, name):
        version = self.body().get("version")
        if version is not None and (not isinstance(version, int) or isinstance(version, bool)):
            raise web.HTTPError(400, "'version' must be a version number, e.g. 2")
        model = self.require_publisher(name)
        try:
            p = self.store.rollback(name, model["name"], version)
        except PublishError as exc:
            raise web.HTTPError(404 if not self.store.versions(name) else 400, str(exc)) from None
        self.answer(described(p, self.prefix))


def api_handlers(base: str) -> list[tuple]:
    """The API's routes under the service prefix `base`."""
    name = r"(?P<name>[a-z0-9][a-z0-9-]{0,62})"
    return [(url_path_join(base, "/api/publications/?"), PublicationsHandler),
            (url_path_join(base, f"/api/publications/{name}/unpublish"), UnpublishHandler),
            (url_path_join(base, f"/api/publications/{name}/rollback"), RollbackHandler)]
