"""The portal's tornado application.

:func:`make_app` wires the routes to explicit collaborators (the datasets client, the
``identify`` seam, see handlers.py), so tests build the real application with a test visitor
lookup. :func:`app_from_settings` builds the production one from the JupyterHub service
environment (JUPYTERHUB_SERVICE_PREFIX, JUPYTERHUB_BASE_URL, OAuth client settings, read by
HubOAuth itself) and the datasets service's loopback address from the settings.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from jupyterhub.services.auth import HubOAuth, HubOAuthCallbackHandler
from tornado import web

from hub.alerts.episodes import EpisodeStore
from hub.services.dashboards.publications import PublicationStore

from .datasets_client import DatasetsClient
from .handlers import CatalogHandler, DatasetHandler, HomeHandler, NotFoundHandler, hub_visitor
from .reports_page import ReportPdfHandler, ReportsHandler, ScheduleActionHandler
from .scheduler_client import SchedulerClient
from .tokens_page import TokensHandler

HERE = Path(__file__).parent
access_log = logging.getLogger("agora.portal.access")


def log_request(handler: web.RequestHandler) -> None:
    """Access log without the query string (the OAuth callback's carries a code)."""
    status = handler.get_status()
    level = logging.INFO if status < 400 else logging.WARNING
    access_log.log(level, "%d %s %s %.1fms", status, handler.request.method,
                   handler.request.path, 1000 * handler.request.request_time())


class OAuthCallbackHandler(HubOAuthCallbackHandler):
    def initialize(self) -> None:
        self.hub_auth = self.settings["hub_auth"]


def templates() -> Environment:
    return Environment(loader=FileSystemLoader(HERE / "templates"),
                       autoescape=select_autoescape(default=True), trim_blocks=True,
                       lstrip_blocks=True)


def routes(prefix: str) -> list:
    return [
        (prefix, HomeHandler),
        (prefix + "oauth_callback", OAuthCallbackHandler),
        (prefix + "catalog", CatalogHandler),
        (prefix + r"datasets/([^/]+)", DatasetHandler),
        (prefix + "reports/", ReportsHandler),
        (prefix + "tokens", TokensHandler),
        (prefix + r"reports/runs/(\d{1,18})\.pdf", ReportPdfHandler),
        (prefix + r"reports/([a-z0-9][a-z0-9_-]{0,62})/(enable|disable|run)",
         ScheduleActionHandler),
    ]


def make_app(*, prefix: str, base_url: str, datasets: DatasetsClient, identify=hub_visitor,
             hub_auth: HubOAuth | None = None, **extra) -> web.Application:
    prefix = prefix if prefix.endswith("/") else prefix + "/"
    return web.Application(
        routes(prefix), prefix=prefix, base_url=base_url, datasets=datasets, identify=identify,
        hub_auth=hub_auth, jinja=templates(), static_path=str(HERE / "static"),
        static_url_prefix=prefix + "static/", cookie_secret=os.urandom(32),
        log_function=log_request, default_handler_class=NotFoundHandler, **extra)


def datasets_url(settings, base_url: str) -> str:
    """The datasets service straight on loopback (no trip through the proxy)."""
    return f"http://127.0.0.1:{settings.services.datasets_port}{base_url}services/datasets/"


def scheduler_url(settings, base_url: str) -> str:
    """The scheduler service straight on loopback."""
    return f"http://127.0.0.1:{settings.services.scheduler_port}{base_url}services/scheduler/"


def app_from_settings(settings, environ: Mapping[str, str]) -> web.Application:
    base_url = environ.get("JUPYTERHUB_BASE_URL", "/")
    return make_app(prefix=environ.get("JUPYTERHUB_SERVICE_PREFIX", base_url + "services/portal/"),
                    base_url=base_url, datasets=DatasetsClient(datasets_url(settings, base_url)),
                    hub_auth=HubOAuth(cache_max_age=settings.services.auth_cache_seconds),
                    public_origin=settings.hub.public_origin,
                    publications=PublicationStore.from_settings(settings),
                    dashboards_home=settings.dashboards_origin + base_url,
                    alerts=EpisodeStore.from_settings(settings),
                    scheduler=SchedulerClient(scheduler_url(settings, base_url)),
                    workspace_groups=list(settings.spawner.workspace_groups),
                    workspace_users=list(settings.spawner.workspace_users))
