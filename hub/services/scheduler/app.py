"""The scheduler service's tornado application: the reports API and the OAuth callback.

:func:`make_app` takes its collaborators explicitly (the reports scheduler, the ``user_model``
seam), so tests build the real application; :func:`app_from_settings` is the production one,
with JupyterHub's HubOAuth (it reads the service environment the hub sets).
"""

from __future__ import annotations

import logging
import os

from jupyterhub.services.auth import HubOAuth, HubOAuthCallbackHandler
from tornado import web

from hub.reports.api import hub_user_model, routes

access_log = logging.getLogger("agora.scheduler.access")


def log_request(handler: web.RequestHandler) -> None:
    """Access log without the query string (an OAuth callback carries a code)."""
    status = handler.get_status()
    access_log.log(logging.INFO if status < 400 else logging.WARNING, "%d %s %s %.1fms", status,
                   handler.request.method, handler.request.path,
                   1000 * handler.request.request_time())


class OAuthCallbackHandler(HubOAuthCallbackHandler):
    def initialize(self) -> None:
        self.hub_auth = self.settings["hub_auth"]


class Index(web.RequestHandler):
    """The service's root: what it answers (no data, no login needed)."""

    def get(self):
        prefix = self.settings["prefix"]
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish({"service": "Agora scheduler: dataset refreshes and scheduled reports",
                     "api": [prefix + path for path in ("api/templates", "api/schedules",
                                                        "api/runs")]})


class NotFound(web.RequestHandler):
    def prepare(self):
        self.set_status(404)
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish('{"error": "not found"}')


def make_app(*, prefix: str, scheduler, settings, user_model=hub_user_model,
             hub_auth: HubOAuth | None = None) -> web.Application:
    prefix = prefix if prefix.endswith("/") else prefix + "/"
    r = settings.reports
    return web.Application(
        [(prefix, Index), *routes(prefix), (prefix + "oauth_callback", OAuthCallbackHandler)],
        prefix=prefix, scheduler=scheduler, user_model=user_model, hub_auth=hub_auth,
        templates_dir=settings.templates_dir, default_timezone=r.timezone,
        scheduler_groups=list(r.scheduler_groups),
        run_as_groups=[*r.run_as_groups, *r.scheduler_groups],
        cookie_secret=os.urandom(32), log_function=log_request, default_handler_class=NotFound)


def app_from_settings(settings, scheduler, environ) -> web.Application:
    base_url = environ.get("JUPYTERHUB_BASE_URL", settings.hub.base_url)
    return make_app(prefix=environ.get("JUPYTERHUB_SERVICE_PREFIX",
                                       base_url + "services/scheduler/"),
                    scheduler=scheduler, settings=settings,
                    hub_auth=HubOAuth(cache_max_age=settings.services.auth_cache_seconds))
