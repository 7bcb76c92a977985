"""The dashboards' kernels: one per page view, owned by its viewer, warm, capped and culled.

:class:`DashboardKernelManager` is Voilà's ``multi_kernel_manager_class``. Voilà asks it for a
kernel when a viewer opens a dashboard (``start_kernel``); it then

- refuses politely (503) beyond ``max_kernels_per_viewer`` kernels of this viewer or
  ``max_kernels`` in total;
- hands out a *warm* kernel: one of ``warm_kernels`` started in advance, which already ran
  :data:`WARM_CODE` (ipywidgets, pandas, altair, Agora's widgets imported), else starts one;
- records the viewer as the kernel's owner (:meth:`owner_of`, read by access.py);
- never passes the service's environment on: a kernel gets :func:`kernel_environment`
  (no JUPYTERHUB_* variable, so not the service's token; the viewer's token arrives with
  the first cell, app.py), and, when the service runs as root, runs as the unprivileged
  ``kernel_account`` in its own home.

Culling is jupyter_server's (``cull_idle_timeout``, ``cull_interval``, ``cull_connected``
False: a kernel whose page is still open is kept), except that warm kernels waiting for a
viewer are never culled. Who is asking comes in :data:`VIEWER`, set by the page handler.
"""

from __future__ import annotations

import asyncio
import contextvars
import os
from collections.abc import Mapping

from jupyter_server.services.kernels.kernelmanager import (
    AsyncMappingKernelManager,
    ServerKernelManager,
)
from tornado import web
from traitlets import Dict, Int, Unicode

VIEWER: contextvars.ContextVar[str | None] = contextvars.ContextVar("viewer", default=None)
WARM_CODE = "import ipywidgets, pandas, altair, widgets, widgets.chart, widgets.maps, widgets.kpi"
KEPT_VARIABLES = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "PYTHONPATH")


def kernel_environment(service_env: Mapping[str, str], extra: Mapping[str, str]) -> dict:
    """A kernel's whole environment: a few harmless variables of the service, plus `extra`
    (the datasets URL, the locale, HOME...). Nothing else: no token, no settings."""
    kept = {k: service_env[k] for k in KEPT_VARIABLES if k in service_env}
    return {**kept, **extra}


class CapReached(web.HTTPError):
    """Too many kernels: a polite refusal (503) that says to come back later."""

    def __init__(self, message: str):
        super().__init__(503, reason="Dashboards busy")
        self.message = message


class DashboardKernel(ServerKernelManager):
    """A kernel whose connection file its account can read (when it runs as another one)."""

    def write_connection_file(self, **kwargs) -> None:
        super().write_connection_file(**kwargs)
        account = getattr(self.parent, "account", None)
        if account is not None and self.connection_file:
            os.chown(self.connection_file, account.pw_uid, account.pw_gid)


class DashboardKernelManager(AsyncMappingKernelManager):
    max_kernels = Int(20, config=True, help="Kernels handed to viewers, in total.")
    max_kernels_per_viewer = Int(3, config=True, help="Kernels one viewer may hold.")
    warm_kernels = Int(2, config=True, help="Kernels started in advance, waiting for a viewer.")
    extra_env = Dict(config=True, help="Variables every kernel gets (datasets URL, locale).")
    kernel_home = Unicode("", config=True, help="Working folder and HOME of the kernels.")

    account = None  # pwd entry of the kernels' account when the service runs as root

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.kernel_manager_class = f"{__name__}.DashboardKernel"
        self.owners: dict[str, str] = {}
        self.pending: dict[str, int] = {}  # kernels being started, per viewer
        self.ready: list[str] = []  # warm kernels that ran WARM_CODE
        self.warming: set[str] = set()
        self._warm_tasks: set[asyncio.Task] = set()
        if self.account is not None:  # the kernels read their connection files in it
            os.chown(self.connection_dir, self.account.pw_uid, self.account.pw_gid)

    # -- what Voilà calls ----------------------------------------------------------------------

    async def start_kernel(self, *, kernel_name=None, path=None, env=None, **kwargs) -> str:
        viewer = VIEWER.get()
        if not viewer:
            raise web.HTTPError(403)
        self.check_caps(viewer)
        self.pending[viewer] = self.pending.get(viewer, 0) + 1  # holds the slot meanwhile
        try:
            kernel_id = self.take_warm() or await self.start_clean(kernel_name)
        finally:
            self.pending[viewer] -= 1
        self.owners[kernel_id] = viewer
        self.refill()
        return kernel_id

    async def shutdown_kernel(self, kernel_id, now=False, restart=False):
        self.owners.pop(kernel_id, None)
        self.warming.discard(kernel_id)
        if kernel_id in self.ready:
            self.ready.remove(kernel_id)
        await super().shutdown_kernel(kernel_id, now=now, restart=restart)
        self.refill()

    async def cull_kernel_if_idle(self, kernel_id):
        if kernel_id in self.owners:  # a warm kernel waits for its viewer: never idle
            await super().cull_kernel_if_idle(kernel_id)

    # -- ownership and caps --------------------------------------------------------------------

    def owner_of(self, kernel_id: str) -> str | None:
        return self.owners.get(kernel_id)

    def check_caps(self, viewer: str) -> None:
        mine = sum(1 for owner in self.owners.values() if owner == viewer)
        mine += self.pending.get(viewer, 0)
        if mine >= self.max_kernels_per_viewer:
            raise CapReached(f"You already have {mine} dashboards open. Close one (or wait a "
                             "few minutes) and reload this page.")
        if len(self.owners) + sum(self.pending.values()) >= self.max_kernels:
            raise CapReached("Every dashboard slot is taken right now. Please reload this page "
                             "in a minute.")

    # -- warm and clean kernels ----------------------------------------------------------------

    def take_warm(self) -> str | None:
        if self.ready:
            return self.ready.pop(0)
        if self.warming:  # still importing: closer to ready than a new kernel
            kernel_id = next(iter(self.warming))
            self.warming.discard(kernel_id)
            return kernel_id
        return None

    async def start_clean(self, kernel_name=None) -> str:
        env = kernel_environment(os.environ, self.extra_env)
        kwargs = {}
        if self.kernel_home:
            env.setdefault("HOME", self.kernel_home)
            kwargs["cwd"] = self.kernel_home
        if self.account is not None:
            env.update(USER=self.account.pw_name, LOGNAME=self.account.pw_name)
            kwargs.update(user=self.account.pw_uid, group=self.account.pw_gid, extra_groups=[])
        return await super().start_kernel(kernel_name=kernel_name, env=env, **kwargs)

    def refill(self) -> None:
        """Start warm kernels until `warm_kernels` wait (within the total cap)."""
        waiting = len(self.ready) + len(self.warming) + len(self._warm_tasks)
        room = self.max_kernels + self.warm_kernels - len(self.owners) - waiting
        for _ in range(max(0, min(self.warm_kernels - waiting, room))):
            task = asyncio.ensure_future(self.start_warm())
            self._warm_tasks.add(task)
            task.add_done_callback(self._warm_tasks.discard)

    async def start_warm(self) -> None:
        try:
            kernel_id = await self.start_clean()
        except Exception:
            self.log.exception("could not start a warm dashboard kernel")
            return
        self.warming.add(kernel_id)
        try:
            await self.run_warm_code(kernel_id)
        except Exception as exc:  # still usable: the notebook imports what it needs
            self.log.warning("warm-up of kernel %s failed: %s", kernel_id, exc)
        if kernel_id in self.warming:  # not handed out meanwhile
            self.warming.discard(kernel_id)
            self.ready.append(kernel_id)

    async def run_warm_code(self, kernel_id: str) -> None:
        client = self.get_kernel(kernel_id).client()
        client.start_channels()
        try:
            await client.wait_for_ready(timeout=60)
            reply = await client.execute_interactive(WARM_CODE, store_history=False,
                                                     timeout=120, output_hook=lambda _: None)
            if reply["content"]["status"] != "ok":
                raise RuntimeError(reply["content"].get("ename", "error"))
        finally:
            client.stop_channels()
