"""The base handler every datasets-service endpoint derives from.

Authentication is JupyterHub's own :class:`~jupyterhub.services.auth.HubOAuthenticated`: a
token (``Authorization: token ...``, from notebooks, reports and scripts) or the OAuth cookie
(browsers). The user model is looked up once per request in :meth:`prepare`, asynchronously,
through ONE seam: the application setting ``user_model`` (an async ``handler -> dict | None``,
:func:`hub_user_model` by default); tests replace only that.

What a subclass gets: :attr:`caller` (the policy's :class:`Caller`), :attr:`registry`,
:meth:`resolve` (404 for unknown, denied, unserved or malformed ids alike), :meth:`run`
(a function in the query thread pool), JSON errors, and an audit record written in
:meth:`finish` for every request that set :attr:`audit_action`.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import re
from typing import Any

from jupyterhub.services.auth import HubOAuthenticated, UserNotAllowed
from tornado import web

from .. import audit
from ..read.query import QueryError
from ..read.registry import UNAVAILABLE, CatalogUnavailable, Resolved
from . import fair_use

log = logging.getLogger("agora.datasets")
DATASET_ID = re.compile(r"^[a-z][a-z0-9_]{1,62}$")  # as hub/pipeline/recipe.py
MAX_ID_ECHO = 100
# Every answer is one caller's (their rights, their rows, even their errors): no cache may
# store it, nor hand it to a request with other credentials (docs/datasets-api.md#caching).
CACHE_CONTROL = "private, no-store"
VARY = "Authorization, Cookie"
HUB_SESSION_COOKIE = "jupyterhub-session-id"  # set by the hub at login, on its base path


class ApiError(web.HTTPError):
    """An HTTP error with a JSON body (never details of the server side)."""

    def __init__(self, status: int, body: dict[str, Any]):
        super().__init__(status, reason=None)
        self.body = body


def not_found(dataset_id: str) -> ApiError:
    """The one answer for unknown, forbidden, unserved and malformed dataset ids."""
    return ApiError(404, {"error": "not found", "dataset": dataset_id[:MAX_ID_ECHO]})


async def hub_user_model(handler: DatasetsHandler) -> dict | None:
    """The hub's user model for this request (HubOAuth: token or cookie), scope-checked."""
    model = await handler.hub_auth.get_user(handler, sync=False)
    if not model:
        return None
    try:
        return handler.check_hub_user(model)  # the 'access:services!service=datasets' scope
    except UserNotAllowed:
        return None


def api(method):
    """Map CatalogUnavailable -> 503 and QueryError -> 400, with JSON bodies."""
    @functools.wraps(method)
    async def wrapper(self, *args, **kwargs):
        try:
            return await method(self, *args, **kwargs)
        except CatalogUnavailable:
            raise ApiError(503, {"error": UNAVAILABLE}) from None
        except QueryError as exc:
            raise ApiError(400, {"error": str(exc)}) from None
    return wrapper


class DatasetsHandler(HubOAuthenticated, web.RequestHandler):
    audit_action: str | None = None

    def initialize(self) -> None:
        if self.settings.get("hub_auth") is not None:
            self.hub_auth = self.settings["hub_auth"]
        self.audit_fields: dict[str, Any] = {}
        self.caller = None
        self.user_model: dict | None = None

    def set_default_headers(self) -> None:
        """Also run by tornado before an error answer, so errors carry them too."""
        self.set_header("Cache-Control", CACHE_CONTROL)
        self.set_header("Vary", VARY)

    @property
    def registry(self):
        return self.settings["registry"]

    @property
    def engine(self):
        return self.settings["engine"]

    @property
    def service_url(self) -> str:
        """The service's public base URL (scheme, host, prefix), ending with '/'."""
        return f"{self.request.protocol}://{self.request.host}{self.settings['prefix']}"

    async def prepare(self) -> None:
        self.user_model = await self.settings["user_model"](self)
        if self.user_model is None:
            self.refuse()
            return
        self.current_user = self.user_model
        if fair_use.refused_request(self):  # 429 over the caller's quota (fair_use.py)
            return
        self.caller = await self.settings["identity"].caller(self.user_model)

    def refuse(self) -> None:
        """No valid identity: 403 for a bad token; a browser (see wants_login_page) goes to
        the hub login; any other client (curl, pandas, GDAL) gets a JSON 401 saying how to send a
        token, never a login page it cannot read."""
        if self.request.headers.get("Authorization"):
            raise ApiError(403, self.how_to_authenticate(
                403, "invalid, expired or insufficient token"))
        if self.wants_login_page():
            self.redirect(self.get_login_url())  # HubOAuth: hub login, then back here
            return
        raise ApiError(401, self.how_to_authenticate(401, "authentication required"))

    def wants_login_page(self) -> bool:
        """A browser's GET or HEAD on a service that has HubOAuth: a page load (it asks for
        HTML), or a request that carries the hub's login session cookie without this
        service's yet (a download link, which asks for ``*/*``; a page's script). Programs
        send neither."""
        return (self.request.method in ("GET", "HEAD")
                and ("text/html" in self.request.headers.get("Accept", "")
                     or HUB_SESSION_COOKIE in self.request.cookies)
                and self.settings.get("hub_auth") is not None)

    def how_to_authenticate(self, status: int, error: str) -> dict[str, Any]:
        page = self.settings["token_page"]
        if page.startswith("/"):
            page = f"{self.request.protocol}://{self.request.host}{page}"
        return {"error": error, "status": status,
                "how": f"send `Authorization: token <TOKEN>`; make a token at {page}"}

    def resolve(self, dataset_id: str) -> Resolved:
        """The dataset for this caller, or the 404 that unknown datasets get."""
        self.audit_fields["dataset"] = dataset_id
        if not DATASET_ID.match(dataset_id):
            raise not_found(dataset_id)
        resolved = self.registry.resolve(self.caller, dataset_id)
        if resolved is None:
            raise not_found(dataset_id)
        return resolved

    async def run(self, function, *args):
        """Run a blocking function (DuckDB, files) in the query thread pool."""
        return await asyncio.get_running_loop().run_in_executor(self.engine.executor, function,
                                                                *args)

    def write_json(self, body: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish(json.dumps(body, ensure_ascii=False, default=str))

    def write_error(self, status_code: int, **kwargs) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        body = getattr(exc, "body", None)
        if body is None:
            body = {"error": self._reason if status_code < 500 else "internal error"}
        self.clear_header("Content-Disposition")
        if status_code == 401:
            self.set_header("WWW-Authenticate", "token")
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish(json.dumps(body))

    def log_exception(self, typ, value, tb) -> None:
        if isinstance(value, ApiError):
            return  # expected answers, not server errors (and never logged with headers)
        super().log_exception(typ, value, tb)

    def finish(self, chunk=None):
        """Write the audit record before the response completes (a client that got its
        answer can rely on the record being there)."""
        if not self._finished:
            self.write_audit()
        return super().finish(chunk)

    def write_audit(self) -> None:
        if self.audit_action is None or self.user_model is None:
            return
        entry = audit.record(self.user_model.get("name"), self.audit_action, self.get_status(),
                             **self.audit_fields)
        try:
            self.settings["audit_log"].append(entry)
        except OSError:
            log.exception("cannot write the audit log")
