"""The portal's pages: home, catalogue, one dataset; errors as pages in the visitor's language.

Authentication is JupyterHub's own :class:`HubOAuthenticated` (the portal's OAuth cookie, or a
browser sent to the hub's login first). The visitor is looked up once per request in
:meth:`PortalHandler.prepare` through ONE seam, the application setting ``identify`` (async
``handler -> Visitor | None``, :func:`hub_visitor` by default), which also gives the
visitor's token: the only credential the portal ever sends to the datasets service.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlencode

from jupyterhub.services.auth import HubOAuthenticated, UserNotAllowed
from tornado import web

from widgets.badges import FreshnessBadge
from widgets.i18n import format_date, format_number

from . import audience, language
from .catalog import Search, keywords, search, theme_code, theme_name, themes
from .dataset_page import dataset_page
from .datasets_client import DatasetNotFound, DatasetsUnavailable
from .markdown import first_paragraph

log = logging.getLogger("agora.portal")


@dataclass(frozen=True)
class Visitor:
    user: dict  # the hub's user model: name, admin, groups
    token: str  # the visitor's own OAuth token (never logged, never shown)


async def hub_visitor(handler: PortalHandler) -> Visitor | None:
    """HubOAuth's user (cookie or token), scope-checked, with the token that identified it."""
    model = await handler.hub_auth.get_user(handler, sync=False)
    if not model:
        return None
    try:
        model = handler.check_hub_user(model)  # 'access:services!service=portal'
    except UserNotAllowed:
        return None
    token = handler.hub_auth.get_token(handler)
    return Visitor(model, token) if model and token else None


class PortalHandler(HubOAuthenticated, web.RequestHandler):
    page = ""

    def initialize(self) -> None:
        if self.settings.get("hub_auth") is not None:
            self.hub_auth = self.settings["hub_auth"]
        self.lang = language.DEFAULT
        self.visitor: Visitor | None = None

    async def prepare(self) -> None:
        asked = language.supported(self.get_query_argument("lang", None))
        self.lang = language.choose(asked, self.get_cookie(language.COOKIE),
                                    self.request.headers.get("Accept-Language"))
        if asked:
            self.set_cookie(language.COOKIE, asked, path=self.settings["prefix"],
                            samesite="Lax", expires_days=365)
        self.visitor = await self.settings["identify"](self)
        if self.visitor is None:
            if self.settings.get("hub_auth") is not None and self.request.method == "GET":
                self.redirect(self.get_login_url())
                return
            raise web.HTTPError(403)
        self.current_user = self.visitor.user

    @property
    def datasets(self):
        return self.settings["datasets"]

    @property
    def urls(self) -> dict[str, str]:
        prefix, base = self.settings["prefix"], self.settings["base_url"]
        return {"home": prefix, "catalog": prefix + "catalog", "dataset": prefix + "datasets/",
                "reports": prefix + "reports/", "tokens": prefix + "tokens",
                "workspace": base + "hub/spawn", "token": base + "hub/token",
                "logout": base + "hub/logout"}

    def datasets_public_url(self) -> str:
        """The datasets service as people's programs reach it: the hub's public origin
        (hub.public_url, else bind_url) when the settings give it, else this request's."""
        origin = (self.settings.get("public_origin")
                  or f"{self.request.protocol}://{self.request.host}")
        return origin + self.settings["base_url"] + "services/datasets/"

    def switch_url(self) -> str:
        args = [(k, v) for k in self.request.query_arguments if k != "lang"
                for v in self.get_query_arguments(k)]
        other = "en" if self.lang == "fr" else "fr"
        return f"{self.request.path}?{urlencode([*args, ('lang', other)])}"

    def render_page(self, template: str, status: int = 200, **values) -> None:
        user = self.visitor.user if self.visitor else None
        context = {"lang": self.lang, "other_lang": "en" if self.lang == "fr" else "fr",
                   "t": language.translator(self.lang), "user": user, "page": self.page,
                   "urls": self.urls, "css": self.static_url("portal.css"),
                   "switch_url": self.switch_url(), "xsrf_form_html": self.xsrf_form_html,
                   "format_number": lambda x: format_number(x, 0, self.lang),
                   "format_date": lambda d: format_date(d, self.lang),
                   "workspace": bool(user) and audience.may_have_workspace(
                       user, self.settings.get("workspace_groups"),
                       self.settings.get("workspace_users", ())), **values}
        html = self.settings["jinja"].get_template(template).render(**context)
        self.set_status(status)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Cache-Control", "no-store")  # pages carry one visitor's rights
        self.finish(html)

    def write_error(self, status_code: int, **kwargs) -> None:
        """A page in the visitor's language, never a traceback."""
        key = {404: "not_found", 503: "unavailable"}.get(status_code, "error")
        self.page = ""  # no navigation entry is the current page
        self.clear_header("Content-Disposition")
        self.render_page("error.html", status_code, title_key=f"{key}_title",
                         text_key=f"{key}_text")

    def log_exception(self, typ, value, tb) -> None:
        if isinstance(value, web.HTTPError) and value.status_code < 500:
            return
        super().log_exception(typ, value, tb)

    async def readable(self) -> list[dict]:
        try:
            return await self.datasets.datasets(self.visitor.token)
        except (DatasetsUnavailable, DatasetNotFound):
            raise web.HTTPError(503) from None

    def listing(self, item: dict) -> dict:
        """One catalogue entry in words."""
        ago = FreshnessBadge(item, locale=self.lang).words()[1]
        return {**item, "excerpt": first_paragraph(item.get("description")),
                "theme_name": theme_name(item.get("theme"), self.lang),
                "updated_words": ago[:1].upper() + ago[1:],
                "url": self.urls["dataset"] + item["id"]}


class HomeHandler(PortalHandler):
    page = "home"

    async def get(self):
        user = self.visitor.user
        try:
            items, unavailable = await self.datasets.datasets(self.visitor.token), False
        except (DatasetsUnavailable, DatasetNotFound):
            items, unavailable = [], True
        dashboards = audience.dashboards_for(user, self.settings.get("publications"),
                                             self.settings.get("dashboards_home",
                                                               self.settings["base_url"]))
        alerts = audience.alerts_for(user, self.settings.get("alerts"), self.lang)
        self.render_page("home.html", dashboards=dashboards, alerts=alerts,
                         reports=await self.latest_reports(),
                         count=len(items), themes=themes(items, self.lang),
                         unavailable=unavailable)


    async def latest_reports(self) -> list[dict] | None:
        """The visitor's three latest PDFs (None: the scheduler did not answer)."""
        from .reports_page import readable_reports
        from .scheduler_client import SchedulerRefused, SchedulerUnavailable

        scheduler = self.settings.get("scheduler")
        if scheduler is None:
            return []
        try:
            runs = await scheduler.runs(self.visitor.token)
        except (SchedulerUnavailable, SchedulerRefused):
            return None
        return readable_reports(runs, self.visitor.user["name"])[:3]


class CatalogHandler(PortalHandler):
    page = "catalog"

    async def get(self):
        items = await self.readable()
        query = Search(self.get_query_argument("q", "").strip()[:200],
                       theme_code(self.get_query_argument("theme", "").strip()) or "",
                       self.get_query_argument("keyword", "").strip()[:100])
        found = [self.listing(i) for i in search(items, query, self.lang)]
        self.render_page("catalog.html", query=query, found=found, total=len(items),
                         themes=themes(items, self.lang), keywords=keywords(items))


class DatasetHandler(PortalHandler):
    page = "catalog"

    async def get(self, dataset_id: str):
        try:
            meta = await self.datasets.dataset(dataset_id, self.visitor.token)
        except DatasetNotFound:
            raise web.HTTPError(404) from None
        except DatasetsUnavailable:
            raise web.HTTPError(503) from None
        datasets_path = self.settings["base_url"] + "services/datasets/"
        view = dataset_page(meta, datasets_path=datasets_path,
                            service_url=self.datasets_public_url(), lang=self.lang)
        self.render_page("dataset.html", view=view, meta=meta)


class NotFoundHandler(PortalHandler):
    async def get(self, *args):
        raise web.HTTPError(404)
