"""The dashboards service's Voilà application: routes, the page handler, the identity cell.

Standalone Voilà (no Jupyter server: no /lab, contents API, terminals or sessions) with only
these routes under the service prefix (``/services/dashboards/``):

- ``d/<name>/``: a publication rendered for the viewer (:class:`DashboardHandler`): 404, the
  same page, for unknown, unpublished and not-shared names;
- the index: the dashboards this viewer may open;
- ``api/publications``: the publish API for analysts' workspaces (api.py, token only);
- what a rendered page needs: ``api/kernels/<id>`` and its websocket (owner only, access.py),
  ``voila/static``, ``voila/templates``, ``voila/labextensions``, ``voila/api/themes``,
  ``voila/api/shutdown/<id>`` (owner only), and the OAuth callback.

Voilà's tree, render, contents and files handlers are not routed: they would list or serve
every stored version. The viewer's token reaches the kernel in a first cell inserted by
:func:`inject_identity` (Voilà's ``prelaunch_hook``), never shown: sources are stripped.
"""

from __future__ import annotations

import html
import shutil

import nbformat
from jupyter_core.utils import run_sync
from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.utils import url_path_join
from tornado import web
from tornado.ioloop import IOLoop
from voila.app import Voila
from voila.shutdown_kernel_handler import VoilaShutdownKernelHandler
from voila.static_file_handler import AllowListFileHandler
from voila.tornado.contentshandler import VoilaContentsHandler
from voila.tornado.handler import TornadoVoilaHandler
from voila.tornado.treehandler import TornadoVoilaTreeHandler

from .access import viewer_groups
from .api import api_handlers
from .kernels import VIEWER, CapReached

NOT_ROUTED = (TornadoVoilaHandler, TornadoVoilaTreeHandler, VoilaContentsHandler,
              AllowListFileHandler, VoilaShutdownKernelHandler)
IDENTITY_CELL = ("__import__('os').environ.update(AGORA_TOKEN={token!r}, "
                 "AGORA_VIEWER={viewer!r})")
NOT_FOUND = "This dashboard does not exist, or it is not shared with you."
PAGE = ("<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>"
        "</head><body style='font-family:sans-serif;max-width:40em;margin:3em auto'>"
        "<main><h1>{title}</h1>{body}</main></body></html>")


def page(title: str, body: str) -> str:
    return PAGE.format(title=html.escape(title), body=body)


def inject_identity(handler, notebook, cwd):
    """Voilà's prelaunch_hook: the notebook with a first cell that hands the viewer's token
    and name to the kernel (AGORA_TOKEN, read first by widgets/data.py)."""
    token, viewer = getattr(handler, "viewer_token", None), getattr(handler, "viewer", None)
    if not token or not viewer:
        raise web.HTTPError(403)
    cell = nbformat.v4.new_code_cell(IDENTITY_CELL.format(token=token, viewer=viewer))
    cell.metadata["tags"] = ["agora-identity"]
    notebook.cells.insert(0, cell)
    return notebook


class PoliteErrors:
    """Short HTML error pages: the same 404 whatever the reason, a kind 503 at the caps."""

    def write_error(self, status_code, **kwargs):
        error = kwargs.get("exc_info", (None, None))[1]
        self.set_header("Content-Type", "text/html; charset=utf-8")
        if isinstance(error, CapReached):
            self.set_header("Retry-After", "60")
            self.finish(page("Dashboards are busy", f"<p>{html.escape(error.message)}</p>"))
        elif status_code == 404:
            self.finish(page("Not found", f"<p>{NOT_FOUND}</p>"))
        else:
            self.finish(page(f"Error {status_code}", "<p>This request was refused.</p>"))


class DashboardHandler(PoliteErrors, TornadoVoilaHandler):
    """One publication, rendered in a kernel of its own for the viewer asking."""

    @web.authenticated
    async def get(self, name):
        user = self.current_user
        store = self.settings["publications"]
        publication = store.find_visible(name, user.username, viewer_groups(user))
        if publication is None:
            raise web.HTTPError(404)
        self.viewer = user.username
        self.viewer_token = self.identity_provider.hub_auth.get_token(self)
        VIEWER.set(user.username)
        path = store.notebook_path(publication).relative_to(store.root).as_posix()
        async for snippet in self.get_generator(path=path):
            self.write(snippet)
            self.flush()


class IndexHandler(PoliteErrors, JupyterHandler):
    """The dashboards this viewer may open (the portal shows them too)."""

    @web.authenticated
    def get(self):
        user = self.current_user
        mine = self.settings["publications"].visible_to(user.username, viewer_groups(user))
        items = "".join(f"<li><a href='d/{p.name}/'>{html.escape(p.title)}</a></li>"
                        for p in mine) or "<li>No dashboard is shared with you yet.</li>"
        self.finish(page("Dashboards", f"<ul>{items}</ul>"))


class OwnerShutdownHandler(VoilaShutdownKernelHandler):
    """Voilà's shutdown on page close, for the kernel's own viewer only."""

    @web.authenticated
    async def post(self, kernel_id):
        if self.kernel_manager.owner_of(kernel_id) != self.current_user.username:
            raise web.HTTPError(403)
        await self.kernel_manager.shutdown_kernel(kernel_id)
        self.set_status(204)
        self.finish()


class DashboardsVoila(Voila):
    """Voilà with Agora's routes (module docstring) and its warm kernels started at once."""

    name = "agora-dashboards"

    def init_handlers(self) -> list:
        kept = [h for h in super().init_handlers() if h[1] not in NOT_ROUTED]
        base = self.server_url
        return [
            (url_path_join(base, r"/d/(?P<name>[^/]+)/?"), DashboardHandler,
             {"template_paths": self.template_paths, "config": self.config,
              "voila_configuration": self.voila_configuration}),
            (url_path_join(base, r"/voila/api/shutdown/(?P<kernel_id>[^/]+)"),
             OwnerShutdownHandler),
            (base, IndexHandler),
            *api_handlers(base),
            *kept,
        ]

    def listen(self):
        IOLoop.current().add_callback(self.kernel_manager.refill)
        super().listen()

    def stop(self):
        """Stopping the service ends every dashboard session, so its kernels are killed at once
        (Voilà asks each one to shut down and waits seconds for it; a kernel keeps nothing)."""
        shutil.rmtree(self.connection_dir, ignore_errors=True)
        run_sync(self.kernel_manager.shutdown_all)(now=True)
